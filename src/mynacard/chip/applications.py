"""The applications (AP) on the chip and their elementary files (R_CHIP_1, R_CHIP_2, R_CHIP_4).

Each AP is selected by its AID; its EFs by a two-byte file identifier. An EF is one of:
a transparent file whose content is computed from the chip state (``BinaryEF``), a PIN
object that VERIFY and CHANGE REFERENCE DATA act on (``PinEF``), or a private key that
COMPUTE DIGITAL SIGNATURE uses (``KeyEF``).

Layouts marked [model] are this implementation's choice where the public sources do not
describe the real card's bytes; they are documented in ``docs`` of each builder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from mynacard.chip import tlv
from mynacard.chip.model import Chip
from mynacard.chip.pins import FacePin, KeySlot, PinId
from mynacard.chip.session import PinRef

Content = Callable[[Chip], bytes | None]


@dataclass(frozen=True)
class BinaryEF:
    """A transparent EF; ``content`` None means the file is absent (e.g. no certificate)."""

    fid: int
    content: Content
    read_requires: tuple[PinRef, ...] = ()  # any one of these PINs opens the file


@dataclass(frozen=True)
class PinEF:
    fid: int
    pin: PinRef
    changeable: bool = True


@dataclass(frozen=True)
class KeyEF:
    fid: int
    slot: KeySlot


EF = BinaryEF | PinEF | KeyEF


def ef_present(ef: EF, chip: Chip) -> bool:
    """Whether SELECT finds the EF: absent certificates and keys answer 6A82."""
    if isinstance(ef, BinaryEF):
        return ef.content(chip) is not None
    if isinstance(ef, KeyEF):
        return chip.has_key(ef.slot)
    return True


@dataclass(frozen=True)
class Application:
    aid: bytes
    name: str
    name_ja: str
    files: dict[int, EF] = field(default_factory=dict)


# -- JPKI AP (公的個人認証AP) ----------------------------------------------------------------

#: The token EF 0006 holds the label, padded with spaces to 32 bytes; clients (OpenSC's jpki
#: driver among them) compare its start with "JPKIAPICCTOKEN2" (older cards: "JPKIAPICCTOKEN").
JPKI_TOKEN = b"JPKIAPICCTOKEN2".ljust(32, b" ")


def _cert(slot: KeySlot) -> Content:
    return lambda chip: chip.certificate(slot)


def _ca_cert(slot: KeySlot) -> Content:
    return lambda chip: chip.ca_certificate(slot)


JPKI_AP = Application(
    aid=bytes.fromhex("D392F000260100000001"),
    name="JPKI",
    name_ja="公的個人認証AP",
    files={
        0x0001: BinaryEF(0x0001, _cert(KeySlot.SIGN), read_requires=(PinId.SIGN,)),
        0x0002: BinaryEF(0x0002, _ca_cert(KeySlot.SIGN)),
        0x0006: BinaryEF(0x0006, lambda chip: JPKI_TOKEN),
        0x000A: BinaryEF(0x000A, _cert(KeySlot.AUTH)),
        0x000B: BinaryEF(0x000B, _ca_cert(KeySlot.AUTH)),
        0x0017: KeyEF(0x0017, KeySlot.AUTH),
        0x0018: PinEF(0x0018, PinId.AUTH),
        0x001A: KeyEF(0x001A, KeySlot.SIGN),
        0x001B: PinEF(0x001B, PinId.SIGN),
    },
)


# -- card-info-input AP (券面事項入力補助AP) -----------------------------------------------------

NUMBER_EF_SIZE = 16


def number_file(chip: Chip) -> bytes | None:
    """EF 0001: FF10 0C <12 ASCII digits>, [model] padded with FF to 16 bytes."""
    info = chip.card_info
    if info is None:
        return None
    return tlv.encode(0xFF10, info.individual_number.encode("ascii")).ljust(NUMBER_EF_SIZE, b"\xff")


def attributes_file(chip: Chip) -> bytes | None:
    """EF 0002: FF20 { DF21 offsets, DF22 name, DF23 address, DF24 birth, DF25 sex } (R_CHIP_4).

    Name and address are UTF-8, birth YYYYMMDD and sex "1"/"2"/"9" in ASCII. [model] DF21
    holds the four 2-byte offsets of the DF22..DF25 objects from the start of the file.
    """
    info = chip.card_info
    if info is None:
        return None
    parts = [
        tlv.encode(0xDF22, info.name.encode("utf-8")),
        tlv.encode(0xDF23, info.address.encode("utf-8")),
        tlv.encode(0xDF24, f"{info.birth_date:%Y%m%d}".encode("ascii")),
        tlv.encode(0xDF25, info.sex.encode("ascii")),
    ]
    header_len = len(tlv.encode(0xDF21, bytes(8)))
    body_len = header_len + sum(len(p) for p in parts)
    start = len(tlv.encode(0xFF20, bytes(body_len))) - body_len + header_len
    offsets = b""
    for p in parts:
        offsets += start.to_bytes(2, "big")
        start += len(p)
    return tlv.encode(0xFF20, tlv.encode(0xDF21, offsets) + b"".join(parts))


CARD_INFO_AP = Application(
    aid=bytes.fromhex("D3921000310001010408"),
    name="card-info-input",
    name_ja="券面事項入力補助AP",
    files={
        0x0011: PinEF(0x0011, PinId.CARD_INFO),
        0x0001: BinaryEF(0x0001, number_file, read_requires=(PinId.CARD_INFO,)),
        0x0002: BinaryEF(0x0002, attributes_file, read_requires=(PinId.CARD_INFO,)),
    },
)


# -- card-face AP (券面事項確認AP) ---------------------------------------------------------------


def face_number_file(chip: Chip) -> bytes | None:
    """[model] EF 0001, the back of the card: FF30 { DF31 number }. Needs PIN A (R_NUM_3).

    The real card holds images; this model holds the text.
    """
    info = chip.card_info
    if info is None:
        return None
    return tlv.encode(0xFF30, tlv.encode(0xDF31, info.individual_number.encode("ascii")))


def face_front_file(chip: Chip) -> bytes | None:
    """[model] EF 0002, the front: FF40 { DF41 name, DF42 address, DF43 birth, DF44 sex,
    DF45 expiry year }. PIN A or PIN B opens it."""
    info = chip.card_info
    if info is None:
        return None
    body = (
        tlv.encode(0xDF41, info.name.encode("utf-8"))
        + tlv.encode(0xDF42, info.address.encode("utf-8"))
        + tlv.encode(0xDF43, f"{info.birth_date:%Y%m%d}".encode("ascii"))
        + tlv.encode(0xDF44, info.sex.encode("ascii"))
    )
    if info.expiry_year is not None:
        body += tlv.encode(0xDF45, f"{info.expiry_year:04d}".encode("ascii"))
    return tlv.encode(0xFF40, body)


CARD_FACE_AP = Application(
    aid=bytes.fromhex("D3921000310001010402"),
    name="card-face",
    name_ja="券面事項確認AP",
    files={
        # [model] file identifiers of the two PINs.
        0x0013: PinEF(0x0013, FacePin.A, changeable=False),
        0x0012: PinEF(0x0012, FacePin.B, changeable=False),
        0x0001: BinaryEF(0x0001, face_number_file, read_requires=(FacePin.A,)),
        0x0002: BinaryEF(0x0002, face_front_file, read_requires=(FacePin.A, FacePin.B)),
    },
)


# -- resident registry AP (住民基本台帳AP) ------------------------------------------------------

RESIDENT_AP = Application(
    aid=bytes.fromhex("D3921000310001010401"),
    name="resident-registry",
    name_ja="住民基本台帳AP",
    files={
        # [model] Only the PIN is modelled: a window terminal checks it for continued use
        # after moving (R_CARD_8). The AP's data files are not public.
        0x0011: PinEF(0x0011, PinId.RESIDENT),
    },
)

APPLICATIONS: dict[bytes, Application] = {
    ap.aid: ap for ap in (JPKI_AP, CARD_INFO_AP, CARD_FACE_AP, RESIDENT_AP)
}
