"""The ``mynacard`` command: the window, the hotline, J-LIS and the CA from the command line.

Subcommands are loaded lazily (``LazyGroup``): ``mynacard --help`` lists them from the table below
without importing their modules, and a command imports only its own module (``mynacard resident
find`` never loads pyHanko, signxml, FastAPI or the CA). Usage errors (a missing option, a bad
value) are printed in English and Japanese, and as JSON under ``--json``, like workflow errors.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from mynacard.cli.app import Options, at_callback
from mynacard.cli.errors import report_click_error

try:  # Typer 0.2x carries its own copy of Click: its exceptions are the ones raised
    from typer._click import exceptions as click
except ImportError:  # pragma: no cover - older Typer on Click
    from click import exceptions as click  # type: ignore[no-redef]

try:  # Typer 0.2x carries its own copy of Click
    from typer import _click as clickcore
except ImportError:  # pragma: no cover - older Typer on Click
    import click as clickcore  # type: ignore[no-redef]

#: name -> (module, attribute, kind, short help). kind: "app" (a Typer sub-app) or "cmd" (a function).
LAZY: dict[str, tuple[str, str, str, str]] = {
    "municipality": ("mynacard.cli.residents", "municipality_app", "app", "Municipalities (市区町村)."),
    "resident": ("mynacard.cli.residents", "resident_app", "app", "Residents (住民) and their individual numbers."),
    "import": ("mynacard.cli.importer", "import_cmd", "cmd", "Load residents (and cards) from a CSV file."),
    "card": ("mynacard.cli.cards", "card_app", "app", "Cards (個人番号カード)."),
    "cert": ("mynacard.cli.certs", "cert_app", "app", "Certificates (電子証明書): issue, renew, revoke, CRL, OCSP."),
    "hotline": ("mynacard.cli.ops", "hotline_app", "app", "The 24/7 hotline: suspend a lost card at any hour."),
    "pin": ("mynacard.cli.ops", "pin_app", "app", "PINs (暗証番号): tries left, reset at the window, change."),
    "batch": ("mynacard.cli.ops", "batch_daily", "cmd", "The daily batch: expire, lapse, expiry notices."),
    "events": ("mynacard.cli.ops", "events", "cmd", "The append-only event log: who did what, when."),
    "renewals": ("mynacard.cli.ops", "renewals_cmd", "cmd", "Cards and certificates whose renewal window is open."),
    "export": ("mynacard.cli.ops", "export_cmd", "cmd", "Write CA certs, issued certs, CRLs and OCSP to a folder."),
    "admin": ("mynacard.cli.admin", "admin_app", "app", "Staff accounts of the office service (職員アカウント)."),
    "audit": ("mynacard.cli.admin", "audit_app", "app", "The audit log of staff actions and number reads."),
    "ca": ("mynacard.cli.ca", "ca_app", "app", "The certification authorities (認証局): the key ceremony."),
    "backup": ("mynacard.cli.backup", "backup_cmd", "cmd", "Back up the whole store to a file."),
    "restore": ("mynacard.cli.backup", "restore_cmd", "cmd", "Restore a backup into a new, empty store."),
    "vcard": ("mynacard.cli.vcard", "vcard_app", "app", "The virtual card in a PC/SC reader (仮想カード)."),
    "client": ("mynacard.cli.client", "client_app", "app", "The cardholder's client (利用者クライアント)."),
    "login": ("mynacard.cli.login", "login_app", "app", "Relying parties of the card-login provider."),
    "kiosk": ("mynacard.cli.kiosk", "kiosk_app", "app", "The convenience-store kiosk (コンビニ交付)."),
    "serve": ("mynacard.cli.serve", "serve", "cmd", "Serve the JSON API, the window UI, OCSP and CRLs."),
    "serve-ocsp": ("mynacard.cli.serve_ocsp", "serve_ocsp", "cmd", "Serve OCSP and CRLs only (lean)."),
    "bulk-load": ("mynacard.cli.bulk", "bulk_load", "cmd", "Load N synthetic residents, cards and certificates."),
    "ocsp": ("mynacard.cli.ocsp", "ocsp_app", "app", "OCSP upkeep: re-sign pre-signed responses early."),
    "verify": ("mynacard.cli.verify", "verify_cmd", "cmd", "Verify a signature, a certificate or a file."),
    "rp": ("mynacard.cli.verify", "rp_app", "app", "Relying parties (署名検証者): registration, consents."),
}


def load(name: str) -> clickcore.Command:
    """The click command of a lazy subcommand (imports its module)."""
    module, attr, kind, _ = LAZY[name]
    obj = getattr(importlib.import_module(module), attr)
    helper = typer.Typer()  # mounted as before, so a sub-app of one command stays a group
    if kind == "app":
        helper.add_typer(obj, name=name)
    else:
        helper.command(name)(obj)
    helper.command("-")(lambda: None)  # a second command: get_command gives a group to take ours from
    group = typer.main.get_command(helper)
    cmd: clickcore.Command = group.commands[name]  # type: ignore[attr-defined]
    return cmd


class LazyGroup(TyperGroup):
    """A Typer group whose subcommands are imported when invoked, and listed without importing."""

    _listing = False

    def list_commands(self, ctx: clickcore.Context) -> list[str]:
        return list(LAZY) + [n for n in self.commands if n not in LAZY]

    def get_command(self, ctx: clickcore.Context, cmd_name: str) -> clickcore.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        if cmd_name not in LAZY:
            return None
        if self._listing:  # the help page: the short help, nothing imported
            return TyperCommand(name=cmd_name, help=LAZY[cmd_name][3], short_help=LAZY[cmd_name][3])
        cmd = load(cmd_name)
        self.commands[cmd_name] = cmd
        return cmd

    def format_help(self, ctx: clickcore.Context, formatter: clickcore.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        try:
            rv = super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
            code = rv if isinstance(rv, int) and not isinstance(rv, bool) else 0
        except click.ClickException as e:
            code = report_click_error(e, as_json=_wants_json(argv))
        except (typer.Abort, getattr(click, "Abort", typer.Abort)):
            typer.echo("Aborted. / 中止しました。", err=True)
            code = 1
        if standalone_mode:
            sys.exit(code)
        return code


def _wants_json(argv: list[str]) -> bool:
    """``--json`` among the global options (before the subcommand's name)."""
    for a in argv:
        if a == "--json":
            return True
        if a in LAZY or a == "demo":
            return False
    return False


app = typer.Typer(
    cls=LazyGroup,
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
    json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts (errors too, on stderr)")] = False,
    actor: Annotated[str, typer.Option(envvar="MYNACARD_ACTOR", help="Who is acting (for the event log)")] = "",
    base_url: Annotated[
        str, typer.Option(envvar="MYNACARD_BASE_URL", help="Base URL of CRLs and OCSP in certificates")
    ] = "http://127.0.0.1:8000",
    pin_stdin: Annotated[
        bool,
        typer.Option(
            "--pin-stdin",
            help="Read the PINs a command asks for from standard input, one a line, instead of a hidden prompt",
        ),
    ] = False,
) -> None:
    ctx.obj = Options(
        db=db,
        at=at_callback(at),
        json=json,
        actor=actor or os.environ.get("USER", "clerk"),
        base_url=base_url,
        pin_stdin=pin_stdin,
    )


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
