"""``mynacard ca ceremony``: create the two root CAs, with keys sealed in the store or made in a
PKCS#11 token, and print their fingerprints for the witnesses."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from mynacard.cli.app import console, emit, fail, opts, work
from mynacard.errors import MynaError

ca_app = typer.Typer(help="The certification authorities (認証局): the key ceremony.", no_args_is_help=True)


@ca_app.command("ceremony")
def ceremony_cmd(
    ctx: typer.Context,
    token: Annotated[
        str | None,
        typer.Option(help="Label of a PKCS#11 token to generate the CA keys in (default: sealed in the store)"),
    ] = None,
    module: Annotated[
        str | None,
        typer.Option(envvar="MYNACARD_PKCS11_MODULE", help="PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so"),
    ] = None,
    pin: Annotated[
        str | None, typer.Option(envvar="MYNACARD_PKCS11_PIN", help="The token's user PIN (asked if not set)")
    ] = None,
    years: Annotated[int, typer.Option(help="Validity of the roots in years")] = 20,
) -> None:
    """Create the signing and authentication CAs (once), print their SHA-256 fingerprints and
    record the ceremony in the audit trail.

    With --token the keys are generated inside the token and never leave it; the office then
    needs MYNACARD_PKCS11_MODULE and MYNACARD_PKCS11_PIN to sign.
    """
    from mynacard import hsm
    from mynacard.services.ceremony import ceremony

    tok = None
    if token is not None:
        if pin is None:
            pin = typer.prompt("PKCS#11 user PIN", hide_input=True)
        try:
            tok = hsm.open_token(token, module=module, pin=pin)
        except MynaError as e:
            raise fail(e) from None
    with work(ctx, actor=opts(ctx).actor) as w:
        made = ceremony(w, token=tok, years=years)
    data = [
        {
            "kind": m.kind,
            "subject": m.subject,
            "sha256_fingerprint": m.fingerprint,
            "key_store": m.key_store,
            "not_before": m.not_before.isoformat(),
            "not_after": m.not_after.isoformat(),
        }
        for m in made
    ]
    emit(ctx, data, _render)


def _render(rows: list[dict[str, Any]]) -> None:
    table = Table(title="鍵生成式 (key ceremony): new root CAs")
    for col in ("kind", "subject", "sha256_fingerprint", "key_store", "not_after"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(*(str(r[c]) for c in ("kind", "subject", "sha256_fingerprint", "key_store", "not_after")))
    console.print(table)
    console.print("Compare the fingerprints with: openssl x509 -in ca.pem -noout -fingerprint -sha256")
