"""siketyan/jpki-rs, a Rust library and CLI for the My Number Card.

Transcribed from github.com/siketyan/jpki-rs ``core/src/card.rs`` (commit 15d4e7f),
``core/src/ap/jpki.rs`` (15d4e7f), ``core/src/ap/support.rs`` and ``core/src/ap/surface.rs``
(061f4e4). Its reads: ``read_der_size`` reads 7 bytes (Le 07) and takes the DER size;
``read(Some(size))`` then reads from offset 0 in steps of Le 00 (256) and a last step of
Le = size & 0xFF, stopping early when a step returns fewer bytes than asked. Every command must
answer 90 00.
"""

from __future__ import annotations

from tests.chip.readers import ReaderError, Wire, ber_children, ber_parse, ber_total_size, short_apdu

JPKI_DF = bytes.fromhex("D392F000260100000001")
SUPPORT_DF = bytes.fromhex("D3921000310001010408")
SURFACE_DF = bytes.fromhex("D3921000310001010402")


class Card:
    def __init__(self, wire: Wire) -> None:
        self.wire = wire

    def _handle(self, apdu: bytes) -> bytes:
        data, sw = self.wire.transmit(apdu)
        if sw != 0x9000:
            raise ReaderError("nfc::Error", sw)
        return data

    def select_df(self, name: bytes) -> None:
        self._handle(short_apdu(0x00, 0xA4, 0x04, 0x0C, name))

    def select_ef(self, fid: bytes) -> None:
        self._handle(short_apdu(0x00, 0xA4, 0x02, 0x0C, fid))

    def read(self, length: int) -> bytes:
        pos, buf = 0, b""
        while pos < length:
            le = 0 if length - pos > 0xFF else length & 0xFF
            fragment = self._handle(short_apdu(0x00, 0xB0, pos >> 8, pos & 0xFF, le=le))
            buf += fragment
            pos += len(fragment)
            if len(fragment) % 256 < le:
                break
        return buf

    def verify_pin(self, ef: bytes, pin: bytes) -> None:
        self.select_ef(ef)
        self._handle(short_apdu(0x00, 0x20, 0x00, 0x80, pin))

    def sign(self, digest: bytes) -> bytes:
        return self._handle(short_apdu(0x80, 0x2A, 0x00, 0x80, digest, le=0))

    def read_der_size(self) -> int:
        return ber_total_size(self.read(7))


CERT_EFS = {"auth": b"\x00\x0a", "auth_ca": b"\x00\x0b", "sign": b"\x00\x01", "sign_ca": b"\x00\x02"}


def read_certificate(c: Card, kind: str, pin: bytes = b"") -> bytes:
    """``JpkiAp::read_certificate``: the signing certificate needs the signing password."""
    c.select_df(JPKI_DF)
    if kind == "sign":
        c.verify_pin(b"\x00\x1b", pin)
    c.select_ef(CERT_EFS[kind])
    return c.read(c.read_der_size())


def auth(c: Card, pin: bytes, digest: bytes) -> bytes:
    """``JpkiAp::auth``: PIN EF 0018, key EF 0017, 80 2A."""
    c.select_df(JPKI_DF)
    c.verify_pin(b"\x00\x18", pin)
    c.select_ef(b"\x00\x17")
    return c.sign(digest)


def sign(c: Card, pin: bytes, digest: bytes) -> bytes:
    """``JpkiAp::sign``: PIN EF 001B, key EF 001A, 80 2A."""
    c.select_df(JPKI_DF)
    c.verify_pin(b"\x00\x1b", pin)
    c.select_ef(b"\x00\x1a")
    return c.sign(digest)


def read_my_number(c: Card, pin: bytes) -> str:
    """``SupportAp::read_my_number``: 17 bytes of EF 0001 after PIN EF 0011."""
    c.select_df(SUPPORT_DF)
    c.verify_pin(b"\x00\x11", pin)
    c.select_ef(b"\x00\x01")
    _, value, _ = ber_parse(c.read(17))
    return value.decode("utf-8", errors="replace")


def read_attributes(c: Card, pin: bytes) -> dict[str, str]:
    """``SupportAp::read_attributes``: EF 0002 { header, name, address, birth, sex }."""
    c.select_df(SUPPORT_DF)
    c.verify_pin(b"\x00\x11", pin)
    c.select_ef(b"\x00\x02")
    _, body, _ = ber_parse(c.read(c.read_der_size()))
    values = [v.decode("utf-8") for _, v in ber_children(body)[1:5]]
    sex = {"1": "Male", "2": "Female", "9": "NotApplicable"}.get(values[3], "Unknown")
    return {"name": values[0], "address": values[1], "date_of_birth": values[2], "sex": sex}


def read_surface(c: Card, pin_ef: bytes, pin: bytes) -> list[bytes]:
    """``SurfaceAp::read_surface`` with PIN A (EF 0013) or PIN B (EF 0012): the ten objects
    header, birth, sex, public key, name, address, photo, signature, expiry, code."""
    c.select_df(SURFACE_DF)
    c.verify_pin(pin_ef, pin)
    c.select_ef(b"\x00\x02")
    _, body, _ = ber_parse(c.read(c.read_der_size()))
    values = [v for _, v in ber_children(body)]
    if len(values) != 10:
        raise ReaderError(f"surface has {len(values)} objects")
    return values
