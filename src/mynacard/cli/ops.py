"""Commands of the hotline, PINs, the daily batch, the event log and export."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mynacard.cli import render
from mynacard.cli.app import MAX_ID, console, emit, parse_date_opt, read_pin, work
from mynacard.db import repositories as repo
from mynacard.errors import ValidationError
from mynacard.present import renewals_dicts, suspension_dict
from mynacard.results import batch_dict, event_dict
from mynacard.timeutil import jst_date

#: The screens' names of the four secrets: the signing one is a password (パスワード), the others PINs.
PIN_LABELS = {
    "sign": "署名用電子証明書のパスワード / signing password",
    "auth": "利用者証明用電子証明書の暗証番号 / auth PIN",
    "resident": "住民基本台帳用の暗証番号 / resident PIN",
    "card_info": "券面事項入力補助用の暗証番号 / card-info PIN",
}

hotline_app = typer.Typer(
    help="The 24/7 hotline (0120-95-0178): suspend a lost card at any hour.", no_args_is_help=True
)
pin_app = typer.Typer(help="PINs (暗証番号): tries left, reset at the window, change.", no_args_is_help=True)


@hotline_app.command("suspend")
def hotline_suspend(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="The caller's name")],
    birth: Annotated[str, typer.Option(help="Date of birth, YYYY-MM-DD")],
    address: Annotated[str | None, typer.Option()] = None,
    number: Annotated[str | None, typer.Option(help="Individual number, if the caller knows it")] = None,
) -> None:
    """Suspend the card and hold both certificates after the identity questions (R_LOSS_1)."""
    from mynacard.services import loss

    with work(ctx, actor="hotline") as w:
        s = loss.hotline_suspend(
            w,
            name=name,
            birth_date=parse_date_opt(birth, "--birth"),  # type: ignore[arg-type]
            address=address,
            individual_number=number,
        )
        data = suspension_dict(s)
    emit(ctx, data, render.suspension)


@pin_app.command("tries")
def pin_tries(ctx: typer.Context, card_id: str) -> None:
    """Tries left for the four PINs, spending none (R_PIN_7)."""
    from mynacard.services import pins

    with work(ctx) as w:
        data = pins.tries_left(w, card_id)

    def show(d: dict) -> None:
        render.rows([{"pin": k, "name": PIN_LABELS.get(k, k), "tries left 残り回数": v} for k, v in d.items()])

    emit(ctx, data, show)


@pin_app.command("reset")
def pin_reset(
    ctx: typer.Context,
    card_id: str,
    pin: Annotated[str, typer.Argument(help="sign / auth / resident / card_info")],
    id_doc: Annotated[list[str], typer.Option(help="Identity document(s)")],
    new: Annotated[str | None, typer.Option(help="The new PIN; asked twice with a hidden prompt when left out")] = None,
) -> None:
    """Reset or unlock a PIN at the window after identity verification (R_PIN_5)."""
    from mynacard.handover import pin_reset_dict
    from mynacard.services import pins

    value = read_pin(ctx, new, "新しい" + PIN_LABELS.get(pin, "暗証番号"), confirm=True)
    with work(ctx) as w:
        data = pin_reset_dict(pins.reset(w, card_id, pin, value, identity_documents=id_doc))
    emit(ctx, data)


@pin_app.command("change")
def pin_change(
    ctx: typer.Context,
    card_id: str,
    pin: Annotated[str, typer.Argument()],
    old: Annotated[str | None, typer.Option(help="The current PIN (hidden prompt when left out)")] = None,
    new: Annotated[str | None, typer.Option(help="The new PIN (asked twice when left out)")] = None,
) -> None:
    """Change a PIN after entering the current one (R_PIN_6). A wrong PIN spends a try.
    With ``mynacard --pin-stdin`` the current PIN and then the new one are read from stdin."""
    from mynacard.services import pins

    label = PIN_LABELS.get(pin, "暗証番号")
    current = read_pin(ctx, old, "現在の" + label)
    value = read_pin(ctx, new, "新しい" + label, confirm=True)
    with work(ctx) as w:
        pins.change(w, card_id, pin, current, value)
    emit(ctx, {"card": card_id, "pin": pin, "changed": True})


def batch_daily(
    ctx: typer.Context,
    chunk: Annotated[int | None, typer.Option(
        min=1, max=1_000_000, help="National scale: commit every N rows with a checkpoint (resumable), "
        "show a progress bar and print counts instead of lists")] = None,
) -> None:
    """The daily batch: expire, lapse, and the expiry notices due (R_USE_3)."""
    if chunk is not None:
        _batch_chunked(ctx, chunk)
        return
    from mynacard.services import batch

    with work(ctx, actor="batch") as w:
        data = batch_dict(batch.daily(w))
    emit(ctx, data, render.batch)


def _batch_chunked(ctx: typer.Context, chunk: int) -> None:
    from rich.progress import Progress

    from mynacard.cli.app import fail, opts
    from mynacard.errors import MynaError
    from mynacard.services import batch

    o = opts(ctx)
    with Progress(console=console, disable=o.json) as progress:
        task = progress.add_task("batch", total=None)
        try:
            rep = batch.run_daily(o.office(), at=o.now(), actor="batch", chunk=chunk,
                                  progress=lambda step, n: progress.update(task, advance=n, description=step))
        except MynaError as e:
            raise fail(e) from None
    emit(ctx, {**rep.counts, "resumed_from": rep.resumed_from})


def events(
    ctx: typer.Context,
    resident: Annotated[int | None, typer.Option(min=1, max=MAX_ID, help="Only this resident")] = None,
    card: Annotated[str | None, typer.Option(help="Only this card")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="At most this many events (1-100000)")] = 200,
) -> None:
    """The append-only event log: who did what, when."""
    with work(ctx) as w:
        rows = [event_dict(e) for e in repo.events(w.session, resident_id=resident, card_id=card, limit=limit)]
    emit(ctx, rows, render.events)


def renewals_cmd(
    ctx: typer.Context,
    municipality: Annotated[str | None, typer.Option(help="Only this municipality's residents (6-digit code)")] = None,
    until: Annotated[str | None, typer.Option(help="Window open by this day, YYYY-MM-DD (default: today)")] = None,
    since: Annotated[str | None, typer.Option(help="Leave out what expired before this day, YYYY-MM-DD")] = None,
) -> None:
    """Cards and certificates whose renewal window is open (3 months before expiry)."""
    from mynacard.services import renewals

    last, first = parse_date_opt(until, "--until"), parse_date_opt(since, "--since")
    with work(ctx) as w:
        rows = renewals_dicts(
            renewals.renewals_due(w, municipality_code=municipality, until=last or jst_date(w.at), since=first)
        )
    emit(
        ctx,
        rows,
        lambda rs: [
            console.print(f"{r['card_id']} {r['resident_name']} [cyan]{d['what_ja']}[/] {d['expires_on']}"
                          f"({d['expires_on_wareki']})")
            for r in rs
            for d in r["due"]
        ] or console.print("更新対象はありません。"),
    )


def export_cmd(ctx: typer.Context, directory: Annotated[Path, typer.Argument(help="Output directory")]) -> None:
    """Write CA certificates, issued certificates, CRLs (DER) and OCSP responses to DIRECTORY."""
    from mynacard.services.export import export

    with work(ctx, actor="export") as w:
        try:
            rep = export(w, directory)
        except OSError as e:
            raise ValidationError(
                "directory",
                f"Cannot write the export to {str(directory)!r}: {e.strerror or e}. Name a folder you may write.",
                "出力先のフォルダに書き込めません。パスを確認してください。",
            ) from None
        data = {
            "directory": str(directory),
            "ca": len(rep.ca),
            "certs": len(rep.certs),
            "crls": len(rep.crls),
            "ocsp": len(rep.ocsp),
        }
    emit(ctx, data)
