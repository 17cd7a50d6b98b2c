"""The lean OCSP responder of ``mynacard serve-ocsp`` (R_CERT_8): OCSP (RFC 6960 appendix A,
RFC 5019) and CRLs over HTTP/1.1 on an asyncio ``Protocol`` with httptools' parser, on uvloop's
event loop when it is installed. No ASGI server, no framework, no middleware: a request that
this process has answered before costs the parse of its HTTP head and one dictionary look-up.

It is only an HTTP adapter. Every answer comes from the one publisher
(``mynacard.services.revocation``) exactly as ``mynacard serve``'s fast path
(``mynacard.web.ocsp``) gives it, with the same URLs and the same helpers: a request seen
before from this process's memory (or Redis), kept true by the change log; anything else (a
first request, a CRL) from the publisher's look-up in a worker thread, never on the event loop.
So a status changed by any process is answered at once, as by ``serve``.

Limits: a request head (line and headers) of at most 64 KiB (else 431 and the connection is
closed), an OCSP body of at most 8 KiB (else ``malformedRequest`` and closed), at most 16
requests queued on one connection (reading pauses), idle connections closed after
``idle_timeout`` seconds and a request not complete after ``request_timeout`` seconds.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime
from email.utils import formatdate
from functools import partial
from typing import Any

import httptools  # type: ignore[import-not-found,unused-ignore]

from mynacard.services import revocation
from mynacard.services.context import Office
from mynacard.services.revocation import cache, crls
from mynacard.services.revocation.ocsp import MALFORMED
from mynacard.web.clock import Clock
from mynacard.web.ocsp import MAX_OCSP_REQUEST, crl_target, get_request_der, ocsp_kind

log = logging.getLogger("mynacard.ocsp")

MAX_HEAD = 64 * 1024
MAX_QUEUED = 16
_OCSP_TYPE = b"application/ocsp-response"
_CRL_TYPE = b"application/pkix-crl"
_TEXT_TYPE = b"text/plain; charset=utf-8"
_OCSP_CACHE = b"\r\ncache-control: max-age=60"
_CRL_CACHE = b"\r\ncache-control: max-age=300"
_SECURITY = b"\r\nx-content-type-options: nosniff\r\nx-frame-options: DENY\r\nreferrer-policy: same-origin"
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_NOT_HERE = ("This responder serves only OCSP (POST /ocsp/sign|auth, GET /ocsp/sign|auth/BASE64) and CRLs "
             "(GET /crl/...); the office service is `mynacard serve`.\n"
             "この応答サーバは OCSP と CRL だけを提供します。窓口サービスは mynacard serve です。\n").encode()


def _status_line(code: int, text: str) -> bytes:
    return f"HTTP/1.1 {code} {text}\r\ncontent-type: ".encode()


_OK = _status_line(200, "OK")
_BAD = _status_line(400, "Bad Request")
_NOT_FOUND = _status_line(404, "Not Found")
_NOT_ALLOWED = _status_line(405, "Method Not Allowed")
_TOO_LARGE = _status_line(431, "Request Header Fields Too Large")
_ERROR = _status_line(500, "Internal Server Error")


class Service:
    """What the connections of one process share: the office (its store and the publisher's
    memory of answers), the clock, the open connections and the ``Date`` header of this second."""

    def __init__(self, office: Office, clock: Clock, *, idle_timeout: float = 5.0,
                 request_timeout: float = 10.0) -> None:
        self.office = office
        self.clock = clock
        self.answers = cache.answers(office.store)
        self.idle_timeout = idle_timeout
        self.request_timeout = request_timeout
        self.connections: set[Connection] = set()
        self.date = b""
        self.tick()

    def quick(self, kind: str, data: bytes | None, at: datetime) -> bytes | None:
        """The answer when it needs no database: from memory, or ``malformedRequest``."""
        if not data:
            return MALFORMED
        return self.answers.lookup(kind, data, at)

    def answer(self, kind: str, data: bytes, at: datetime) -> bytes:
        """The publisher's answer (a look-up, or a signature): run in a worker thread."""
        return revocation.answer(self.office, kind, data, at=at)

    def crl(self, kind: str, scope: str, delta: bool) -> bytes:
        return crls.serve(self.office, kind, scope, delta, at=self.clock.now())

    def tick(self) -> None:
        """Once a second: the ``Date`` header, and idle or too slow connections closed."""
        self.date = b"\r\ndate: " + formatdate(usegmt=True).encode()
        now = time.monotonic()
        for conn in list(self.connections):
            conn.expire(now)


class Connection(asyncio.Protocol):
    """One client connection: requests parsed as they come, answered in their order (HTTP/1.1
    keep-alive and pipelining), the ones that need the publisher's look-up in a thread."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.url = b""
        self.body = b""
        self.head = 0
        self.expect_continue = False
        self.refusal: bytes | None = None
        self.queue: deque[tuple[bytes, bytes, bytes, bool]] = deque()
        self.busy = False
        self.paused = False
        self.closing = False
        self.last = time.monotonic()
        self.begun = 0.0

    # --- the transport ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.service.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closing = True
        self.service.connections.discard(self)

    def pause_writing(self) -> None:  # a client that does not read its answers: stop reading
        if self.transport is not None:
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.transport is not None and not self.paused:
            self.transport.resume_reading()

    def data_received(self, data: bytes) -> None:
        if self.closing:
            return
        self.last = time.monotonic()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._refuse(_response(_BAD, _TEXT_TYPE, b"No protocol upgrade here.\n", b"", self.service.date, True))
        except httptools.HttpParserError:
            self._refuse(self.refusal or _response(_BAD, _TEXT_TYPE, b"Malformed HTTP request.\n", b"",
                                                   self.service.date, True))

    def expire(self, now: float) -> None:
        if self.busy or self.closing or self.transport is None:
            return
        if (self.begun and now - self.begun > self.service.request_timeout) or (
                not self.begun and not self.queue and now - self.last > self.service.idle_timeout):
            self.closing = True
            self.transport.close()

    # --- httptools' callbacks ----------------------------------------------------------------

    def on_message_begin(self) -> None:
        self.url = b""
        self.body = b""
        self.head = 0
        self.expect_continue = False
        self.begun = time.monotonic()

    def on_url(self, url: bytes) -> None:
        self.url += url
        self._count(len(url))

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value))
        if name.lower() == b"expect" and value.lower() == b"100-continue":
            self.expect_continue = True

    def on_headers_complete(self) -> None:
        if self.expect_continue and not self.queue and not self.busy and self.transport is not None:
            self.transport.write(_CONTINUE)

    def on_body(self, body: bytes) -> None:
        self.body += body
        if len(self.body) > MAX_OCSP_REQUEST:  # answered as garbage, and no more is read
            self.refusal = _response(_OK, _OCSP_TYPE, MALFORMED, _OCSP_CACHE + _SECURITY, self.service.date, True)
            raise ValueError("request body too large")

    def on_message_complete(self) -> None:
        self.begun = 0.0
        self.queue.append((self.parser.get_method(), self.url, self.body, self.parser.should_keep_alive()))
        if len(self.queue) > MAX_QUEUED and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()
        if not self.busy:
            self._run()

    def _count(self, n: int) -> None:
        self.head += n
        if self.head > MAX_HEAD:
            self.refusal = _response(_TOO_LARGE, _TEXT_TYPE, b"Request head too large.\n", b"",
                                     self.service.date, True)
            raise ValueError("request head too large")

    # --- answering -------------------------------------------------------------------------

    def _run(self) -> None:
        """Answer the queued requests in order until one must wait for a worker thread."""
        while self.queue and not self.busy and not self.closing:
            method, url, body, keep = self.queue.popleft()
            try:
                out = self._handle(method, url, body, keep)
            except Exception:
                log.exception("OCSP responder: request failed")
                out = _response(_ERROR, _TEXT_TYPE, b"Internal error.\n", b"", self.service.date, True)
                keep = False
            if out is None:  # went to a worker thread
                return
            self._write(out, keep)
        if self.paused and not self.queue and self.transport is not None and not self.closing:
            self.paused = False
            self.transport.resume_reading()

    def _handle(self, method_b: bytes, url: bytes, body: bytes, keep: bool) -> bytes | None:
        service = self.service
        if not url.startswith(b"/"):  # absolute form (through a proxy)
            url = httptools.parse_url(url).path or b"/"
        path = url.split(b"?", 1)[0].decode("latin-1")
        method = method_b.decode("latin-1")
        close = not keep
        kind = ocsp_kind(method, path)
        if kind is not None:
            data = (body or None) if method == "POST" else get_request_der(path[11:])
            at = service.clock.now()
            der = service.quick(kind, data, at)
            if der is not None:
                return _response(_OK, _OCSP_TYPE, der, _OCSP_CACHE + _SECURITY, service.date, close)
            assert data is not None
            self._defer(partial(service.answer, kind, data, at), _OCSP_TYPE, _OCSP_CACHE, keep)
            return None
        if method == "GET" and path.startswith("/crl/"):
            target = crl_target(path[5:])
            if target is not None:
                self._defer(partial(service.crl, *target), _CRL_TYPE, _CRL_CACHE, keep)
                return None
        if path[:6] == "/ocsp/" and path[6:10] in ("sign", "auth") and method not in ("GET", "POST"):
            return _response(_NOT_ALLOWED, _TEXT_TYPE, b"OCSP takes GET or POST.\n", b"\r\nallow: GET, POST",
                             service.date, close)
        return _response(_NOT_FOUND, _TEXT_TYPE, _NOT_HERE, b"", service.date, close)

    def _defer(self, work: Callable[[], bytes], ctype: bytes, cache_control: bytes, keep: bool) -> None:
        self.busy = True
        future = asyncio.get_running_loop().run_in_executor(None, work)
        future.add_done_callback(partial(self._deferred, ctype, cache_control, keep))

    def _deferred(self, ctype: bytes, cache_control: bytes, keep: bool, future: asyncio.Future[bytes]) -> None:
        self.busy = False
        if self.closing:
            return
        try:
            out = _response(_OK, ctype, future.result(), cache_control + _SECURITY, self.service.date, not keep)
        except Exception:
            log.exception("OCSP responder: the publisher failed")
            out = _response(_ERROR, _TEXT_TYPE, b"Internal error.\n", b"", self.service.date, True)
            keep = False
        self._write(out, keep)
        self._run()

    def _write(self, out: bytes, keep: bool) -> None:
        assert self.transport is not None
        self.transport.write(out)
        self.last = time.monotonic()
        if not keep:
            self.closing = True
            self.transport.close()

    def _refuse(self, out: bytes) -> None:
        """A request that cannot be read on: its answer after those before it, then closed."""
        self.queue.clear()
        if self.transport is None:
            return
        if self.busy:  # the answer in a thread goes first; this one is lost with the connection
            self.closing = True
            self.transport.close()
            return
        self._write(out, False)


def _response(status: bytes, ctype: bytes, body: bytes, extra: bytes, date: bytes, close: bool) -> bytes:
    return b"".join((status, ctype, b"\r\ncontent-length: ", str(len(body)).encode(), extra, date,
                     b"\r\nconnection: close\r\n\r\n" if close else b"\r\n\r\n", body))


async def serve(service: Service, sock: Any, stop: asyncio.Event) -> None:
    """Answer on the listening socket ``sock`` until ``stop`` is set; then stop accepting, let
    the answers in threads finish (5 s at most) and close every connection."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Connection(service), sock=sock, backlog=2048)
    ticker = loop.create_task(_tick(service))
    try:
        await stop.wait()
    finally:
        server.close()
        deadline = time.monotonic() + 5
        while any(c.busy for c in service.connections) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        for conn in list(service.connections):
            if conn.transport is not None:
                conn.transport.close()
        ticker.cancel()
        await server.wait_closed()


async def _tick(service: Service) -> None:
    while True:
        await asyncio.sleep(1)
        service.tick()


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's event loop when installed (the ``fast`` extra), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    return loop
