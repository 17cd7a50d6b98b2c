"""``mynacard import FILE.csv``: residents (and with --issue-cards their cards) from a CSV file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from mynacard.cli import render
from mynacard.cli.app import console, emit, err_console, fail, opts
from mynacard.errors import MynaError, ValidationError


def import_cmd(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A CSV file with a header row (UTF-8); see README.md for the columns")],
    issue_cards: Annotated[
        bool, typer.Option(help="Also apply for, make and hand over a card for each resident (PIN columns needed)")
    ] = False,
    batch_size: Annotated[int, typer.Option(min=1, max=10_000, help="Rows per transaction")] = 500,
) -> None:
    """Load residents from a CSV file in batched transactions; refused rows are reported (row, field,
    reason) and the good rows are kept. Exit code 1 when a row was refused."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from mynacard import audit
    from mynacard.results import import_dict
    from mynacard.services.csvimport import import_rows, read_rows

    o = opts(ctx)
    try:
        with file.open(encoding="utf-8-sig", newline="") as f:
            total = max(sum(1 for _ in f) - 1, 0)
    except (OSError, UnicodeDecodeError) as e:
        raise fail(ValidationError(
            "file", f"Cannot read {str(file)!r}: {getattr(e, 'strerror', None) or e}. Give a UTF-8 CSV file.",
            "CSVファイルを読めません。パスと文字コード(UTF-8)を確認してください。",
        )) from None
    office = o.office()
    at, actor = o.now(), o.actor
    try:
        with file.open(encoding="utf-8-sig", newline="") as f, Progress(
            TextColumn("取込 import"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
            console=err_console, disable=o.json, transient=False,
        ) as bar:
            task = bar.add_task("import", total=total)
            rep = import_rows(office, read_rows(f, issue_cards=issue_cards), at=at, actor=actor,
                              issue_cards=issue_cards, batch_size=batch_size,
                              progress=lambda n: bar.advance(task, n))
    except MynaError as e:
        if o.json:
            import json

            typer.echo(json.dumps({"error": e.to_dict()}, ensure_ascii=False), err=True)
            raise typer.Exit(2) from None
        raise fail(e) from None
    audit.append(office.store, at=at, actor=actor[:64] or "cli", role="cli", action="cli.import",
                 target=f"file:{file.name}"[:100], rows=rep.rows, loaded=len(rep.residents),
                 refused=len(rep.refused), cards=len(rep.cards))
    data = import_dict(rep)

    def show(d: dict[str, Any]) -> None:
        console.print(d["message_ja"])
        console.print(f"{d['loaded']} of {d['rows']} rows loaded, {d['cards_issued']} cards issued, "
                             f"{len(d['refused'])} refused.")
        if d["refused"]:
            render.rows(d["refused"], ["row", "field", "reason", "reason_ja"])

    emit(ctx, data, show)
    if rep.refused:
        raise typer.Exit(1)
