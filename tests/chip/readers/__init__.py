"""Open readers of the My Number Card, their APDU sequences transcribed from their source.

Each module here sends, command for command, what one open reader sends to a real card:
the same APDUs (class, instruction, parameters, Lc/Le form) in the same order, with the
reader's own rules for what counts as success. The source, with its commit, is named at the
top of each module. They are transcriptions of behaviour, not copies of code: the readers are
written in Rust, Go and TypeScript. ``test_readers.py`` replays them against the virtual card.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

Transmit = Callable[[bytes], bytes]


class ReaderError(Exception):
    """The reader gave up, as the original does (an error return or exception)."""

    def __init__(self, what: str, sw: int | None = None) -> None:
        super().__init__(f"{what}" + ("" if sw is None else f": SW {sw:04X}"))
        self.sw = sw


@dataclass
class Wire:
    """The card connection of a reader: every exchange is logged."""

    transmit_fn: Transmit
    log: list[tuple[bytes, bytes]] = field(default_factory=list)

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        answer = self.transmit_fn(bytes(apdu))
        self.log.append((bytes(apdu), answer))
        return answer[:-2], int.from_bytes(answer[-2:], "big")


def short_apdu(cla: int, ins: int, p1: int, p2: int, data: bytes = b"", le: int | None = None) -> bytes:
    """A short APDU: Lc one byte; Le one byte with 256 written 00."""
    out = bytes((cla, ins, p1, p2))
    if data:
        out += bytes((len(data),)) + data
    if le is not None:
        out += bytes((le % 256,))
    return out


def ber_parse(data: bytes) -> tuple[int, bytes, bytes]:
    """One BER TLV: (tag, value, rest). ``ReaderError`` if the data is too short for it."""
    try:
        i = 1
        if data[0] & 0x1F == 0x1F:
            while data[i] & 0x80:
                i += 1
            i += 1
        tag = int.from_bytes(data[:i], "big")
        first = data[i]
        if first < 0x80:
            start, length = i + 1, first
        else:
            n = first & 0x7F
            start, length = i + 1 + n, int.from_bytes(data[i + 1 : i + 1 + n], "big")
    except IndexError:
        raise ReaderError("BER header truncated") from None
    if start + length > len(data):
        raise ReaderError(f"BER value truncated: {start + length - len(data)} bytes missing")
    return tag, data[start : start + length], data[start + length :]


def ber_total_size(header: bytes) -> int:
    """The whole TLV's size from its first bytes (what readers do with a 7-byte header)."""
    i = 1
    if header[0] & 0x1F == 0x1F:
        while header[i] & 0x80:
            i += 1
        i += 1
    first = header[i]
    if first < 0x80:
        return i + 1 + first
    n = first & 0x7F
    return i + 1 + n + int.from_bytes(header[i + 1 : i + 1 + n], "big")


def ber_children(data: bytes) -> list[tuple[int, bytes]]:
    """The (tag, value) TLVs one after another in ``data`` (strict: no padding skipped)."""
    out = []
    while data:
        tag, value, data = ber_parse(data)
        out.append((tag, value))
    return out
