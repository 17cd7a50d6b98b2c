"""meowkawaiijp/pyjpki, a Python (pyscard) reader of the My Number Card.

Transcribed from github.com/meowkawaiijp/pyjpki ``src/pyjpki/card.py`` (commit 51d8075) and
``constants.py`` / ``personal_info.py`` (f7d228d): ``CardManager.verify_pin``,
``read_personal_info`` (one READ BINARY 00 B0 00 00 00 of EF 0002) and ``sign_data`` (80 2A with
a SHA-256 DigestInfo and Le 00). Every answer but 63 Cx to VERIFY must be 90 00.

Its ``read_certificate`` reads one 256-byte block and parses it as the whole DER certificate,
which fails on any real card (certificates are over 1 KB); it is not replayed.
"""

from __future__ import annotations

import hashlib

from tests.chip.readers import ReaderError, Wire, ber_children

DF_JPKI = bytes.fromhex("D392F000260100000001")
DF_ATTRIBUTE = bytes.fromhex("D3921000310001010408")
PIN_EFS = {"auth": (DF_JPKI, b"\x00\x18"), "sign": (DF_JPKI, b"\x00\x1b"), "attr": (DF_ATTRIBUTE, b"\x00\x11")}
SHA256_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")


def _ok(wire: Wire, apdu: bytes) -> bytes:
    data, sw = wire.transmit(apdu)
    if sw != 0x9000 and sw >> 8 != 0x63:
        raise ReaderError("APDU command failed", sw)
    return data


def verify_pin(wire: Wire, pin: str, pin_type: str) -> None:
    df, ef = PIN_EFS[pin_type]
    _ok(wire, bytes((0, 0xA4, 4, 0x0C, len(df))) + df)
    _ok(wire, bytes((0, 0xA4, 2, 0x0C, len(ef))) + ef)
    data = pin.encode("ascii")
    _, sw = wire.transmit(bytes((0, 0x20, 0, 0x80, len(data))) + data)
    if sw != 0x9000:
        raise ReaderError("PinVerificationError" if sw >> 8 == 0x63 else "Unexpected error", sw)


def read_personal_info(wire: Wire) -> dict[str, str]:
    _ok(wire, bytes((0, 0xA4, 4, 0x0C, len(DF_ATTRIBUTE))) + DF_ATTRIBUTE)
    _ok(wire, bytes.fromhex("00A4020C020002"))
    data = _ok(wire, bytes.fromhex("00B0000000"))
    start = data.index(b"\xdf\x21")  # its parser looks for the header tag, then reads to the end
    items = dict(ber_children(data[start:]))
    gender = {b"1": "Male", b"2": "Female"}.get(items.get(0xDF25, b"3"), "Other")
    return {"name": items[0xDF22].decode(), "address": items[0xDF23].decode(),
            "birth_date": items[0xDF24].decode(), "gender": gender}


def sign_data(wire: Wire, data: bytes, sign_type: str) -> bytes:
    ef = b"\x00\x17" if sign_type == "auth" else b"\x00\x1a"
    _ok(wire, bytes((0, 0xA4, 4, 0x0C, len(DF_JPKI))) + DF_JPKI)
    _ok(wire, bytes((0, 0xA4, 2, 0x0C, 2)) + ef)
    di = SHA256_PREFIX + hashlib.sha256(data).digest()
    return _ok(wire, bytes((0x80, 0x2A, 0, 0x80, len(di))) + di + b"\x00")
