"""The applications (AP) on the chip and their elementary files (R_CHIP_1, R_CHIP_2, R_CHIP_4).

Each AP is selected by its AID; its EFs by a two-byte file identifier. An EF is one of:
a transparent file whose content is computed from the chip state (``BinaryEF``), a PIN
object that VERIFY and CHANGE REFERENCE DATA act on (``PinEF``), or a private key that
COMPUTE DIGITAL SIGNATURE uses (``KeyEF``).

Layouts marked [model] are this implementation's choice where the public sources do not
describe the real card's bytes. The sources of each layout are named beside it here and in
``card_data`` (OpenSC ``card-jpki.c``/``pkcs15-jpki.c``, jpki/myna, AokiApp/jsapdu,
siketyan/jpki-rs). A file's identifier below 0x1F is also its short EF identifier (READ
BINARY ``00 B0 80|SFI``, VERIFY ``00 20 00 80|SFI``), as AokiApp/jsapdu addresses every file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from mynacard.chip import card_data
from mynacard.chip.card_data import CardData
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
class RecordEF:
    """[model] A linear record file read with READ RECORD (only the common AP has one)."""

    sfi: int
    records: Callable[[Chip], list[bytes]]


@dataclass(frozen=True)
class Application:
    aid: bytes
    name: str
    name_ja: str
    files: dict[int, EF] = field(default_factory=dict)
    record_files: dict[int, RecordEF] = field(default_factory=dict)


# -- JPKI AP (公的個人認証AP) ----------------------------------------------------------------

#: The token EF 0006 holds the label, padded with spaces to 32 bytes; clients (OpenSC's jpki
#: driver among them) compare its start with "JPKIAPICCTOKEN2" (older cards: "JPKIAPICCTOKEN").
JPKI_TOKEN = b"JPKIAPICCTOKEN2".ljust(32, b" ")


def _cert(slot: KeySlot) -> Content:
    return lambda chip: chip.certificate(slot)


def _ca_cert(slot: KeySlot) -> Content:
    return lambda chip: chip.ca_certificate(slot)


#: A card without one of the certificates (declined by the holder, or revoked at the window and not
#: reissued, R_CERT_10) has the same JPKI AP with the same file identifiers; for that kind:
#:
#: - the key EF (0017/001A), the certificate EF (000A/0001) and its CA certificate EF (000B/0002)
#:   answer SELECT with 6A82. OpenSC ``card-jpki.c`` (``jpki_select_file``) sends SELECT 00 A4 02
#:   0C and passes the status word to ``sc_check_sw``, so ``pkcs15-tool --read-certificate``
#:   reports "File not found"; jpki/myna ``libmyna/jpki_ap.go`` (``ReadCertificate``) reads
#:   nothing after it. [model] No source shows a real card's answer; 6A82 is ISO 7816-4's "file
#:   not found", which both readers handle.
#: - the PIN EF (0018/001B) is there and answers the tries-left query (VERIFY, no data) with
#:   63 Cx of its full count, holding no PIN: a VERIFY with a PIN answers 6A88 (reference data
#:   not found). Source of the 63 Cx: OpenSC ``pkcs15-jpki.c`` (``sc_pkcs15emu_jpki_init``) asks
#:   both PINs' tries when it binds the token and gives up on the whole card, the authentication
#:   half included, unless the answer is 63 Cx (``jpki_pin_cmd`` GET_INFO); its only way to
#:   leave the signing objects out is the reader's own setting ``disable_sign_cert``, so the
#:   cards it reads without that setting answer 63 Cx. [model] The count shown (the full one)
#:   and 6A88 are not settled by any source.
#: - COMPUTE DIGITAL SIGNATURE on the absent key answers 6A88 (``card_os.compute_signature``).
#:
#: JPKI file identifiers: OpenSC ``jpki.h`` and ``card-jpki.c`` (0001, 0002, 000A, 000B certificates,
#: 0017/001A keys, 0018/001B PINs), jpki/myna ``src/jpki.rs`` (0006 token). AokiApp/jsapdu lists
#: further EFs (0005, 0008, 0009, 0010, 0016, 0019, 001C, 001E) whose content no source shows;
#: [model] they are not modelled and answer 6A82.
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


def _info(build: Callable[[CardData], bytes]) -> Content:
    """A file made from the card data; absent (6A82) on a chip without card data."""

    def content(chip: Chip) -> bytes | None:
        info = chip.card_info
        return None if info is None else build(CardData.of(info))

    return content


def number_file(chip: Chip) -> bytes | None:
    return _info(card_data.number_ef)(chip)


def attributes_file(chip: Chip) -> bytes | None:
    return _info(card_data.attributes_ef)(chip)


#: File identifiers: jpki/myna Go ``text_ap.go`` (0001..0005, PIN 0011, PIN A 0014, PIN B
#: 0015), AokiApp/jsapdu ``KENHOJO_AP_EF``. Access: the PIN (0011) opens the number, the four
#: attributes and their signature; [model] PIN A (the number) opens them too, PIN B the four
#: attributes only; 0004 and 0005 are public (jsapdu's e2e tests read them without a PIN).
#: [model] PIN A and PIN B here are the card-face AP's objects: they share their counters.
CARD_INFO_AP = Application(
    aid=bytes.fromhex("D3921000310001010408"),
    name="card-info-input",
    name_ja="券面事項入力補助AP",
    files={
        0x0001: BinaryEF(0x0001, number_file, read_requires=(PinId.CARD_INFO, FacePin.A)),
        0x0002: BinaryEF(
            0x0002, attributes_file, read_requires=(PinId.CARD_INFO, FacePin.A, FacePin.B)
        ),
        0x0003: BinaryEF(
            0x0003,
            _info(card_data.card_info_signature_ef),
            read_requires=(PinId.CARD_INFO, FacePin.A),
        ),
        0x0004: BinaryEF(0x0004, lambda chip: card_data.cv_certificate()),
        0x0005: BinaryEF(
            0x0005, lambda chip: card_data.ap_info_ef(card_data.CARD_INFO_AP_INFO)
        ),
        0x0011: PinEF(0x0011, PinId.CARD_INFO),
        0x0014: PinEF(0x0014, FacePin.A, changeable=False),
        0x0015: PinEF(0x0015, FacePin.B, changeable=False),
    },
)


# -- card-face AP (券面事項確認AP) ---------------------------------------------------------------

#: File identifiers: jpki/myna (0002, PIN A 0013, PIN B 0012, 0003 basic information),
#: AokiApp/jsapdu ``KENKAKU_AP_EF`` (0001 birth, 0004 certificate, 0005 number) and
#: siketyan/jpki-rs ``surface.rs`` (0002 with PIN A or PIN B). Access: PIN A or PIN B opens the
#: front (0001, 0002); only PIN A (which is the number) opens the number image 0005 (R_NUM_3);
#: 0003 and 0004 are public. [model] jsapdu names a PIN EF 0011 ("BIRTH_PIN") that no source
#: describes further; it is not modelled (6A82).
CARD_FACE_AP = Application(
    aid=bytes.fromhex("D3921000310001010402"),
    name="card-face",
    name_ja="券面事項確認AP",
    files={
        0x0001: BinaryEF(
            0x0001, _info(card_data.face_birth_ef), read_requires=(FacePin.A, FacePin.B)
        ),
        0x0002: BinaryEF(
            0x0002, _info(card_data.face_entries_ef), read_requires=(FacePin.A, FacePin.B)
        ),
        0x0003: BinaryEF(0x0003, _info(card_data.face_info_ef)),
        0x0004: BinaryEF(0x0004, lambda chip: card_data.cv_certificate()),
        0x0005: BinaryEF(0x0005, _info(card_data.face_number_ef), read_requires=(FacePin.A,)),
        0x0012: PinEF(0x0012, FacePin.B, changeable=False),
        0x0013: PinEF(0x0013, FacePin.A, changeable=False),
    },
)


# -- resident registry AP (住民基本台帳AP) ------------------------------------------------------

RESIDENT_AP = Application(
    aid=bytes.fromhex("D3921000310001010401"),
    name="resident-registry",
    name_ja="住民基本台帳AP",
    files={
        # The PIN EF is 001C on real cards (AokiApp/jsapdu lists 001C in every AP; the
        # window terminal checks it for continued use after moving, R_CARD_8). [model] The
        # AP's data files are not public and are not modelled.
        0x001C: PinEF(0x001C, PinId.RESIDENT),
    },
)


# -- common AP (共通AP) --------------------------------------------------------------------------


def _common_records(chip: Chip) -> list[bytes]:
    """[model] Record 1 of SFI 1: a TLV of 17 ASCII characters whose characters 2..14 are
    the chip's 13-digit manufacturing number (jpki/myna ``src/unknown.rs`` reads it so and
    prints characters 2..15); the tag and the other characters are not public."""
    digest = int.from_bytes(hashlib.sha256(chip.state.card_id.encode("utf-8")).digest()[:8], "big")
    return [bytes((0x30, 17)) + f"JS{digest % 10**13:013d}00".encode("ascii")]


#: The AP that jpki/myna calls "unknown" (``myna unknown number``): AID from its
#: ``src/unknown.rs``, read with READ RECORD 00 B2 01 0C.
COMMON_AP = Application(
    aid=bytes.fromhex("D3921000310001010100"),
    name="common",
    name_ja="共通AP",
    record_files={1: RecordEF(1, _common_records)},
)

APPLICATIONS: dict[bytes, Application] = {
    ap.aid: ap for ap in (JPKI_AP, CARD_INFO_AP, CARD_FACE_AP, RESIDENT_AP, COMMON_AP)
}
