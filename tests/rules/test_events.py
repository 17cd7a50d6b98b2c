"""Which life events hold, release or revoke which certificate (R_CERT_5..7, R_LOSS_1, R_LOSS_3)."""

from __future__ import annotations

import pytest

from mynacard.rules.events import (
    CERT_KIND_JA,
    Action,
    CertKind,
    LifeEvent,
    RevocationReason,
    certificate_effects,
)

SIGN, AUTH = CertKind.SIGN, CertKind.AUTH


def actions(event: LifeEvent) -> dict[CertKind, Action]:
    return {kind: effect.action for kind, effect in certificate_effects(event).items()}


def test_attribute_change_revokes_only_the_signing_certificate_R_CERT_5() -> None:
    effects = certificate_effects(LifeEvent.ATTRIBUTE_CHANGE)
    assert actions(LifeEvent.ATTRIBUTE_CHANGE) == {SIGN: Action.REVOKE}
    assert AUTH not in effects  # the authentication certificate carries no personal data
    assert effects[SIGN].reason == RevocationReason.AFFILIATION_CHANGED


def test_hotline_call_holds_both_certificates_R_LOSS_1() -> None:
    effects = certificate_effects(LifeEvent.HOTLINE_SUSPENSION)
    assert actions(LifeEvent.HOTLINE_SUSPENSION) == {SIGN: Action.HOLD, AUTH: Action.HOLD}
    assert {e.reason for e in effects.values()} == {RevocationReason.CERTIFICATE_HOLD}


def test_found_card_releases_the_holds_by_default_R_LOSS_3() -> None:
    assert actions(LifeEvent.FOUND) == {SIGN: Action.RELEASE, AUTH: Action.RELEASE}


def test_found_card_strict_municipality_revokes_R_LOSS_3() -> None:
    """[policy] A municipality setting may require revoking and reissuing instead."""
    assert actions(LifeEvent.FOUND_STRICT) == {SIGN: Action.REVOKE, AUTH: Action.REVOKE}


def test_certificate_on_hold_may_be_revoked_instead_R_CERT_6() -> None:
    assert actions(LifeEvent.HOLD_THEN_REVOKE) == {SIGN: Action.REVOKE, AUTH: Action.REVOKE}


@pytest.mark.parametrize(
    "event",
    [
        LifeEvent.CARD_EXPIRED,
        LifeEvent.CARD_RETURNED,  # R_CARD_10
        LifeEvent.CARD_LAPSED,  # continued use missed (R_CARD_8)
        LifeEvent.NUMBER_CHANGED,  # R_NUM_2
        LifeEvent.CARD_REPLACED,
    ],
)
def test_card_losing_effect_revokes_both_R_CERT_7(event: LifeEvent) -> None:
    assert actions(event) == {SIGN: Action.REVOKE, AUTH: Action.REVOKE}
    assert all(e.reason is not None for e in certificate_effects(event).values())


def test_only_a_card_losing_effect_revokes_both_R_CERT_7() -> None:
    """Exactly the events by which the card loses effect (or the holder asks for it) revoke both
    certificates; every other event leaves at least one of them alive."""
    losing_effect = {
        LifeEvent.CARD_EXPIRED,
        LifeEvent.CARD_RETURNED,
        LifeEvent.CARD_LAPSED,
        LifeEvent.NUMBER_CHANGED,
        LifeEvent.CARD_REPLACED,
    }
    both_revoked = {SIGN: Action.REVOKE, AUTH: Action.REVOKE}
    revoking_both = {event for event in LifeEvent if actions(event) == both_revoked}
    # the card stays in effect, but the certificates go: the strict found policy (R_LOSS_3), a
    # revocation of held certificates (R_CERT_6), a renewal superseding them (R_CERT_3)
    stays = {LifeEvent.FOUND_STRICT, LifeEvent.HOLD_THEN_REVOKE, LifeEvent.CERT_RENEWED}
    assert revoking_both == losing_effect | stays
    for event in losing_effect:  # a revocation for good, never a hold
        for effect in certificate_effects(event).values():
            assert effect.reason not in (None, RevocationReason.CERTIFICATE_HOLD), event


def test_effects_are_a_copy_R_CERT_5() -> None:
    """A caller editing the answer cannot change the rule for the next caller."""
    effects = certificate_effects(LifeEvent.ATTRIBUTE_CHANGE)
    effects.clear()
    assert actions(LifeEvent.ATTRIBUTE_CHANGE) == {SIGN: Action.REVOKE}


def test_certificate_kinds_have_japanese_names_R_CERT_1() -> None:
    assert CERT_KIND_JA == {SIGN: "署名用電子証明書", AUTH: "利用者証明用電子証明書"}
