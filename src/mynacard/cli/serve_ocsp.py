"""``mynacard serve-ocsp``: the lean OCSP and CRL responder (``mynacard.web.responder``) in
``--workers`` processes on one address, for relying parties at national rates.

The supervising process opens the store (migrating it if behind) and holds the address, then
forks the workers and, unless ``--refresh-every 0``, one process that signs old responses
again. Each worker listens on a socket of its own on the same address (``SO_REUSEPORT``: the
kernel spreads the connections, no worker is woken for a connection another takes). The
supervisor starts no thread, so a worker that dies is forked again from a clean process; on
SIGTERM or SIGINT it stops them all."""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from mynacard.cli.app import MAX_REFRESH_EVERY, fail, opts
from mynacard.errors import ConfigError

if TYPE_CHECKING:
    from mynacard.services.context import Office


def serve_ocsp(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8080,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes (one a core)")] = 1,
    frozen: Annotated[bool, typer.Option("--frozen", help="With --at: simulated time stands still "
                                                         "(default: it advances with real time)")] = False,
    refresh_every: Annotated[float, typer.Option(min=0, max=MAX_REFRESH_EVERY, help="Sign the OCSP responses "
                                                             "that grow old again every this many seconds "
                                                             "(0: never; at most six hours; see "
                                                             "`mynacard ocsp refresh`)")] = 300,
) -> None:
    """Answer OCSP (POST /ocsp/sign|auth, GET /ocsp/sign|auth/BASE64) and CRLs (GET /crl/...) only,
    from the same publisher as `mynacard serve`, without its web framework: for the OCSP URL of
    the certificates (--base-url) at relying-party rates. Needs the `fast` extra (httptools;
    uvloop is used when installed)."""
    try:
        import httptools  # type: ignore[import-not-found,unused-ignore]  # noqa: F401
    except ImportError:
        raise fail(ConfigError(
            "serve-ocsp needs httptools: pip install 'mynacard[fast]' (or use `mynacard serve`, which answers "
            "OCSP too).",
            "serve-ocsp には httptools が必要です。pip install 'mynacard[fast]' を実行してください"
            "(mynacard serve でも OCSP に応答します)。",
        )) from None
    o = opts(ctx)
    office = o.office()  # migrates once, before any worker starts
    try:
        if _listened(host, port):  # SO_REUSEPORT would let a second responder share the port unseen
            raise OSError(98, "another server already listens there")
        sock = _bound(host, port)
    except OSError as e:
        raise fail(ConfigError(
            f"Cannot listen on {host}:{port}: {e.strerror or e}. Give another --port or --host.",
            f"{host}:{port} で待ち受けできません。--port か --host を変えてください。",
        )) from None
    office.store.dispose()  # each process opens its own connections
    try:
        import uvloop  # noqa: F401

        loop = "uvloop"
    except ImportError:
        loop = "asyncio's event loop (uvloop is not installed)"
    typer.echo(f"mynacard OCSP responder on http://{host}:{port} (certificates name {o.base_url}), "
               f"{workers} worker(s), httptools on {loop}")
    sys.stdout.flush()
    Supervisor(office, sock, workers, o.at, frozen, refresh_every).run()


class Supervisor:
    """Forks the workers (and the refresher), forks again any that dies, stops them all on a signal."""

    def __init__(self, office: Office, sock: socket.socket, workers: int, at: datetime | None, frozen: bool,
                 refresh_every: float) -> None:
        self.office = office
        self.sock = sock
        self.workers = workers
        self.at = at
        self.frozen = frozen
        self.refresh_every = refresh_every
        self.epoch = time.time()
        self.children: dict[int, str] = {}
        self.stopping = False

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        for _ in range(self.workers):
            self._fork("worker")
        if self.refresh_every:
            self._fork("refresher")
        while self.children:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            except InterruptedError:
                continue
            role = self.children.pop(pid, None)
            if role is not None and not self.stopping:
                typer.echo(f"serve-ocsp: the {role} {pid} ended ({_how(status)}); starting another", err=True)
                time.sleep(0.5)  # a worker that cannot start must not spin
                self._fork(role)
        self.sock.close()

    def _stop(self, signum: int, frame: object) -> None:
        self.stopping = True
        for pid in list(self.children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    def _fork(self, role: str) -> None:
        # A stop signal waits while a child is forked: one that came before (during the pause after a
        # worker died) forks nothing, and one that comes now finds the new child among the children.
        # Without this, a child forked just after the stop was never told to stop, and the
        # supervisor waited for it for ever.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
        if self.stopping:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
            return
        pid = os.fork()
        if pid:
            self.children[pid] = role
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)  # a stop pending now reaches it too
            return
        code = 0
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # the supervisor stops us with SIGTERM
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
            if role == "worker":
                self._worker()
            else:
                self._refresher()
        except BaseException as e:  # the child never returns into the CLI
            if not isinstance(e, SystemExit | KeyboardInterrupt):
                import traceback

                traceback.print_exc()
                code = 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)

    def _office(self) -> Office:
        """An office of this process: its own engine on the same store, the same master key."""
        from mynacard.db.store import Store
        from mynacard.services.context import Office

        return Office(store=Store(self.office.store.url), master_key=self.office.master_key,
                      base_url=self.office.base_url)

    def _worker(self) -> None:
        import asyncio

        from mynacard.cli.serve import clock_of
        from mynacard.web.responder import Service, new_event_loop, serve

        host, port = self.sock.getsockname()[:2]
        sock = _bound(host, port)
        sock.listen(2048)
        self.sock.close()
        service = Service(self._office(), clock_of(self.at, self.epoch, self.frozen))
        loop = new_event_loop()
        asyncio.set_event_loop(loop)
        stop = asyncio.Event()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        try:
            loop.run_until_complete(serve(service, sock, stop))
        finally:
            loop.close()
            service.office.store.dispose()

    def _refresher(self) -> None:
        from mynacard.cli.serve import clock_of, refresh_loop

        self.sock.close()
        refresh_loop(self._office(), clock_of(self.at, self.epoch, self.frozen), self.refresh_every)


def _listened(host: str, port: int) -> bool:
    target = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    try:
        socket.create_connection((target, port), timeout=0.5).close()
    except OSError:
        return False
    return True


def _bound(host: str, port: int) -> socket.socket:
    """A socket bound to the address with ``SO_REUSEPORT``: bound only (the supervisor's, which
    keeps the address its own), or listening (a worker's)."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def _how(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"signal {os.WTERMSIG(status)}"
    return f"exit code {os.waitstatus_to_exitcode(status)}"
