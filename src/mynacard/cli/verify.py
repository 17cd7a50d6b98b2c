"""``mynacard verify FILE``: the verdict on a signed file; ``mynacard rp …``: relying parties."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from cryptography import x509
from rich.markup import escape

from mynacard.cli.app import console, emit, opts, work
from mynacard.relying import service as rp_service
from mynacard.timeutil import JST
from mynacard.verify import HttpSource, RevocationChecker, Trust, Verdict, verify
from mynacard.verify.core import MAX_INPUT_BYTES
from mynacard.verify.office import OfficeVerifier

rp_app = typer.Typer(help="Relying parties (署名検証者): registration, consents, notifications", no_args_is_help=True)


def _iso(t: datetime) -> str:
    """An instant in Japan time, ISO 8601."""
    return t.astimezone(JST).isoformat()


def _read(path: Path, what: str) -> bytes:
    if path.stat().st_size > MAX_INPUT_BYTES:
        return b"\0" * (MAX_INPUT_BYTES + 1)  # judged malformed (too large) without reading it all
    return path.read_bytes()


def _certs(paths: list[Path]) -> list[x509.Certificate]:
    out = []
    for p in paths:
        data = p.read_bytes()
        try:
            out.append(
                x509.load_pem_x509_certificate(data) if b"-----BEGIN" in data else x509.load_der_x509_certificate(data)
            )
        except ValueError:
            raise typer.BadParameter(f"{p} is not a certificate (PEM or DER)") from None
    return out


def verify_cmd(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="The signature: .p7s/.p7m (CMS), PDF or XML")
    ],
    content: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="The signed document of a detached CMS signature")
    ] = None,
    ca: Annotated[
        list[Path] | None,
        typer.Option(
            "--ca",
            exists=True,
            dir_okay=False,
            help="Trust this signing CA (PEM/DER) and fetch OCSP/CRLs over HTTP, instead of the office's store",
        ),
    ] = None,
    auth_ca: Annotated[
        list[Path] | None,
        typer.Option("--auth-ca", exists=True, dir_okay=False, help="With --ca: the authentication CA (to name it)"),
    ] = None,
    tsa_root: Annotated[
        list[Path] | None, typer.Option("--tsa-root", exists=True, dir_okay=False, help="With --ca: a trusted TSA root")
    ] = None,
    seal_root: Annotated[
        list[Path] | None,
        typer.Option("--seal-root", exists=True, dir_okay=False, help="With --ca: a trusted root of municipal seals"),
    ] = None,
) -> None:
    """Verify a signature made with the card. Exit code 0: valid; 1: not valid (the verdict says
    why: revoked, on_hold, expired, not_yet_valid, wrong_key_usage, unknown_ca, altered, malformed)."""
    o = opts(ctx)
    at = o.now()
    data = _read(file, "file")
    doc = _read(content, "content") if content is not None else None
    if ca:
        trust = Trust(
            signing_roots=_certs(ca),
            auth_roots=_certs(auth_ca or []),
            tsa_roots=_certs(tsa_root or []),
            seal_roots=_certs(seal_root or []),
        )
        verdict = verify(data, at=at, trust=trust, revocation=RevocationChecker(HttpSource()), content=doc)
    else:
        with work(ctx):
            pass  # the store exists and migrates; errors are mapped once
        verdict = OfficeVerifier(o.office(), at=at).verify(data, at=at, content=doc)
    emit(ctx, verdict.to_dict(), lambda _: _render(verdict))
    raise typer.Exit(0 if verdict.valid else 1)


def _render(v: Verdict) -> None:
    colour = "green" if v.valid else "red"
    console.print(f"[bold {colour}]{v.status.value}[/] {escape(v.message)}")
    console.print(f"  {v.message_ja}")
    if v.format:
        console.print(f"  format: {v.format}")
    if v.signer is not None:
        s = v.signer
        console.print(f"  signer: {escape(s.name)} / {s.birth_date} / sex {s.sex} / {escape(s.address)}")
    if v.certificate_serial is not None:
        console.print(f"  certificate: {v.certificate_kind or '?'} {v.certificate_serial:x}")
    if v.timestamp:
        console.print(f"  timestamp: {_iso(v.timestamp)}")
    if v.revocation is not None:
        r = v.revocation
        console.print(
            f"  status at {_iso(r.at)}: {r.status} ({r.source})"
            + (f", {r.reason} since {_iso(r.revoked_at)}" if r.revoked_at else "")
        )
    if v.revocation_now is not None and v.revocation_now != v.revocation:
        r = v.revocation_now
        console.print(
            f"  status now: {r.status}" + (f", {r.reason} since {_iso(r.revoked_at)}" if r.revoked_at else "")
        )


@rp_app.command("register")
def rp_register(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The relying party's name")],
    webhook: Annotated[str | None, typer.Option(help="URL that receives revocation notifications")] = None,
) -> None:
    """Register a relying party; prints its client ID and secret (shown once only)."""
    with work(ctx) as w:
        reg = rp_service.register(w, name, webhook_url=webhook)
        out = {
            "client_id": reg.relying_party.client_id,
            "name": reg.relying_party.name,
            "secret": reg.secret,
            "webhook_url": reg.relying_party.webhook_url,
            "webhook_secret": reg.webhook_secret,
        }
    emit(ctx, out)


@rp_app.command("list")
def rp_list(ctx: typer.Context) -> None:
    """The registered relying parties."""
    with work(ctx) as w:
        out = [
            {"client_id": p.client_id, "name": p.name, "webhook_url": p.webhook_url, "active": p.active}
            for p in rp_service.parties(w)
        ]
    emit(
        ctx,
        out,
        lambda rows: [console.print(f"{r['client_id']}  {escape(r['name'])}  {r['webhook_url'] or ''}") for r in rows],
    )


def _serial(w, text: str) -> int:  # type: ignore[no-untyped-def]
    """A whole hex serial or a unique prefix of at least 8 digits (``repositories.certificate_by_serial``)."""
    from mynacard.db import repositories as repo

    return repo.certificate_by_serial(w.session, text).serial


@rp_app.command("consent")
def rp_consent(
    ctx: typer.Context,
    client_id: Annotated[str, typer.Argument(help="The relying party")],
    serial: Annotated[str, typer.Argument(help="A certificate of the holder (hex serial, or 8+ leading digits)")],
    withdraw: Annotated[bool, typer.Option(help="Withdraw the consent instead")] = False,
) -> None:
    """Record (at the window) a holder's consent that the RP may receive their latest attributes."""
    with work(ctx) as w:
        rp = rp_service.by_client_id(w, client_id)
        if withdraw:
            rp_service.withdraw_consent(w, rp, _serial(w, serial))
        else:
            rp_service.give_consent(w, rp, _serial(w, serial))
    emit(ctx, {"client_id": client_id, "consent": not withdraw})


@rp_app.command("notify")
def rp_notify(ctx: typer.Context) -> None:
    """Push pending revocation notifications to the relying parties' webhooks (run it regularly)."""
    o = opts(ctx)
    with work(ctx):
        pass
    sent = rp_service.deliver(o.office(), at=o.now())
    emit(ctx, sent if o.json else json.dumps(sent))


@rp_app.command("efile-demo")
def rp_efile_demo(
    client_id: Annotated[str, typer.Option(help="The receiver's client ID (from `mynacard rp register`)")],
    secret: Annotated[str, typer.Option(envvar="MYNACARD_EFILE_SECRET", help="Its secret")],
    office: Annotated[str, typer.Option(help="The office's base URL (`mynacard serve`)")] = "http://127.0.0.1:8000",
    store: Annotated[Path, typer.Option(help="The receiver's own SQLite file")] = Path("efile-demo.db"),
    port: Annotated[int, typer.Option(help="Port of the receiver")] = 8200,
) -> None:
    """Run the demo e-filing receiver (電子申告の受付): signed XML returns verified through the
    office's relying-party API, filers followed across renewals and moves."""
    import uvicorn

    from mynacard.web.efile_demo import create_receiver

    console.print(
        f"e-filing receiver at http://127.0.0.1:{port} (client {client_id} of {office}, records in {store}). "
        "電子申告の受付を起動しました。"
    )
    uvicorn.run(
        create_receiver(office, client_id, secret, str(store)), host="127.0.0.1", port=port, log_level="warning"
    )
