"""``mynacard bulk-load N``: synthetic residents, cards and certificates at national scale."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from mynacard.cli.app import console, emit, fail, opts
from mynacard.errors import MynaError


def bulk_load(
    ctx: typer.Context,
    n: Annotated[int, typer.Argument(min=1, max=200_000_000, help="How many synthetic residents to create")],
    workers: Annotated[int | None, typer.Option(min=1, help="Signing processes (default: one per core)")] = None,
    chunk: Annotated[int, typer.Option(min=1, max=100_000, help="Residents per transaction")] = 2000,
    key_pool: Annotated[int, typer.Option(min=1, max=10_000, help="Chip key pairs generated once and reused")] = 64,
    municipalities: Annotated[int, typer.Option(min=1, max=4747, help="Synthetic municipalities")] = 200,
    allow_real_data: Annotated[
        bool, typer.Option(help="Add synthetic residents to a store that holds real ones (never changes them)")
    ] = False,
) -> None:
    """Create N synthetic residents with their cards and both certificates, really signed by the
    sandbox CA; a share of them moved, lost, renewed and revoked. Chip key pairs come from a pool
    generated once (--key-pool). COPY on PostgreSQL, signing in worker processes. Refuses a store
    with real data unless --allow-real-data; never deletes or changes anything."""
    from mynacard.bulk.load import Report, load

    o = opts(ctx)
    office = o.office()
    at = o.now()
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                        console=console, disable=o.json)
    state = {"cards": 0, "certs": 0}

    def start(rep: Report) -> None:
        if not o.json:
            console.print(
                f"Loading {n:,} synthetic residents into {rep.engine} from resident ID {rep.first_id:,}, "
                f"{rep.workers} signing process(es). Chip keys: a pool of {rep.pool_size} RSA-2048 key pairs "
                "generated once for this load and shared by the synthetic chips (certificates are issued and "
                "signed one by one by the sandbox CA).")

    with progress:
        task = progress.add_task("residents", total=n, rate="")

        def chunk_done(count: int, counts: dict[str, int]) -> None:
            state["cards"] += counts["cards"]
            state["certs"] += counts["certificates"]
            elapsed = progress.tasks[task].elapsed or 1.0
            progress.update(task, advance=count,
                            rate=f"{state['cards']:,} cards, {state['certs']:,} certs, "
                                 f"{state['cards'] / elapsed:,.0f} cards/s")

        try:
            rep = load(office, n, at=at, workers=workers, chunk_size=chunk, pool_size=key_pool,
                       municipalities=municipalities, allow_real=allow_real_data, on_start=start,
                       on_chunk=chunk_done)
        except MynaError as e:
            raise fail(e) from None
    emit(ctx, {"residents": rep.residents, "first_resident_id": rep.first_id, **rep.counts,
               "seconds": round(rep.seconds, 1), "cards_per_second": round(rep.counts["cards"] / rep.seconds, 1),
               "key_pool": f"{rep.pool_size} RSA-2048 chip key pairs generated once and reused",
               "workers": rep.workers, "engine": rep.engine})
