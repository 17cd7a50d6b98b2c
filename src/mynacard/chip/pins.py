"""The four PINs of the card and their form (R_PIN_1..3).

署名用パスワード (signing password), 利用者証明用電子証明書暗証番号 (authentication PIN),
住民基本台帳用暗証番号 (resident-registry PIN) and 券面事項入力補助用暗証番号 (card-info-input
PIN) are four separate objects on the chip, each with its own error counter, even when two of
them hold the same value (R_PIN_3).

The form checks here belong to client software and the window: the chip itself compares bytes
and counts every mismatch as a wrong try (R_PIN_4).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from enum import StrEnum

from mynacard.errors import ValidationError


class PinId(StrEnum):
    """The PIN objects of the chip."""

    SIGN = "sign"  # 署名用電子証明書のパスワード
    AUTH = "auth"  # 利用者証明用電子証明書の暗証番号
    RESIDENT = "resident"  # 住民基本台帳用の暗証番号
    CARD_INFO = "card_info"  # 券面事項入力補助用の暗証番号


class KeySlot(StrEnum):
    """The two JPKI key pairs of the chip (R_CERT_1)."""

    SIGN = "sign"
    AUTH = "auth"


#: Consecutive wrong entries that lock each PIN (R_PIN_1, R_PIN_2, R_PIN_3).
MAX_TRIES: dict[PinId, int] = {
    PinId.SIGN: 5,
    PinId.AUTH: 3,
    PinId.RESIDENT: 3,
    PinId.CARD_INFO: 3,
}

#: The PIN that guards each key slot.
SLOT_PIN: dict[KeySlot, PinId] = {KeySlot.SIGN: PinId.SIGN, KeySlot.AUTH: PinId.AUTH}

PIN_NAMES_JA: dict[PinId, str] = {
    PinId.SIGN: "署名用電子証明書のパスワード",
    PinId.AUTH: "利用者証明用電子証明書の暗証番号",
    PinId.RESIDENT: "住民基本台帳用の暗証番号",
    PinId.CARD_INFO: "券面事項入力補助用の暗証番号",
}

_SIGN_RE = re.compile(r"[A-Z0-9]{6,16}")
_FOUR_DIGITS_RE = re.compile(r"[0-9]{4}")


def ascii_upper(value: str) -> str:
    """Upper-case a-z only: "ß".upper() is "SS" and must not turn into a valid password."""
    return value.translate(_ASCII_UPPER)


_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def check_pin_format(pin_id: PinId, value: str) -> str:
    """Return ``value`` in the form the chip stores, or raise ``ValidationError``.

    The signing password is upper-cased first (R_PIN_1); the three others are 4 digits
    (R_PIN_2, R_PIN_3).

    >>> check_pin_format(PinId.SIGN, "abc123")
    'ABC123'
    >>> check_pin_format(PinId.AUTH, "1234")
    '1234'
    """
    pin_id = PinId(pin_id)
    if not isinstance(value, str):
        raise TypeError(f"A PIN must be a str, not {type(value).__name__}")
    field = f"pin.{pin_id.value}"
    if pin_id is PinId.SIGN:
        normalized = ascii_upper(value)
        if not _SIGN_RE.fullmatch(normalized):
            raise ValidationError(
                field,
                "The signing password should be 6 to 16 characters of A-Z and 0-9 (R_PIN_1).",
                "署名用電子証明書のパスワードは英大文字A-Zと数字0-9を使い、6文字以上16文字以下で"
                "設定してください。",
            )
        if not any(c.isalpha() for c in normalized) or not any(c.isdigit() for c in normalized):
            raise ValidationError(
                field,
                "The signing password should contain at least one letter and one digit (R_PIN_1).",
                "署名用電子証明書のパスワードには英字と数字をそれぞれ1文字以上含めてください。",
            )
        return normalized
    if not _FOUR_DIGITS_RE.fullmatch(value):
        rule = "R_PIN_2" if pin_id is PinId.AUTH else "R_PIN_3"
        raise ValidationError(
            field,
            f"The {pin_id.value} PIN should be exactly 4 digits ({rule}).",
            f"{PIN_NAMES_JA[pin_id]}は数字4桁で設定してください。",
        )
    return value


@dataclass
class PinRecord:
    """One PIN object: a salted hash of its value and its error counter.

    The hash is HMAC-SHA256 keyed by a random salt: it keeps values out of dumps of the state
    and costs microseconds, so a fuzz test can run 100,000 VERIFY commands. A 4-digit PIN
    cannot be protected by hashing anyway; the chip's protection is the counter.
    """

    salt: bytes
    digest: bytes
    tries_left: int

    @classmethod
    def new(cls, value: bytes, tries: int) -> PinRecord:
        salt = os.urandom(16)
        return cls(salt=salt, digest=_pin_digest(salt, value), tries_left=tries)

    def matches(self, value: bytes) -> bool:
        return hmac.compare_digest(self.digest, _pin_digest(self.salt, value))


def _pin_digest(salt: bytes, value: bytes) -> bytes:
    return hmac.new(salt, value, hashlib.sha256).digest()


class FacePin(StrEnum):
    """The two PINs of the card-face AP (券面事項確認AP), derived from the card face.

    PIN A is the 12-digit individual number; PIN B is the date of birth (YYMMDD), the
    expiry year (YYYY) and the 4-digit security code printed on the front. They are not set
    by the holder, so they are not ``PinId`` members.
    """

    A = "face_a"
    B = "face_b"


#: [model] The card-face PINs also lock after consecutive wrong entries; the public
#: sources do not state the number, this model uses 10.
FACE_MAX_TRIES = 10
