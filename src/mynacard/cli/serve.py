"""``mynacard serve``: the office service (API, window UI, hotline, OCSP, CRLs) under uvicorn."""

from __future__ import annotations

import json
import os
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from mynacard.cli.app import MAX_REFRESH_EVERY, opts

if TYPE_CHECKING:
    from mynacard.web.clock import Clock
    from mynacard.web.ocsp import RevocationFastPath

_WORKER_ENV = "MYNACARD_SERVE_WORKER"


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    frozen: Annotated[bool, typer.Option("--frozen", help="With --at: simulated time stands still "
                                                         "(default: it advances with real time)")] = False,
    max_body: Annotated[int, typer.Option(help="Largest request body in bytes")] = 64 * 1024,
    secure_cookies: Annotated[bool, typer.Option(help="Mark cookies Secure (behind HTTPS)")] = False,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes (each answers OCSP, CRLs and the "
                                                     "API from the same store)")] = 1,
    access_log: Annotated[bool, typer.Option(help="Log every request (off: OCSP at relying-party rates)")] = True,
    refresh_every: Annotated[float, typer.Option(min=0, max=MAX_REFRESH_EVERY, help="Sign the OCSP responses "
                                                             "that grow old again every this many seconds "
                                                             "(0: never; at most six hours; see "
                                                             "`mynacard ocsp refresh`)")] = 300,
) -> None:
    """Serve the JSON API (/docs), the window UI (/), the hotline (/hotline), OCSP and CRLs.

    The base URL (--base-url / MYNACARD_BASE_URL) must be where this server is reached: it is
    written into every certificate's CRL and OCSP URLs. With --at the clock is simulated; with
    several workers each keeps the same simulated clock, started at the same instant (setting
    the clock from the admin API then changes it in one worker only).
    """
    import uvicorn

    o = opts(ctx)
    office = o.office()  # migrates once, before any worker starts
    typer.echo(f"mynacard office service on http://{host}:{port} (certificates name {o.base_url}), "
               f"{workers} worker(s)")
    epoch = time.time()
    if refresh_every:
        _start_refresher(office, o.at, epoch, frozen, refresh_every)
    if workers == 1:
        uvicorn.run(_app(office, o.at, epoch, frozen, max_body, secure_cookies), host=host, port=port,
                    log_level="info", proxy_headers=False, access_log=access_log)
        return
    os.environ[_WORKER_ENV] = json.dumps({
        "db": o.db, "key_file": str(o.key_path()), "base_url": o.base_url,
        "at": o.at.isoformat() if o.at else None, "epoch": epoch, "frozen": frozen,
        "max_body": max_body, "secure_cookies": secure_cookies,
    })
    uvicorn.run("mynacard.cli.serve:worker_app", factory=True, workers=workers, host=host, port=port,
                log_level="info", proxy_headers=False, access_log=access_log)


def _start_refresher(office: object, at: datetime | None, epoch: float, frozen: bool, every: float) -> None:
    """The OCSP refresher in a background thread of the serving (or supervising) process, on the
    same clock as the workers."""
    import threading

    threading.Thread(target=refresh_loop, args=(office, clock_of(at, epoch, frozen), every), name="ocsp-refresh",
                     daemon=True).start()


def clock_of(at: datetime | None, epoch: float, frozen: bool) -> Clock:
    """The clock of a serving process: real time, or ``--at`` as it stood at ``epoch`` (the
    supervisor's start), standing still with ``--frozen``, so that every process agrees."""
    from mynacard.web.clock import Clock

    start = None if at is None else at if frozen else at + timedelta(seconds=time.time() - epoch)
    return Clock(start, advance=not frozen)


def refresh_loop(office: object, clock: Clock, every: float) -> None:
    """Sign again the OCSP responses that grow old, every ``every`` seconds, for ever."""
    import logging

    from mynacard.services.revocation.refresh import refresh

    while True:
        try:
            refresh(office, at=clock.now())  # type: ignore[arg-type]
        except Exception as e:  # keep serving; say why
            logging.getLogger("mynacard.ocsp").warning("OCSP refresh failed: %s", e)
        time.sleep(every)


def _app(office: object, at: datetime | None, epoch: float, frozen: bool, max_body: int,
         secure_cookies: bool) -> RevocationFastPath:
    from mynacard.web.app import create_app
    from mynacard.web.ocsp import front

    return front(create_app(office, clock=clock_of(at, epoch, frozen), max_body=max_body,  # type: ignore[arg-type]
                            secure_cookies=secure_cookies))


def worker_app() -> RevocationFastPath:
    """The application of one worker process (``serve --workers N``), configured by its parent."""
    from pathlib import Path

    from mynacard.crypto import load_or_create_master_key
    from mynacard.db.store import Store
    from mynacard.services.context import Office

    cfg = json.loads(os.environ[_WORKER_ENV])
    office = Office(store=Store(cfg["db"]), master_key=load_or_create_master_key(Path(cfg["key_file"])),
                    base_url=cfg["base_url"])
    at = datetime.fromisoformat(cfg["at"]) if cfg["at"] else None
    return _app(office, at, cfg["epoch"], cfg["frozen"], cfg["max_body"], cfg["secure_cookies"])
