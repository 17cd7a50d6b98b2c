"""PIN policy (R_PIN_1..3): forms and how many consecutive errors lock each PIN."""

from __future__ import annotations

import re
from enum import StrEnum


class PinKind(StrEnum):
    SIGN = "sign"  # 署名用電子証明書の暗証番号 (password)
    AUTH = "auth"  # 利用者証明用電子証明書の暗証番号
    RESIDENT = "resident"  # 住民基本台帳用の暗証番号
    CARD_INFO = "card_info"  # 券面事項入力補助用の暗証番号


PIN_LABEL_JA = {
    PinKind.SIGN: "署名用電子証明書の暗証番号",
    PinKind.AUTH: "利用者証明用電子証明書の暗証番号",
    PinKind.RESIDENT: "住民基本台帳用の暗証番号",
    PinKind.CARD_INFO: "券面事項入力補助用の暗証番号",
}

MAX_TRIES = {PinKind.SIGN: 5, PinKind.AUTH: 3, PinKind.RESIDENT: 3, PinKind.CARD_INFO: 3}

_SIGN_RE = re.compile(r"^(?=.*[A-Z])(?=.*[0-9])[A-Z0-9]{6,16}$")
_FOUR_DIGITS = re.compile(r"^[0-9]{4}$")


def pin_format_error(kind: PinKind, value: str) -> tuple[str, str] | None:
    """What is wrong with ``value`` as a ``kind`` PIN, in English and Japanese; None if fine.

    >>> pin_format_error(PinKind.SIGN, "abc123") is None
    True
    >>> pin_format_error(PinKind.AUTH, "12a4")[0]
    'The auth PIN must be exactly 4 digits (R_PIN_2).'
    """
    if kind is PinKind.SIGN:
        if _SIGN_RE.match(value.upper()):
            return None
        return (
            "The signing password must be 6-16 characters of A-Z and 0-9 with at least one "
            "letter and one digit (R_PIN_1).",
            "署名用電子証明書の暗証番号は、英字と数字をそれぞれ1文字以上含む6～16桁の英数字にしてください。",
        )
    if _FOUR_DIGITS.match(value):
        return None
    rule = "R_PIN_2" if kind is PinKind.AUTH else "R_PIN_3"
    return (
        f"The {kind.value} PIN must be exactly 4 digits ({rule}).",
        f"{PIN_LABEL_JA[kind]}は数字4桁にしてください。",
    )


def normalize_pin(kind: PinKind, value: str) -> str:
    """The value as the card stores it: the signing password is upper-cased (R_PIN_1)."""
    return value.upper() if kind is PinKind.SIGN else value
