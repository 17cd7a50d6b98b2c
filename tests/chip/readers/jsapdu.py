"""AokiApp/jsapdu, the TypeScript smart-card library with a My Number Card package.

Transcribed from github.com/AokiApp/jsapdu (mirror of its default branch, 2026):
``packages/apdu-utils/src/{select,verify,read-binary}.ts`` (the APDUs),
``packages/mynacard/src/{constants,schema}.ts`` (file identifiers and TLV layouts) and
``examples/mynacard/src/{kenhojo,kenkaku}/*.ts`` (the sequences).

This reader addresses every file by its short EF identifier: VERIFY ``00 20 00 80|EF`` with
no SELECT of the PIN EF, and READ BINARY ``00 B0 80|EF 00`` with an extended Le of 0000 (the
whole file at once), requiring 90 00. SELECT of an AP is ``00 A4 04 0C`` or, when the FCI is
wanted, ``00 A4 04 00 ... 00``.
"""

from __future__ import annotations

import hashlib

from tests.chip.readers import ReaderError, Wire, ber_children, ber_parse

JPKI_AP = bytes.fromhex("D392F000260100000001")
KENHOJO_AP = bytes.fromhex("D3921000310001010408")
KENKAKU_AP = bytes.fromhex("D3921000310001010402")

KENHOJO_EF = {"MY_NUMBER": 0x01, "BASIC_FOUR": 0x02, "SIGNATURE": 0x03, "INTERMEDIATE_CERTIFICATE": 0x04,
              "INFORMATION": 0x05, "PIN": 0x11, "PIN_A": 0x14, "PIN_B": 0x15}
KENKAKU_EF = {"BIRTH": 0x01, "ENTRIES": 0x02, "INFORMATION": 0x03, "INTERMEDIATE_CERTIFICATE": 0x04,
              "MY_NUMBER": 0x05, "PIN_B": 0x12, "PIN_A": 0x13}
JPKI_EF = {"SIGN_CERT": 0x01, "SIGN_CERT_CA": 0x02, "AUTH_CERT": 0x0A, "AUTH_CERT_CA": 0x0B,
           "AUTH_KEY": 0x17, "AUTH_PIN": 0x18, "SIGN_KEY": 0x1A, "SIGN_PIN": 0x1B}


class Session:
    def __init__(self, wire: Wire) -> None:
        self.wire = wire

    def _ok(self, what: str, apdu: bytes) -> bytes:
        data, sw = self.wire.transmit(apdu)
        if sw != 0x9000:
            raise ReaderError(what, sw)
        return data

    def select_df(self, aid: bytes, fci: bool = False) -> bytes:
        """``selectDf(data, fciRequested)``."""
        if fci:
            return self._ok("Failed to select DF", bytes((0, 0xA4, 4, 0x00, len(aid))) + aid + b"\x00")
        return self._ok("Failed to select DF", bytes((0, 0xA4, 4, 0x0C, len(aid))) + aid)

    def verify(self, pin: str, ef: int) -> None:
        """``verify(pin, {ef})``: P2 = 80 + ef."""
        data = pin.encode("ascii")
        self._ok("PIN verification failed", bytes((0, 0x20, 0, 0x80 + ef, len(data))) + data)

    def read_ef_binary_full(self, ef: int) -> bytes:
        """``readEfBinaryFull(shortEfId)``: 00 B0 80|EF 00, extended Le 0000."""
        return self._ok("Failed to read binary", bytes((0, 0xB0, 0x80 | ef, 0, 0, 0, 0)))


# -- examples/mynacard/src/kenhojo ----------------------------------------------------------


def kenhojo_my_number(s: Session, pin: str) -> tuple[str, bytes]:
    """read-my-number.ts: the number and ``calculateMyNumberHash`` (SHA-256 of the read)."""
    s.select_df(KENHOJO_AP)
    s.verify(pin, KENHOJO_EF["PIN"])
    buffer = s.read_ef_binary_full(KENHOJO_EF["MY_NUMBER"])
    _, value, _ = ber_parse(buffer)
    return value.decode("utf-8"), hashlib.sha256(buffer).digest()


def kenhojo_basic_four(s: Session, pin: str) -> tuple[dict[str, str], bytes]:
    """read-basic-four.ts: ``schemaKenhojoBasicFour`` and ``calculateBasicFourHash``
    (SHA-256 from offsets[0] to the end of the outer TLV)."""
    s.select_df(KENHOJO_AP)
    s.verify(pin, KENHOJO_EF["PIN"])
    buffer = s.read_ef_binary_full(KENHOJO_EF["BASIC_FOUR"])
    tag, body, rest = ber_parse(buffer)
    if tag != 0xFF20:
        raise ReaderError("schema: not FF20")
    items = ber_children(body)
    if [t for t, _ in items] != [0xDF21, 0xDF22, 0xDF23, 0xDF24, 0xDF25]:
        raise ReaderError("schema: children")
    offsets = [int.from_bytes(items[0][1][i : i + 2], "big") for i in range(0, len(items[0][1]), 2)]
    end = len(buffer) - len(rest)
    names = ("name", "address", "birth", "gender")
    values = {n: v.decode("utf-8") for n, (_, v) in zip(names, items[1:], strict=True)}
    return values, hashlib.sha256(buffer[offsets[0] : end]).digest()


def kenhojo_signature(s: Session, pin: str) -> dict[str, bytes]:
    """read-signature.ts: ``schemaKenhojoSignature`` FF30 { DF31, DF32, DF33 }."""
    s.select_df(KENHOJO_AP)
    s.verify(pin, KENHOJO_EF["PIN"])
    tag, body, _ = ber_parse(s.read_ef_binary_full(KENHOJO_EF["SIGNATURE"]))
    items = dict(ber_children(body))
    if tag != 0xFF30 or list(items) != [0xDF31, 0xDF32, 0xDF33]:
        raise ReaderError("schema: FF30")
    return {"my_number_hash": items[0xDF31], "basic_four_hash": items[0xDF32], "signature": items[0xDF33]}


def intermediate_certificate(s: Session, ef: int) -> dict[str, bytes]:
    """``schemaCertificate``: 7F21 { 5F4E issuer(16) subject(16) public key, 5F37 signature }."""
    tag, body, _ = ber_parse(s.read_ef_binary_full(ef))
    items = dict(ber_children(body))
    if tag != 0x7F21 or list(items) != [0x5F4E, 0x5F37]:
        raise ReaderError("schema: 7F21")
    contents = items[0x5F4E]
    return {"issuer": contents[:16], "subject": contents[16:32], "public_key": contents[32:],
            "signature": items[0x5F37]}


def decode_public_key(raw: bytes) -> tuple[int, int]:
    """``decodePublicKey``: a TLV of the exponent, then a TLV of the modulus."""
    _, e, rest = ber_parse(raw)
    _, n, _ = ber_parse(rest)
    return int.from_bytes(e, "big"), int.from_bytes(n, "big")


# -- examples/mynacard/src/kenkaku ----------------------------------------------------------

ENTRY_NAMES = ("offsets", "birth", "gender", "publicKeyRaw", "namePng", "addressPng", "faceJp2",
               "thisSignature", "expire", "securityCodePng")


def kenkaku_entries(s: Session, pin_a: str) -> tuple[dict[str, bytes], bytes]:
    """read-entries.ts: PIN A, ``schemaKenkakuEntries``; returns the entries and the buffer."""
    s.select_df(KENKAKU_AP)
    s.verify(pin_a, KENKAKU_EF["PIN_A"])
    buffer = s.read_ef_binary_full(KENKAKU_EF["ENTRIES"])
    tag, body, _ = ber_parse(buffer)
    items = ber_children(body)
    if tag != 0xFF20 or [t for t, _ in items] != list(range(0xDF21, 0xDF2B)):
        raise ReaderError("schema: FF20 DF21..DF2A")
    return dict(zip(ENTRY_NAMES, (v for _, v in items), strict=True)), buffer


def kenkaku_my_number(s: Session, pin_a: str) -> dict[str, bytes]:
    """read-my-number.ts: ``schemaKenkakuMyNumber`` FF40 { DF41 PNG, DF42 key, DF43 signature }."""
    s.select_df(KENKAKU_AP)
    s.verify(pin_a, KENKAKU_EF["PIN_A"])
    tag, body, _ = ber_parse(s.read_ef_binary_full(KENKAKU_EF["MY_NUMBER"]))
    items = dict(ber_children(body))
    if tag != 0xFF40 or list(items) != [0xDF41, 0xDF42, 0xDF43]:
        raise ReaderError("schema: FF40")
    return {"myNumberPng": items[0xDF41], "publicKeyRaw": items[0xDF42], "thisSignature": items[0xDF43]}


def kenkaku_read(s: Session, pin_a: str) -> dict[str, object]:
    """read.ts: entries, the intermediate certificate and the number image in one session."""
    entries, _ = kenkaku_entries(s, pin_a)
    cert = intermediate_certificate(s, KENKAKU_EF["INTERMEDIATE_CERTIFICATE"])
    tag, body, _ = ber_parse(s.read_ef_binary_full(KENKAKU_EF["MY_NUMBER"]))
    if tag != 0xFF40:
        raise ReaderError("schema: FF40")
    return {"entries": entries, "certificate": cert, "my_number": dict(ber_children(body))}


def kenkaku_birth(s: Session, pin: str, ef: int) -> dict[str, bytes]:
    """``schemaKenkakuBirth`` FF10 { DF11 birth, DF12 public key, DF13 signature }, after the
    given PIN EF."""
    s.select_df(KENKAKU_AP)
    s.verify(pin, ef)
    tag, body, _ = ber_parse(s.read_ef_binary_full(KENKAKU_EF["BIRTH"]))
    items = dict(ber_children(body))
    if tag != 0xFF10 or list(items) != [0xDF11, 0xDF12, 0xDF13]:
        raise ReaderError("schema: FF10")
    return {"birth": items[0xDF11], "publicKeyRaw": items[0xDF12], "thisSignature": items[0xDF13]}


def jpki_auth_certificate(s: Session) -> bytes:
    """The package README's JPKI example: SELECT with the FCI, then EF 000A by its short EF
    identifier."""
    s.select_df(JPKI_AP, fci=True)
    return s.read_ef_binary_full(JPKI_EF["AUTH_CERT"])
