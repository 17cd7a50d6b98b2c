"""``mynacard kiosk``: the convenience-store kiosk terminal (コンビニ交付) at the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mynacard.chip import PinId
from mynacard.cli.app import console, emit, fail, opts
from mynacard.cli.client import ask_pin, session
from mynacard.errors import MynaError

kiosk_app = typer.Typer(
    help="The convenience-store kiosk: a 住民票の写し with the card (コンビニ交付).", no_args_is_help=True
)


@kiosk_app.command("issue")
def issue(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the sealed PDF")],
    card: Annotated[
        str | None, typer.Option(help="A card of the store, in-process (default: the PC/SC reader)")
    ] = None,
    reader: Annotated[str | None, typer.Option(help="PC/SC reader (part of its name)")] = None,
    pin: Annotated[str | None, typer.Option("--pin", help="Authentication PIN (asked when omitted)")] = None,
) -> None:
    """Read the card, take its authentication PIN, and print a 住民票の写し sealed by the municipality."""
    from mynacard.client import approve as ap
    from mynacard.services import kiosk

    o = opts(ctx)
    ctx.meta["client.card"], ctx.meta["client.reader"] = card, reader
    now = o.now()
    office = o.office()
    with session(ctx) as jpki:
        value = ask_pin(jpki, PinId.AUTH, pin)
        try:
            token = kiosk.terminal_login(office, now, lambda challenge: ap.answer(jpki, challenge, value))
            with office.work(at=now, actor="kiosk") as w:
                issued = kiosk.issue(w, token)
        except MynaError as e:
            raise fail(e) from None
    out.write_bytes(issued.pdf)
    emit(
        ctx,
        {"document": issued.number, "fee": issued.fee, "file": str(out)},
        lambda d: console.print(
            f"住民票の写しを発行しました: {d['file']} (証明書番号 {d['document']}, 手数料 {d['fee']:,}円)"
        ),
    )
