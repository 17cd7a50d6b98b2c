"""``mynacard client``: the cardholder's JPKI client software (利用者クライアントソフト).

It talks APDUs to the card: over PC/SC with pyscard (a real card in a real reader, or the
virtual card of ``mynacard vcard insert``; ``--reader`` chooses), or in-process to a card
of the store (``--card CARD`` with ``--db``). PINs are asked with hidden input unless given
with ``--pin``; their form is checked before anything is sent, the tries left are shown
before each entry (R_PIN_7), and a failed VERIFY is never repeated (R_PIN_4).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from rich.markup import escape
from rich.table import Table

from mynacard.chip import KeySlot, PinId, check_pin_format
from mynacard.chip.pins import PIN_NAMES_JA
from mynacard.cli.app import console, emit, fail, opts
from mynacard.client import JpkiCard, PcscTransport
from mynacard.client.card import SLOT_EN, SLOT_JA
from mynacard.errors import MynaError, PinLocked, ValidationError, WrongPin, tries_text

if TYPE_CHECKING:
    from mynacard.client import signing as sig

client_app = typer.Typer(
    help="The cardholder's client: certificates, PINs and signatures with the card (利用者クライアント).",
    no_args_is_help=True,
)

PIN_NAMES_EN = {
    PinId.SIGN: "signing password",
    PinId.AUTH: "authentication PIN",
    PinId.RESIDENT: "resident-registry PIN",
    PinId.CARD_INFO: "card-info-input PIN",
}
KIND_HELP = "Which certificate's key: sign (署名用) or auth (利用者証明用)"
PinOpt = Annotated[str | None, typer.Option("--pin", help="The PIN (asked with hidden input when omitted)")]


@client_app.callback()
def client_main(
    ctx: typer.Context,
    reader: Annotated[
        str | None, typer.Option(help="PC/SC reader (part of its name); default: the first with a card")
    ] = None,
    card: Annotated[
        str | None, typer.Option(help="Talk in-process to this card of the store (--db) instead of PC/SC")
    ] = None,
) -> None:
    ctx.meta["client.reader"] = reader
    ctx.meta["client.card"] = card


@contextmanager
def session(ctx: typer.Context) -> Iterator[JpkiCard]:
    """The card over the chosen transport; MynaError -> message (EN + JA) and exit code 2."""
    o = opts(ctx)
    transport: Any = None
    try:
        card_id = ctx.meta.get("client.card")
        if card_id:
            from mynacard.services.vcard import open_card

            transport = open_card(o.office(), card_id, o.now)
        else:
            transport = PcscTransport(ctx.meta.get("client.reader"))
        yield JpkiCard(transport)
    except PinLocked as e:
        raise _locked(e) from None
    except MynaError as e:
        if o.json:
            typer.echo(json.dumps({"error": e.to_dict()}, ensure_ascii=False), err=True)
            raise typer.Exit(2) from None
        raise fail(e) from None
    finally:
        close = getattr(transport, "close", None)
        if close is not None:
            close()


def _locked(e: PinLocked) -> typer.Exit:
    from mynacard.cli.app import err_console

    pin = PinId(e.fields["pin"])
    err_console.print(f"[bold red]error:[/] The {PIN_NAMES_EN[pin]} is locked (no tries left).")
    err_console.print(
        "  Unlock it at the municipal window (市区町村窓口) of your residence with your card and a photo ID; "
        "it is reset there free of charge (R_PIN_5)."
    )
    err_console.print(f"[red]エラー:[/] {PIN_NAMES_JA[pin]}がロックされています。")
    err_console.print(
        "  住民票のある市区町村の窓口で、本人確認書類を提示してロック解除・再設定を行ってください(無料)。"
    )
    return typer.Exit(2)


def ask_pin(card: JpkiCard, pin: PinId, given: str | None, prompt: str | None = None) -> str:
    """Show the tries left (R_PIN_7), refuse a locked PIN, then take the PIN and check its form."""
    tries = card.tries_left(pin)
    if tries == 0:
        raise PinLocked(pin.value)
    console.print(f"{PIN_NAMES_JA[pin]} ({PIN_NAMES_EN[pin]}): 残り{tries}回 / {tries_text(tries)}")
    value = given if given is not None else typer.prompt(prompt or PIN_NAMES_JA[pin], hide_input=True)
    check_pin_format(pin, value)  # ValidationError before anything reaches the card
    return value


def _slot(kind: str) -> KeySlot:
    try:
        return KeySlot(kind)
    except ValueError:
        raise typer.BadParameter("use sign or auth", param_hint="KIND") from None


def _cert_row(label: str, cert: x509.Certificate) -> dict[str, Any]:
    return {
        "certificate": label,
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "serial": f"{cert.serial_number:X}",
        "not_before": cert.not_valid_before_utc,
        "not_after": cert.not_valid_after_utc,
    }


# -- commands ----------------------------------------------------------------------------------


@client_app.command("readers")
def readers_cmd(ctx: typer.Context) -> None:
    """List the PC/SC readers."""
    from mynacard.client import list_readers

    try:
        names = list_readers()
    except MynaError as e:
        raise fail(e) from None
    emit(ctx, names, lambda d: [console.print(n) for n in d] or console.print("(no reader)") if not d else None)


@client_app.command("pins")
def pins_cmd(ctx: typer.Context) -> None:
    """Tries left of all four PINs, without spending any (R_PIN_7)."""
    with session(ctx) as card:
        tries = card.all_tries_left()
        missing = {PinId(s.value) for s in KeySlot if not card.has_certificate(s)}
    data = {p.value: n for p, n in tries.items()}
    if missing:
        data["no_certificate"] = sorted(p.value for p in missing)  # type: ignore[assignment]

    def render(_: Any) -> None:
        tbl = Table("PIN", "暗証番号", "tries left 残り回数")
        for p, n in tries.items():
            shown = "[red]locked ロック中[/]" if n == 0 else str(n)
            if p in missing:
                shown = "not set: no certificate 未設定(電子証明書なし)"
            tbl.add_row(PIN_NAMES_EN[p], PIN_NAMES_JA[p], shown)
        console.print(tbl)

    emit(ctx, data, render)


@client_app.command("certs")
def certs_cmd(
    ctx: typer.Context,
    with_sign: Annotated[
        bool, typer.Option("--sign", help="Also the signing certificate (needs the signing password)")
    ] = False,
    pin: PinOpt = None,
    out: Annotated[
        Path | None, typer.Option(help="Also write the certificates as PEM files into this directory")
    ] = None,
) -> None:
    """Show the certificates on the card: subject, serial, validity."""
    rows: list[dict[str, Any]] = []
    certs: dict[str, x509.Certificate] = {}
    with session(ctx) as card:
        for slot, label in ((KeySlot.AUTH, "auth"), (KeySlot.SIGN, "sign")):
            ca = card.certificate(slot, ca=True)
            if ca is not None:
                certs[f"{label}-ca"] = ca
        auth = card.certificate(KeySlot.AUTH)
        if auth is not None:
            certs["auth"] = auth
        missing = [s for s in (KeySlot.AUTH, KeySlot.SIGN) if not card.has_certificate(s)]
        if with_sign:
            card.require_certificate(KeySlot.SIGN)  # before the password is asked for
            value = ask_pin(card, PinId.SIGN, pin)
            card.verify(PinId.SIGN, value)
            sign = card.certificate(KeySlot.SIGN)
            if sign is not None:
                certs["sign"] = sign
    labels = {
        "auth": "利用者証明用電子証明書 authentication",
        "sign": "署名用電子証明書 signing",
        "auth-ca": "利用者証明用CA authentication CA",
        "sign-ca": "署名用CA signing CA",
    }
    for key in ("auth", "sign", "auth-ca", "sign-ca"):
        if key in certs:
            rows.append(_cert_row(labels[key], certs[key]))
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for key, cert in certs.items():
            (out / f"{key}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))

    def render(_: Any) -> None:
        for s in missing:
            console.print(f"{SLOT_JA[s]}: 搭載されていません / no {SLOT_EN[s]} certificate on this card")
        for r in rows:
            console.rule(r["certificate"])
            console.print(f"subject: {r['subject']}\nissuer:  {r['issuer']}\nserial:  {r['serial']}")
            console.print(f"valid:   {r['not_before']:%Y-%m-%d %H:%M:%S} - {r['not_after']:%Y-%m-%d %H:%M:%S} UTC")
        if out is not None:
            console.print(f"PEM files written to {out}/ ({', '.join(sorted(certs))})")

    emit(ctx, rows, render)


@client_app.command("attributes")
def attributes_cmd(ctx: typer.Context, pin: PinOpt = None) -> None:
    """The basic four attributes (基本4情報) from the card-info-input AP, after its PIN."""
    with session(ctx) as card:
        value = ask_pin(card, PinId.CARD_INFO, pin)
        attrs = card.attributes(value)
    data = {"name": attrs.name, "address": attrs.address, "birth_date": attrs.birth_date, "sex": attrs.sex}
    sex_ja = {"1": "男", "2": "女", "9": "適用不能"}.get(attrs.sex, attrs.sex)

    def render(_: Any) -> None:
        console.print(f"氏名 name:         {attrs.name}")
        console.print(f"住所 address:      {attrs.address}")
        console.print(f"生年月日 birth:    {attrs.birth_date:%Y-%m-%d}")
        console.print(f"性別 sex:          {sex_ja} ({attrs.sex})")

    emit(ctx, data, render)


@client_app.command("change-pin")
def change_pin_cmd(
    ctx: typer.Context,
    which: Annotated[str, typer.Argument(metavar="PIN", help="sign, auth, resident or card_info")],
    pin: PinOpt = None,
    new_pin: Annotated[str | None, typer.Option("--new-pin", help="The new PIN (asked twice when omitted)")] = None,
) -> None:
    """Change a PIN after entering the current one (R_PIN_6)."""
    try:
        pid = PinId(which)
    except ValueError:
        raise typer.BadParameter("use sign, auth, resident or card_info", param_hint="PIN") from None
    with session(ctx) as card:
        old = ask_pin(card, pid, pin, f"現在の{PIN_NAMES_JA[pid]} (current)")
        if new_pin is None:
            new_pin = typer.prompt(f"新しい{PIN_NAMES_JA[pid]} (new)", hide_input=True, confirmation_prompt=True)
        check_pin_format(pid, new_pin)
        card.change_pin(pid, old, new_pin)
    console.print(f"Changed the {PIN_NAMES_EN[pid]} / {PIN_NAMES_JA[pid]}を変更しました。")


def _login(card: JpkiCard, kind: str, pin: str | None) -> sig.CardOperation:
    slot = _slot(kind)
    pid = PinId.SIGN if slot is KeySlot.SIGN else PinId.AUTH
    from mynacard.client import signing as sig  # pyHanko and signxml load with the first signature

    card.require_certificate(slot)  # a card without it: say so before asking for a PIN
    op = sig.CardOperation(card, slot)
    op.login(ask_pin(card, pid, pin))
    return op


TsaOpt = Annotated[
    str | None,
    typer.Option("--tsa", help="Timestamp the signature at this RFC 3161 TSA, e.g. http://127.0.0.1:8000/tsa"),
]


def _stamper(url: str | None) -> sig.FunctionTimeStamper | None:
    if url is None:
        return None
    try:
        return sig.tsa_timestamper(url)
    except ValueError as e:
        raise typer.BadParameter(str(e), param_hint="--tsa") from None


@client_app.command("sign")
def sign_cmd(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The file to sign")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the detached CMS signature (.p7s)")],
    kind: Annotated[str, typer.Option("--key", help=KIND_HELP)] = "sign",
    pem: Annotated[bool, typer.Option("--pem", help="PEM instead of DER")] = False,
    attached: Annotated[bool, typer.Option("--attached", help="Put the file inside the signature (.p7m)")] = False,
    tsa: TsaOpt = None,
    pin: PinOpt = None,
) -> None:
    """Sign a file: a detached CMS signature (openssl cms -verify -binary -content FILE ...);
    CAdES-T with --tsa."""
    data = file.read_bytes()
    with session(ctx) as card:
        op = _login(card, kind, pin)
        from mynacard.client import signing as sig

        out.write_bytes(
            sig.sign_cms(
                sig.card_signer(op), data, at=opts(ctx).now(), pem=pem, detached=not attached, timestamper=_stamper(tsa)
            )
        )
    _signed(op, out)


@client_app.command("sign-pdf")
def sign_pdf_cmd(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The PDF to sign")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The signed PDF")],
    kind: Annotated[str, typer.Option("--key", help=KIND_HELP)] = "sign",
    field: Annotated[str, typer.Option(help="Signature field name")] = "Signature1",
    reason: Annotated[str | None, typer.Option(help="Reason shown in the signature")] = None,
    tsa: TsaOpt = None,
    pin: PinOpt = None,
) -> None:
    """Sign a PDF (PAdES, pyHanko) with the card; PAdES-T with --tsa."""
    pdf = file.read_bytes()
    with session(ctx) as card:
        op = _login(card, kind, pin)
        try:
            from mynacard.client import signing as sig

            signed = sig.sign_pdf(sig.card_signer(op), pdf, field_name=field, reason=reason, timestamper=_stamper(tsa))
        except MynaError:
            raise
        except Exception as exc:  # a damaged PDF, a taken field name
            raise ValidationError("file", f"Cannot sign this PDF: {exc}", "このPDFには署名できません。") from exc
        out.write_bytes(signed)
    _signed(op, out)


@client_app.command("sign-xml")
def sign_xml_cmd(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The XML document to sign")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The signed XML (enveloped signature)")],
    kind: Annotated[str, typer.Option("--key", help=KIND_HELP)] = "sign",
    xades: Annotated[bool, typer.Option("--xades", help="XAdES-BES instead of plain XMLDSig")] = False,
    tsa: TsaOpt = None,
    pin: PinOpt = None,
) -> None:
    """Sign an XML document (XMLDSig or XAdES, signxml) with the card; XAdES-T with --xades --tsa."""
    if tsa and not xades:
        raise typer.BadParameter("a signature timestamp needs --xades", param_hint="--tsa")
    xml = file.read_bytes()
    with session(ctx) as card:
        op = _login(card, kind, pin)
        assert op.cert is not None
        try:
            from mynacard.client import signing as sig

            signed = sig.sign_xml(sig.card_key(op), op.cert, op.chain, xml, xades=xades, timestamper=_stamper(tsa))
        except MynaError:
            raise
        except Exception as exc:  # not well-formed XML
            raise ValidationError("file", f"Cannot sign this XML: {exc}", "このXMLには署名できません。") from exc
        out.write_bytes(signed)
    _signed(op, out)


@client_app.command("approve")
def approve_cmd(
    ctx: typer.Context,
    link: Annotated[str, typer.Argument(help="The link (or QR code) the site's login page shows")],
    pin: Annotated[str | None, typer.Option("--pin", help="Authentication PIN (asked when omitted)")] = None,
    sign_pin: Annotated[
        str | None, typer.Option("--sign-pin", help="Signing password, when the site asks for it (asked when omitted)")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Approve without asking (scripts)")] = False,
) -> None:
    """Approve a login with the card, as the authentication app does (ログインの承認)."""
    from mynacard.client import approve as ap

    try:
        request = ap.fetch(link)
    except MynaError as e:
        raise fail(e) from None
    asks = {"name": "氏名 name", "address": "住所 address", "birthdate": "生年月日 birth date", "gender": "性別 sex"}
    site = f"[bold]{escape(request['client_name'])}[/] ({escape(request['client_id'])})"
    console.print(f"{site} asks for / が求めています:")
    console.print("  - 利用者証明用電子証明書による本人確認 (login with the authentication certificate)")
    for a in request.get("attributes", []):
        console.print(f"  - {asks.get(a, a)} (from the signing certificate / 署名用電子証明書から)")
    if request.get("sign"):
        console.print(f"  - 電子署名 (a signature over the document digest {escape(request['sign']['digest'])})")
    if not yes and not typer.confirm("承認しますか? Approve?", default=False):
        console.print("Not approved. 承認しませんでした。")
        raise typer.Exit(1)
    with session(ctx) as card:
        auth_pin = ask_pin(card, PinId.AUTH, pin)
        password = ask_pin(card, PinId.SIGN, sign_pin) if request.get("needs_signing_certificate") else None
        signatures = ap.answer(card, request, auth_pin, password)
    try:
        result = ap.send(link, signatures)
    except MynaError as e:
        raise fail(e) from None
    done = "Approved: return to the browser. 承認しました。ブラウザーに戻ってください。"
    emit(ctx, result, lambda _: console.print(done))


def _signed(op: sig.CardOperation, out: Path) -> None:
    assert op.cert is not None
    console.print(
        f"Signed on the card with the {op.slot.value} key ({op.cert.subject.rfc4514_string()}); wrote {out}. "
        "署名しました。"
    )


__all__ = ["WrongPin", "client_app"]
