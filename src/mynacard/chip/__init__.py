"""The IC chip of the My Number Card (個人番号カードのICチップ).

``Chip`` is the model the services use: four PIN objects with persistent counters
(R_PIN_1..7), two RSA-2048 key pairs made on the chip (R_CERT_2), the certificates and the
card data. ``ChipSession`` holds the per-session security status; ``VirtualCard`` is the
ISO 7816-4 APDU front end (``card_os``) and ``client.CardClient`` the reader-side helper.
"""

from mynacard.chip.card_os import ATR, VirtualCard
from mynacard.chip.model import Chip, OnChange
from mynacard.chip.pins import (
    FACE_MAX_TRIES,
    MAX_TRIES,
    SLOT_PIN,
    FacePin,
    KeySlot,
    PinId,
    check_pin_format,
)
from mynacard.chip.session import ChipSession, SecurityStatusError
from mynacard.chip.signing import DIGEST_INFO_PREFIXES, digest_info
from mynacard.chip.state import CardInfo, ChipState

__all__ = [
    "ATR",
    "DIGEST_INFO_PREFIXES",
    "FACE_MAX_TRIES",
    "MAX_TRIES",
    "SLOT_PIN",
    "CardInfo",
    "Chip",
    "ChipSession",
    "ChipState",
    "FacePin",
    "KeySlot",
    "OnChange",
    "PinId",
    "SecurityStatusError",
    "VirtualCard",
    "check_pin_format",
    "digest_info",
]
