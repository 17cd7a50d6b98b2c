"""The holder's choice of certificates on the card (R_CERT_10, R_CERT_4, R_LOSS_4).

The guide treats both certificates as the holder's choice: a card may carry the signing
certificate (署名用電子証明書), the authentication certificate (利用者証明用電子証明書), both, or
none. The choice is made at the application, confirmed at hand-over, and can change later at the
window (a certificate added, or revoked at will). Under-15s and adult wards may not choose the
signing certificate (R_CERT_4).

>>> CertChoice.parse("auth").kinds == frozenset({CertKind.AUTH})
True
>>> CertChoice.default(may_sign=False)
<CertChoice.AUTH: 'auth'>
>>> CertChoice.of({CertKind.SIGN, CertKind.AUTH})
<CertChoice.BOTH: 'both'>
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from mynacard.errors import NotAllowedError, ValidationError
from mynacard.rules.events import CertKind


class CertChoice(StrEnum):
    """Which certificates the holder wants on the card (電子証明書の搭載希望)."""

    BOTH = "both"  # 両方
    SIGN = "sign"  # 署名用のみ
    AUTH = "auth"  # 利用者証明用のみ
    NONE = "none"  # 搭載しない

    @property
    def kinds(self) -> frozenset[CertKind]:
        return _KINDS[self]

    @property
    def label_ja(self) -> str:
        return CHOICE_JA[self]

    @classmethod
    def of(cls, kinds: Iterable[CertKind | str]) -> CertChoice:
        wanted = frozenset(CertKind(k) for k in kinds)
        return next(c for c, ks in _KINDS.items() if ks == wanted)

    @classmethod
    def default(cls, *, may_sign: bool) -> CertChoice:
        """Without a stated choice: every certificate the holder may hold (as before the choice)."""
        return cls.BOTH if may_sign else cls.AUTH

    @classmethod
    def parse(cls, value: CertChoice | str) -> CertChoice:
        """The choice named by ``value``, or ``ValidationError`` naming the four values."""
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            raise ValidationError(
                "certificates",
                f"Certificates must be one of both, sign, auth or none, not {value!r}.",
                "電子証明書の選択は both(両方)・sign(署名用)・auth(利用者証明用)・none(なし)のいずれかです。",
            ) from None


_KINDS = {
    CertChoice.BOTH: frozenset({CertKind.SIGN, CertKind.AUTH}),
    CertChoice.SIGN: frozenset({CertKind.SIGN}),
    CertChoice.AUTH: frozenset({CertKind.AUTH}),
    CertChoice.NONE: frozenset(),
}

CHOICE_JA = {
    CertChoice.BOTH: "署名用・利用者証明用の両方",
    CertChoice.SIGN: "署名用電子証明書のみ",
    CertChoice.AUTH: "利用者証明用電子証明書のみ",
    CertChoice.NONE: "電子証明書なし",
}


def check_choice(choice: CertChoice, *, may_sign: bool) -> CertChoice:
    """Return ``choice``, or refuse a signing certificate the holder may not have (R_CERT_4)."""
    if CertKind.SIGN in choice.kinds and not may_sign:
        raise NotAllowedError(
            "No signing certificate for under-15s or adult wards (R_CERT_4): choose auth or none.",
            "15歳未満の方・成年被後見人の方には署名用電子証明書は発行されません。"
            "利用者証明用のみ(auth)か、なし(none)を選んでください。",
            certificates=choice.value,
        )
    return choice
