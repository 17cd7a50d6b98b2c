"""A client of vsmartcard's vpcd protocol: the card side of the "Virtual PCD" reader.

pcscd's vpcd driver listens on TCP (127.0.0.1:35963 for its first reader, 35964 for the
second) and waits for a virtual card to connect; while the connection lasts, the reader
shows a card. Every message either way is a 2-byte big-endian length and a payload. From
the reader, a 1-byte payload is a control code (0 power off, 1 power on, 2 reset, 4 get the
ATR, answered with the ATR); any longer payload is a command APDU, answered with the
response APDU. The other control codes get no answer.

Lengths are checked before they are trusted: an empty message or a connection closed
mid-message ends the session cleanly (the reader then shows no card).
"""

from __future__ import annotations

import logging
import select
import socket
import struct
import threading
from typing import Protocol

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 35963  # 0x8C7B, CHANNELID of /etc/reader.conf.d/vpcd

CTRL_OFF = 0
CTRL_ON = 1
CTRL_RESET = 2
CTRL_ATR = 4

POLL_SECONDS = 0.2


class Card(Protocol):
    """What the reader needs of a card: its ATR, a reset and APDU exchange."""

    @property
    def atr(self) -> bytes: ...

    def reset(self) -> bytes: ...

    def transmit(self, apdu: bytes) -> bytes: ...


class VpcdError(ConnectionError):
    """The vpcd reader is not reachable (pcscd not running, or no vpcd driver)."""


class VpcdClient:
    """Serve one card to a vpcd reader until ``stop()`` or until the reader hangs up."""

    def __init__(self, card: Card, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
        self.card = card
        self.host = host
        self.port = port
        self._sock: socket.socket | None = None
        self._stop = threading.Event()
        #: Set once the connection is up (the card is in the reader).
        self.inserted = threading.Event()
        self.commands = 0

    def connect(self, timeout: float = 5.0) -> None:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=timeout)
        except OSError as exc:
            raise VpcdError(
                f"Cannot reach the vpcd reader at {self.host}:{self.port} ({exc.strerror or exc}). "
                "Is pcscd running with vsmartcard-vpcd installed?"
            ) from exc
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(None)
        self._sock = sock
        self.inserted.set()

    def stop(self) -> None:
        """Ask ``serve`` to end (from another thread or a signal handler): the card is ejected."""
        self._stop.set()

    def close(self) -> None:
        sock, self._sock = self._sock, None
        self.inserted.clear()
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def serve(self) -> None:
        """Answer the reader until stopped; connects first if needed; always closes."""
        if self._sock is None:
            self.connect()
        try:
            while not self._stop.is_set():
                msg = self._receive()
                if msg is None:
                    break
                answer = self.handle(msg)
                if answer is not None:
                    self._send(answer)
        finally:
            self.close()

    def handle(self, msg: bytes) -> bytes | None:
        """One message from the reader -> the answer to send (None: no answer)."""
        if len(msg) == 1:
            code = msg[0]
            if code == CTRL_ATR:
                return bytes(self.card.atr)
            if code in (CTRL_OFF, CTRL_ON, CTRL_RESET):
                # Power cycle or reset: the security status is lost, the counters are not.
                self.card.reset()
            else:
                log.warning("Unknown vpcd control code %d", code)
            return None
        self.commands += 1
        return self.card.transmit(msg)

    # -- framing ---------------------------------------------------------------------------

    def _receive(self) -> bytes | None:
        """The next message, or None when stopped or when the reader closed the connection."""
        sock = self._sock
        assert sock is not None
        while not self._stop.is_set():
            ready, _, _ = select.select([sock], [], [], POLL_SECONDS)
            if ready:
                break
        else:
            return None
        head = self._read_exact(2)
        if head is None:
            return None
        (size,) = struct.unpack("!H", head)
        if size == 0:
            log.warning("Empty vpcd message: closing")
            return None
        return self._read_exact(size)

    def _read_exact(self, n: int) -> bytes | None:
        sock = self._sock
        assert sock is not None
        buf = bytearray()
        while len(buf) < n:
            try:
                chunk = sock.recv(n - len(buf))
            except OSError:
                return None
            if not chunk:
                return None
            buf += chunk
            self._quick_ack(sock)
        return bytes(buf)

    @staticmethod
    def _quick_ack(sock: socket.socket) -> None:
        # The vpcd driver writes the length and the APDU in two send() calls with Nagle on;
        # its second write waits for our ACK of the first, which Linux delays up to 40 ms.
        # Acknowledging at once makes a command round trip sub-millisecond instead of ~45 ms.
        quickack = getattr(socket, "TCP_QUICKACK", None)
        if quickack is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, quickack, 1)
            except OSError:
                pass

    def _send(self, payload: bytes) -> None:
        if len(payload) > 0xFFFF:
            raise ValueError("A vpcd message carries at most 65535 bytes.")
        sock = self._sock
        assert sock is not None
        sock.sendall(struct.pack("!H", len(payload)) + payload)
