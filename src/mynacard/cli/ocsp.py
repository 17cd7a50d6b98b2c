"""``mynacard ocsp``: the OCSP responder's upkeep (R_CERT_8)."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from mynacard.cli.app import MAX_REFRESH_EVERY, emit, fail, opts
from mynacard.errors import MynaError

ocsp_app = typer.Typer(help="OCSP responder upkeep: sign the pre-signed responses again before they grow old.",
                       no_args_is_help=True)


@ocsp_app.command("refresh")
def refresh_cmd(
    ctx: typer.Context,
    every: Annotated[float, typer.Option(min=0, max=MAX_REFRESH_EVERY, help="Run again every this many "
                                                                            "seconds (0: once; at most 6 h)")] = 0,
    missing: Annotated[bool, typer.Option("--missing", help="Also sign the certificates that have no "
                                                          "response yet (warms a new responder)")] = False,
    batch: Annotated[int, typer.Option(min=1, max=100_000, help="Responses per transaction")] = 500,
) -> None:
    """Sign again every pre-signed OCSP response that is within six hours of its nextUpdate or
    says an old status; with --every, keep doing it (what ``mynacard serve`` runs by itself)."""
    from mynacard.services.revocation.refresh import refresh

    o = opts(ctx)
    office = o.office()
    while True:
        try:
            done = refresh(office, at=o.now(), batch=batch, missing=missing)
        except MynaError as e:
            raise fail(e) from None
        emit(ctx, {"signed_again": done.signed, "signed_missing": done.missing, "changes_pruned": done.pruned})
        if not every:
            return
        time.sleep(every)
