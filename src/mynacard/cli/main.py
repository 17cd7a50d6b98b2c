"""The ``mynacard`` command: the window, the hotline, J-LIS and the CA from the command line."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from mynacard.cli import ops
from mynacard.cli.admin import admin_app, audit_app
from mynacard.cli.app import Options, at_callback
from mynacard.cli.backup import backup_cmd, restore_cmd
from mynacard.cli.bulk import bulk_load
from mynacard.cli.ca import ca_app
from mynacard.cli.cards import card_app
from mynacard.cli.certs import cert_app
from mynacard.cli.client import client_app
from mynacard.cli.kiosk import kiosk_app
from mynacard.cli.login import login_app
from mynacard.cli.residents import municipality_app, resident_app
from mynacard.cli.serve import serve
from mynacard.cli.vcard import vcard_app
from mynacard.cli.verify import rp_app, verify_cmd

app = typer.Typer(
    help="mynacard: Japan's My Number Card (マイナンバーカード) and JPKI, runnable at any simulated date.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def main(
    ctx: typer.Context,
    db: Annotated[str, typer.Option(envvar="MYNACARD_DB", help="SQLite file path or SQLAlchemy URL")] = "mynacard.db",
    at: Annotated[
        str | None, typer.Option(envvar="MYNACARD_AT", help="Simulated time, e.g. 2031-05-10T09:00 (Japan time)")
    ] = None,
    json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts")] = False,
    actor: Annotated[str, typer.Option(envvar="MYNACARD_ACTOR", help="Who is acting (for the event log)")] = "",
    base_url: Annotated[
        str, typer.Option(envvar="MYNACARD_BASE_URL", help="Base URL of CRLs and OCSP in certificates")
    ] = "http://127.0.0.1:8000",
) -> None:
    ctx.obj = Options(
        db=db, at=at_callback(at), json=json, actor=actor or os.environ.get("USER", "clerk"), base_url=base_url
    )


app.add_typer(municipality_app, name="municipality")
app.add_typer(resident_app, name="resident")
app.add_typer(card_app, name="card")
app.add_typer(cert_app, name="cert")
app.add_typer(ops.hotline_app, name="hotline")
app.add_typer(ops.pin_app, name="pin")
app.command("batch")(ops.batch_daily)
app.command("events")(ops.events)
app.command("renewals")(ops.renewals_cmd)
app.command("export")(ops.export_cmd)
app.add_typer(admin_app, name="admin")
app.add_typer(audit_app, name="audit")
app.add_typer(ca_app, name="ca")
app.command("backup")(backup_cmd)
app.command("restore")(restore_cmd)
app.add_typer(vcard_app, name="vcard")
app.add_typer(client_app, name="client")
app.add_typer(login_app, name="login")
app.add_typer(kiosk_app, name="kiosk")
app.command("serve")(serve)
app.command("verify")(verify_cmd)
app.add_typer(rp_app, name="rp")
app.command("bulk-load")(bulk_load)


@app.command("demo")
def demo(
    ctx: typer.Context,
    fresh: Annotated[
        bool,
        typer.Option(
            help="Start again: delete the store if the demo made it (a store with other data is never "
            "touched; without --db the demo uses its own mynacard-demo.db)"
        ),
    ] = True,
) -> None:
    """A narrated story at simulated dates: apply, sign, move, lose at 3 a.m., find, renew, a child."""
    from mynacard.cli.demo import run_demo

    run_demo(ctx, fresh=fresh)


if __name__ == "__main__":
    app()
