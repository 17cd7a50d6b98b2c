"""Commands for certificates, CRLs and OCSP (R_CERT_*)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mynacard.cli import render
from mynacard.cli.app import emit, fail, opts, read_pin, work, write_file
from mynacard.cli.residents import SIGNING_PASSWORD
from mynacard.db import repositories as repo
from mynacard.handover import receipt_out
from mynacard.present import card_view, cert_dict
from mynacard.results import card_result_dict, cert_result_dict

cert_app = typer.Typer(help="Certificates (電子証明書): issue, renew, revoke, CRL, OCSP.", no_args_is_help=True)
KindArg = Annotated[str, typer.Argument(help="sign (署名用) or auth (利用者証明用)")]


@cert_app.command("issue")
def cert_issue(
    ctx: typer.Context,
    card_id: str,
    kind: KindArg,
    pin: Annotated[
        str | None, typer.Option(help="The new key's PIN or password; asked with a hidden prompt when left out")
    ] = None,
) -> None:
    """Issue a certificate on a card that has none of that kind: one the holder declined or
    revoked, or a new signing one after a move (R_CERT_10); its fee where one applies."""
    from mynacard.services import certificates

    secret = read_pin(ctx, pin, SIGNING_PASSWORD if kind == "sign" else "利用者証明用電子証明書の暗証番号 / auth PIN")
    with work(ctx) as w:
        added = certificates.add(w, card_id, kind, pin=secret)
        data = cert_result_dict("issue", added.certificate, card_view(w.session, _card(w, card_id)))
        data["receipt"] = receipt_out(added.receipt)
    emit(ctx, data, render.cert_result)


def _card(w, card_id: str):  # type: ignore[no-untyped-def]
    from mynacard.services.common import card

    return card(w, card_id, for_update=False)


@cert_app.command("renew")
def cert_renew(
    ctx: typer.Context,
    card_id: str,
    kind: KindArg,
    pin: Annotated[str | None, typer.Option(help="Set a new PIN for the new key ('-' asks for it)")] = None,
) -> None:
    """Renew a certificate inside its 3-month window (R_CERT_3)."""
    from mynacard.services import certificates

    secret = read_pin(ctx, pin, SIGNING_PASSWORD if kind == "sign" else "暗証番号 / PIN") if pin else None
    with work(ctx) as w:
        cert = certificates.renew(w, card_id, kind, pin=secret)
        data = cert_result_dict("renew", cert, card_view(w.session, _card(w, card_id)))
    emit(ctx, data, render.cert_result)


@cert_app.command("revoke")
def cert_revoke(ctx: typer.Context, card_id: str, kind: KindArg) -> None:
    """Revoke a certificate at the holder's request, or one on hold (R_CERT_6)."""
    from mynacard.services import certificates

    with work(ctx) as w:
        cert = certificates.revoke(w, card_id, kind)
        data = cert_result_dict("revoke", cert, card_view(w.session, _card(w, card_id)))
    emit(ctx, data, render.cert_result)


@cert_app.command("revoke-held")
def cert_revoke_held(ctx: typer.Context, card_id: str) -> None:
    """Revoke both held certificates of a suspended card instead of releasing them (R_CERT_6)."""
    from mynacard.services import loss

    with work(ctx) as w:
        done = loss.revoke_after_hold(w, card_id)
        data = card_result_dict("revoke_held", card_view(w.session, _card(w, card_id)), done)
    emit(ctx, data, render.card)


@cert_app.command("release")
def cert_release(ctx: typer.Context, card_id: str, kind: KindArg) -> None:
    """Release the hold of one certificate."""
    from mynacard.services import certificates

    with work(ctx) as w:
        cert = certificates.release(w, card_id, kind)
        data = cert_result_dict("release", cert, card_view(w.session, _card(w, card_id)))
    emit(ctx, data, render.cert_result)


@cert_app.command("show")
def cert_show(
    ctx: typer.Context,
    serial: Annotated[str, typer.Argument(help="Serial number in hex (or its first 8 or more digits)")],
    pem: Annotated[
        bool, typer.Option(help="Print only the certificate as PEM (pipe it to `openssl x509 -noout -text`)")
    ] = False,
) -> None:
    """A certificate's status (and PEM)."""
    with work(ctx) as w:
        c = _cert(serial, w)
        data = cert_dict(c)
        if pem:
            from cryptography import x509
            from cryptography.hazmat.primitives.serialization import Encoding

            data["pem"] = x509.load_der_x509_certificate(c.der).public_bytes(Encoding.PEM).decode()
    if pem and not opts(ctx).json:
        typer.echo(data["pem"], nl=False)  # nothing but the PEM block
        return
    emit(ctx, data, render.certificate)


def _cert(serial: str, w):  # type: ignore[no-untyped-def]
    """The certificate of a whole serial or of a unique prefix of at least 8 hex digits."""
    return repo.certificate_by_serial(w.session, serial)


@cert_app.command("ocsp")
def cert_ocsp(
    ctx: typer.Context,
    serial: str,
    out: Annotated[Path | None, typer.Option(help="Write the DER response here")] = None,
) -> None:
    """Answer an OCSP query for a certificate: good / revoked / hold (R_CERT_8), with the response
    the office's OCSP service serves (signed by the delegated responder)."""
    from cryptography.hazmat.primitives.serialization import Encoding
    from cryptography.x509 import ocsp

    from mynacard.services import revocation

    with work(ctx) as w:
        c = _cert(serial, w)
        resp = revocation.response(w, c)
    if out:
        write_file(out, resp.public_bytes(Encoding.DER))
    status = resp.certificate_status
    data = {
        "serial": format(c.serial, "x"),
        "status": status.name.lower(),
        "revocation_reason": resp.revocation_reason.name
        if status == ocsp.OCSPCertStatus.REVOKED and resp.revocation_reason
        else None,
    }
    emit(ctx, data)


@cert_app.command("crl")
def cert_crl(
    ctx: typer.Context,
    kind: KindArg,
    out: Annotated[Path, typer.Option(help="Output file (DER)")],
    municipality: Annotated[str | None, typer.Option(help="Only this municipality's partition")] = None,
) -> None:
    """Write the current CRL of a CA (holds as certificateHold, R_CERT_8): the one the office's
    CRL distribution point serves."""
    from cryptography import x509

    if kind not in ("sign", "auth"):
        raise typer.BadParameter(f"{kind!r} is not a CA: use sign or auth", param_hint="KIND")
    if municipality is not None and not (len(municipality) == 6 and municipality.isascii() and municipality.isdigit()):
        raise typer.BadParameter("a municipality code is 6 digits", param_hint="--municipality")
    from mynacard.services import revocation

    with work(ctx) as w:
        der = revocation.full_crl(w, kind, municipality or "")
    write_file(out, der)
    crl = x509.load_der_x509_crl(der)
    emit(
        ctx,
        {
            "file": str(out),
            "entries": len(crl),
            "number": crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number,
        },
    )


__all__ = ["cert_app", "fail"]
