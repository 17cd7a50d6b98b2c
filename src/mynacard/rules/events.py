"""Which life events revoke or hold which certificate (R_CERT_5..7, R_LOSS_1, R_LOSS_3)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class CertKind(StrEnum):
    SIGN = "sign"  # 署名用電子証明書
    AUTH = "auth"  # 利用者証明用電子証明書


CERT_KIND_JA = {CertKind.SIGN: "署名用電子証明書", CertKind.AUTH: "利用者証明用電子証明書"}


class Action(StrEnum):
    HOLD = "hold"  # 一時保留
    RELEASE = "release"  # 一時保留解除
    REVOKE = "revoke"  # 失効


class RevocationReason(StrEnum):
    """RFC 5280 reason codes as this system uses them ([policy], documented in the README)."""

    UNSPECIFIED = "unspecified"
    KEY_COMPROMISE = "key_compromise"
    AFFILIATION_CHANGED = "affiliation_changed"
    SUPERSEDED = "superseded"
    CESSATION_OF_OPERATION = "cessation_of_operation"
    CERTIFICATE_HOLD = "certificate_hold"


class LifeEvent(StrEnum):
    ATTRIBUTE_CHANGE = "attribute_change"  # 基本4情報の変更 (move, marriage, ...)
    HOTLINE_SUSPENSION = "hotline_suspension"  # 一時停止 (紛失・盗難の連絡)
    FOUND = "found"  # 発見 → 一時停止解除
    FOUND_STRICT = "found_strict"  # 発見, municipality requires re-issuing the certificates
    HOLD_THEN_REVOKE = "hold_then_revoke"  # 一時保留後の失効
    CARD_EXPIRED = "card_expired"
    CARD_RETURNED = "card_returned"
    CARD_LAPSED = "card_lapsed"  # 継続利用の期限切れ等
    CARD_REPLACED = "card_replaced"  # 再交付・更新で旧カードが失効
    NUMBER_CHANGED = "number_changed"
    CERT_RENEWED = "cert_renewed"


@dataclass(frozen=True)
class Effect:
    action: Action
    reason: RevocationReason | None = None


_BOTH = (CertKind.SIGN, CertKind.AUTH)


def _all(action: Action, reason: RevocationReason | None = None) -> dict[CertKind, Effect]:
    return {k: Effect(action, reason) for k in _BOTH}


_EFFECTS: dict[LifeEvent, dict[CertKind, Effect]] = {
    # R_CERT_5: any change of the four attributes revokes the signing certificate, not the other.
    LifeEvent.ATTRIBUTE_CHANGE: {CertKind.SIGN: Effect(Action.REVOKE, RevocationReason.AFFILIATION_CHANGED)},
    # R_LOSS_1: the hotline call puts both certificates on hold.
    LifeEvent.HOTLINE_SUSPENSION: _all(Action.HOLD, RevocationReason.CERTIFICATE_HOLD),
    # R_LOSS_3: found -> holds lifted (default), or revoked for re-issuing (municipal setting).
    LifeEvent.FOUND: _all(Action.RELEASE),
    LifeEvent.FOUND_STRICT: _all(Action.REVOKE, RevocationReason.KEY_COMPROMISE),
    # R_CERT_6: a certificate on hold may be revoked instead of released.
    LifeEvent.HOLD_THEN_REVOKE: _all(Action.REVOKE, RevocationReason.KEY_COMPROMISE),
    # R_CERT_7: the card loses effect -> both certificates are revoked.
    LifeEvent.CARD_EXPIRED: _all(Action.REVOKE, RevocationReason.CESSATION_OF_OPERATION),
    LifeEvent.CARD_RETURNED: _all(Action.REVOKE, RevocationReason.CESSATION_OF_OPERATION),
    LifeEvent.CARD_LAPSED: _all(Action.REVOKE, RevocationReason.CESSATION_OF_OPERATION),
    LifeEvent.CARD_REPLACED: _all(Action.REVOKE, RevocationReason.SUPERSEDED),
    LifeEvent.NUMBER_CHANGED: _all(Action.REVOKE, RevocationReason.KEY_COMPROMISE),
    LifeEvent.CERT_RENEWED: _all(Action.REVOKE, RevocationReason.SUPERSEDED),
}


def certificate_effects(event: LifeEvent) -> dict[CertKind, Effect]:
    """What ``event`` does to each certificate on the card (kinds not listed are untouched)."""
    return dict(_EFFECTS[event])
