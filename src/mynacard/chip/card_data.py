"""The data files of the card-info-input AP and the card-face AP, byte for byte.

Sources, read to match the real card (none of their code is used):

- **jpki/myna** (Go ``libmyna/text_ap.go``, ``visual_ap.go`` before commit df6cd7e; Rust
  ``src/text.rs``, ``src/visual.rs`` at f85dc71): the number EF is read as 17 bytes with
  90 00 and holds ``FF10 <12 digits>``; EF 0002 is ``FF20 { DF21 header, DF22 name, DF23
  address, DF24 birth, DF25 sex }``; EF 0003 is ``FF30 { DF31, DF32, DF33 }`` read as 336
  bytes; EF 0004 is a card-verifiable certificate ``7F21 { 5F4E ... }`` read as 568 bytes;
  EF 0005 is ``FF40 { DF41 AP info (4 bytes), DF42 key id (16 bytes) }`` read as 256 bytes.
  Card face EF 0002 is ``FF20 { DF21 header, DF22 birth, DF23 sex, DF24 public key, DF25 name,
  DF26 address, DF27 photo, DF28 signature, DF29 expiry, DF2A security code }``; EF 0003 holds
  an AP id (4 bytes), a second object, a version (1 byte) and the municipality in UTF-8.
- **AokiApp/jsapdu** ``packages/mynacard/src/{constants,schema}.ts`` and
  ``examples/mynacard/src``: the card-face EF 0001 ``FF10 { DF11 birth, DF12 public key, DF13
  signature }`` and EF 0005 ``FF40 { DF41 number PNG, DF42 public key, DF43 signature }``; the
  card-info-input EF 0003 holds the SHA-256 of the whole number EF (DF31) and of EF 0002 from
  the first DF21 offset to the end of FF20 (DF32); DF21 holds big-endian 2-byte offsets from
  the start of the file; the CV certificate's 5F4E is issuer id (16) || subject id (16) ||
  public key as a TLV of the exponent then a TLV of the modulus; 5F37 its signature.

What no source settles is marked [model] where it is decided.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from mynacard.chip import face_images, tlv
from mynacard.chip.state import CardInfo

#: Sizes that readers require: jpki/myna reads exactly this many bytes and wants 90 00.
NUMBER_EF_SIZE = 17
SIGNATURE_EF_SIZE = 336
INFO_EF_SIZE = 256
#: [model] Padding byte of fixed-size EFs beyond their TLV content.
PAD = b"\xff"

#: [model] Identifiers in the CV certificate (16 bytes each) and AP information (4 bytes).
ROOT_ID = b"JPN-SANDBOX-ROOT"
SIGNER_ID = b"JPN-SANDBOX-CD01"
CARD_INFO_AP_INFO = bytes.fromhex("00010001")
CARD_FACE_AP_INFO = bytes.fromhex("00010002")
CARD_FACE_VERSION = b"\x01"

# [model] Tags of the exponent and modulus in the public-key objects (ISO 7816-8 uses 82 for
# the exponent and 81 for the modulus; the order, exponent first, is jsapdu's).
TAG_EXPONENT = 0x82
TAG_MODULUS = 0x81


@dataclass(frozen=True)
class CardData:
    """The card-face data a file is made from: a hashable copy of ``CardInfo`` for caching."""

    individual_number: str
    name: str
    address: str
    birth_date: date
    sex: str
    expiry_year: int | None
    security_code: str | None

    @classmethod
    def of(cls, info: CardInfo) -> CardData:
        return cls(
            info.individual_number,
            info.name,
            info.address,
            info.birth_date,
            info.sex,
            info.expiry_year,
            info.security_code,
        )


@lru_cache(maxsize=2)
def sandbox_key(name: str) -> rsa.RSAPrivateKey:
    """One of the sandbox card-data keys of ``mynacard/chip/data`` (see its README)."""
    pem = resources.files("mynacard.chip").joinpath("data", f"{name}.pem").read_bytes()
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TypeError(f"{name}.pem should hold an RSA key")
    return key


def signer_key() -> rsa.RSAPrivateKey:
    return sandbox_key("card_data_signer")


def _sign(data: bytes, key: rsa.RSAPrivateKey | None = None) -> bytes:
    """[model] PKCS#1 v1.5 with SHA-256, as the card's RSA-2048 signatures are 256 bytes."""
    return (key or signer_key()).sign(data, padding.PKCS1v15(), hashes.SHA256())


def public_key_raw(key: rsa.RSAPublicKey) -> bytes:
    """The exponent TLV then the modulus TLV (jsapdu ``decodePublicKey``)."""
    numbers = key.public_numbers()
    e = numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")
    n = numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")
    return tlv.encode(TAG_EXPONENT, e) + tlv.encode(TAG_MODULUS, n)


@lru_cache(maxsize=1)
def cv_certificate() -> bytes:
    """EF 0004 of both APs: ``7F21 { 5F4E body, 5F37 signature }``, 568 bytes.

    [model] The root signs the 5F4E value with PKCS#1 v1.5 / SHA-256.
    """
    body = ROOT_ID + SIGNER_ID + public_key_raw(signer_key().public_key())
    signature = _sign(body, sandbox_key("card_data_root"))
    return tlv.encode(0x7F21, tlv.encode(0x5F4E, body) + tlv.encode(0x5F37, signature))


def _pad(content: bytes, size: int) -> bytes:
    if len(content) > size:
        raise ValueError(f"The EF content is {len(content)} bytes, over its size {size}.")
    return content + PAD * (size - len(content))


def _offsets_file(outer: int, parts: list[bytes]) -> bytes:
    """``outer 82 xx xx { DF21 offsets, parts... }``: DF21 holds the 2-byte offset, from the
    start of the file, of each part's tag (jsapdu ``decodeOffsets``; the three-byte outer
    length as on real cards, the issue of readers that read the offsets at fixed places)."""
    header_len = len(tlv.encode(0xDF21, bytes(2 * len(parts))))
    start = 5 + header_len  # tag (2) + 82 xx xx (3)
    offsets = b""
    for part in parts:
        offsets += start.to_bytes(2, "big")
        start += len(part)
    return tlv.encode_long(outer, tlv.encode(0xDF21, offsets) + b"".join(parts))


def birth_text(info: CardData) -> bytes:
    """[model] The date of birth as 8 ASCII digits YYYYMMDD (the source readers print it)."""
    return f"{info.birth_date:%Y%m%d}".encode("ascii")


def expiry_date(info: CardData) -> date | None:
    """The card's expiry: the birthday in the expiry year (R_CARD_2; 29 Feb -> 28 Feb, R_CARD_4)."""
    if info.expiry_year is None:
        return None
    b = info.birth_date
    day = 28 if (b.month, b.day) == (2, 29) and not _leap(info.expiry_year) else b.day
    return date(info.expiry_year, b.month, day)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


# -- card-info-input AP (券面事項入力補助AP) ----------------------------------------------------


def number_ef(info: CardData) -> bytes:
    """EF 0001: ``FF10 0C <12 ASCII digits>`` in a 17-byte EF ([model] padded with FF)."""
    return _pad(tlv.encode(0xFF10, info.individual_number.encode("ascii")), NUMBER_EF_SIZE)


def attributes_ef(info: CardData) -> bytes:
    """EF 0002: ``FF 20 82 xx xx { DF21 offsets, DF22 name, DF23 address, DF24 birth,
    DF25 sex }``; name and address UTF-8, birth YYYYMMDD, sex "1"/"2"/"9" (R_CHIP_4)."""
    return _offsets_file(
        0xFF20,
        [
            tlv.encode(0xDF22, info.name.encode("utf-8")),
            tlv.encode(0xDF23, info.address.encode("utf-8")),
            tlv.encode(0xDF24, birth_text(info)),
            tlv.encode(0xDF25, info.sex.encode("ascii")),
        ],
    )


def attributes_digest(attributes: bytes) -> bytes:
    """SHA-256 of EF 0002 from its first DF21 offset to the end of FF20 (jsapdu)."""
    outer = tlv.decode(attributes)[0][1]
    first = int.from_bytes(tlv.decode(outer)[0][1][:2], "big")
    return hashlib.sha256(attributes[first : 5 + len(outer)]).digest()


@lru_cache(maxsize=64)
def card_info_signature_ef(info: CardData) -> bytes:
    """EF 0003: ``FF30 { DF31 SHA-256(EF 0001), DF32 SHA-256(EF 0002 part), DF33 signature }``.

    [model] DF33 signs DF31's value followed by DF32's value. With two-byte tags and the
    three-byte outer length this is exactly the 336 bytes that jpki/myna reads.
    """
    d31 = hashlib.sha256(number_ef(info)).digest()
    d32 = attributes_digest(attributes_ef(info))
    body = tlv.encode(0xDF31, d31) + tlv.encode(0xDF32, d32) + tlv.encode(0xDF33, _sign(d31 + d32))
    return _pad(tlv.encode_long(0xFF30, body), SIGNATURE_EF_SIZE)


def ap_info_ef(ap_info: bytes) -> bytes:
    """EF 0005 of the card-info-input AP: ``FF40 { DF41 AP info, DF42 key id }`` in 256 bytes."""
    body = tlv.encode(0xDF41, ap_info) + tlv.encode(0xDF42, SIGNER_ID)
    return _pad(tlv.encode(0xFF40, body), INFO_EF_SIZE)


# -- card-face AP (券面事項確認AP) -------------------------------------------------------------


def _signed_object(outer: int, first: int, value: bytes) -> bytes:
    """``outer { first value, first+1 public key, first+2 signature }`` ([model] the
    signature covers the first TLV)."""
    head = tlv.encode(first, value)
    key = tlv.encode(first + 1, public_key_raw(signer_key().public_key()))
    return tlv.encode_long(outer, head + key + tlv.encode(first + 2, _sign(head)))


@lru_cache(maxsize=64)
def face_birth_ef(info: CardData) -> bytes:
    """EF 0001: ``FF10 { DF11 birth, DF12 public key, DF13 signature }``."""
    return _signed_object(0xFF10, 0xDF11, birth_text(info))


@lru_cache(maxsize=64)
def face_entries_ef(info: CardData) -> bytes:
    """EF 0002: ``FF20 { DF21 offsets, DF22 birth, DF23 sex, DF24 public key, DF25 name PNG,
    DF26 address PNG, DF27 photo JPEG 2000, DF28 signature, DF29 expiry, DF2A security-code
    PNG }``.

    [model] DF28 signs the concatenated TLVs DF22..DF27, DF29 and DF2A in file order;
    DF29 is YYYYMMDD; DF21 holds the offsets of the nine objects DF22..DF2A.
    """
    expiry = expiry_date(info)
    signed = [
        tlv.encode(0xDF22, birth_text(info)),
        tlv.encode(0xDF23, info.sex.encode("ascii")),
        tlv.encode(0xDF24, public_key_raw(signer_key().public_key())),
        tlv.encode(0xDF25, face_images.name_png(info.name)),
        tlv.encode(0xDF26, face_images.address_png(info.address)),
        tlv.encode(0xDF27, face_images.face_photo_jp2(info.individual_number)),
    ]
    tail = [
        tlv.encode(0xDF29, b"" if expiry is None else f"{expiry:%Y%m%d}".encode("ascii")),
        tlv.encode(0xDF2A, face_images.security_code_png(info.security_code or "")),
    ]
    signature = tlv.encode(0xDF28, _sign(b"".join(signed + tail)))
    return _offsets_file(0xFF20, [*signed, signature, *tail])


#: The prefectures whose name does not end in 県.
_NOT_KEN = ("北海道", "東京都", "京都府", "大阪府")


def _prefecture_length(address: str) -> int:
    """How many characters of ``address`` name its prefecture (0 when it names none): 北海道,
    東京都, 京都府, 大阪府, or two or three characters and 県 (愛知県, 神奈川県). An address
    written from its city on (京都市中京区, 上尾市) has none."""
    if address.startswith(_NOT_KEN):
        return 3
    return next((i + 1 for i in (2, 3) if address[i : i + 1] == "県"), 0)


def municipality(address: str) -> str:
    """[model] The municipality in the card-face EF 0003: the address up to its first
    市, 区, 町 or 村 after the prefecture."""
    start = _prefecture_length(address)
    for i in range(start + 1, len(address)):  # a name has one character at least (市川市)
        if address[i] in "市区町村":
            return address[: i + 1]
    return address


def face_info_ef(info: CardData) -> bytes:
    """EF 0003: [model] ``FF40 { DF41 AP info, DF42 key id, DF43 version, DF44 municipality }``
    (jpki/myna reads the 1st, 3rd and 4th objects in this order; the tags are not public)."""
    body = (
        tlv.encode(0xDF41, CARD_FACE_AP_INFO)
        + tlv.encode(0xDF42, SIGNER_ID)
        + tlv.encode(0xDF43, CARD_FACE_VERSION)
        + tlv.encode(0xDF44, municipality(info.address).encode("utf-8"))
    )
    return tlv.encode(0xFF40, body)


@lru_cache(maxsize=64)
def face_number_ef(info: CardData) -> bytes:
    """EF 0005: ``FF40 { DF41 number PNG, DF42 public key, DF43 signature }`` (PIN A only)."""
    return _signed_object(0xFF40, 0xDF41, face_images.number_png(info.individual_number))


def verify_signature(data: bytes, signature: bytes) -> bool:
    """True when ``signature`` is the sandbox signer's over ``data`` (for readers and tests)."""
    from cryptography.exceptions import InvalidSignature

    try:
        signer_key().public_key().verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True
