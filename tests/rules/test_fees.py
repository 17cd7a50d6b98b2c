"""Reissue fees, free cases, express issuance, required documents (R_LOSS_2, R_LOSS_4, R_LOSS_5)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from mynacard.rules.fees import (
    EXPRESS_WINDOW_DAYS,
    REASON_JA,
    REQUIRED_DOCUMENT,
    Document,
    FeeSchedule,
    ReissueReason,
    express_eligible,
    is_free,
    reissue_fee,
)

R = ReissueReason


def test_default_reissue_fee_800_plus_200_R_LOSS_4() -> None:
    fee = reissue_fee(R.LOSS)
    assert [line.amount for line in fee.lines] == [800, 200]
    assert fee.total == 1000
    assert fee.free_reason is None
    assert all(line.item_ja for line in fee.lines)  # Japanese labels for the receipt


def test_reissue_without_certificates_is_the_card_fee_R_LOSS_4() -> None:
    assert reissue_fee(R.DAMAGE, with_certificates=False).total == 800


def test_municipality_sets_its_own_fees_R_LOSS_4() -> None:
    schedule = FeeSchedule(card=1000, certificates=300)
    assert reissue_fee(R.LOSS, schedule=schedule).total == 1300


# Each free case of R_LOSS_4, as docs/rules.md words it.
FREE = [
    (R.FIRST_ISSUE, "first issue"),
    (R.RENEWAL, "card expired or under 3 months left (renewal)"),
    (R.NOTES_FULL, "notes field full"),
    (R.NUMBER_CHANGE, "number changed (R_NUM_2)"),
    (R.DISASTER, "disaster (with certificate)"),
    (R.THEFT, "theft ([policy] not the holder's fault)"),
    (R.LOSS_NOT_HOLDERS_FAULT, "loss not the holder's fault"),
    (R.ADMIN_ERROR, "a municipality or J-LIS error"),
    (R.RETURN_FROM_ABROAD, "return from abroad"),
]


@pytest.mark.parametrize("reason", [f[0] for f in FREE], ids=[f[1] for f in FREE])
def test_free_cases_R_LOSS_4(reason: ReissueReason) -> None:
    fee = reissue_fee(reason)
    assert is_free(reason)
    assert (fee.total, fee.lines, fee.free_reason) == (0, (), reason)


@pytest.mark.parametrize("reason", [R.LOSS, R.DAMAGE, R.LAPSED])
def test_paid_cases_R_LOSS_4(reason: ReissueReason) -> None:
    assert not is_free(reason)
    assert reissue_fee(reason).total == 1000


@pytest.mark.parametrize("reason", [R.LOSS, R.DAMAGE, R.LAPSED])
def test_free_when_card_has_under_3_months_left_R_LOSS_4(reason: ReissueReason) -> None:
    assert is_free(reason, card_months_left_under_3=True)
    assert reissue_fee(reason, card_months_left_under_3=True).total == 0


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        (R.NOTES_FULL, 2000),  # free issue + express: 2,000 yen
        (R.RETURN_FROM_ABROAD, 2000),
        (R.LOSS, 800 + 200 + 1800),  # already a paid reissue: express 1,800 yen on top
        (R.DAMAGE, 800 + 200 + 1800),
    ],
)
def test_express_fee_2000_or_1800_R_LOSS_5(reason: ReissueReason, expected: int) -> None:
    fee = reissue_fee(reason, express=True)
    assert fee.total == expected
    assert fee.lines[-1].item == "express issuance"


EVENT = date(2025, 6, 1)
EXPRESS_REASONS = [
    R.RETURN_FROM_ABROAD,
    R.LOSS,
    R.THEFT,
    R.LOSS_NOT_HOLDERS_FAULT,
    R.DAMAGE,
    R.NUMBER_CHANGE,
    R.NOTES_FULL,
]


@pytest.mark.parametrize("reason", EXPRESS_REASONS)
def test_express_for_listed_events_within_30_days_R_LOSS_5(reason: ReissueReason) -> None:
    assert express_eligible(reason, EVENT, EVENT)
    assert express_eligible(reason, EVENT, EVENT + timedelta(days=30))
    assert not express_eligible(reason, EVENT, EVENT + timedelta(days=31))
    assert not express_eligible(reason, EVENT, EVENT - timedelta(days=1))


def test_express_window_is_30_days_R_LOSS_5() -> None:
    assert EXPRESS_WINDOW_DAYS == 30


@pytest.mark.parametrize("reason", [R.FIRST_ISSUE, R.RENEWAL, R.DISASTER, R.ADMIN_ERROR, R.LAPSED])
def test_no_express_for_other_reasons_R_LOSS_5(reason: ReissueReason) -> None:
    assert not express_eligible(reason, EVENT, EVENT, birth=date(1990, 6, 1))


@pytest.mark.parametrize(
    ("birth", "eligible"),
    [
        (date(2025, 5, 20), True),  # a newborn
        (date(2024, 6, 3), True),  # 11 months and 29 days: still 0
        (date(2024, 6, 2), False),  # 1 on the day before the 1st birthday (R_CARD_5)
    ],
)
def test_express_for_infants_under_1_R_LOSS_5(birth: date, eligible: bool) -> None:
    """A first issue for an infant; the event is the application itself (the service's default)."""
    assert express_eligible(R.FIRST_ISSUE, EVENT, EVENT, birth=birth) is eligible


@pytest.mark.parametrize(
    ("reason", "document"),
    [
        (R.LOSS, Document.POLICE_REPORT),  # 遺失届の受理番号
        (R.THEFT, Document.POLICE_REPORT),
        (R.LOSS_NOT_HOLDERS_FAULT, Document.POLICE_REPORT),
        (R.DISASTER, Document.DISASTER_CERTIFICATE),  # 罹災証明書
        (R.DAMAGE, Document.DAMAGED_CARD),  # the damaged card is brought to the window
    ],
)
def test_required_documents_R_LOSS_2(reason: ReissueReason, document: Document) -> None:
    assert REQUIRED_DOCUMENT[reason] == document


@pytest.mark.parametrize(
    "reason", [R.FIRST_ISSUE, R.RENEWAL, R.NOTES_FULL, R.NUMBER_CHANGE, R.ADMIN_ERROR]
)
def test_no_document_needed_otherwise_R_LOSS_2(reason: ReissueReason) -> None:
    assert reason not in REQUIRED_DOCUMENT


def test_every_reason_has_a_japanese_label_R_LOSS_4() -> None:
    assert set(REASON_JA) == set(ReissueReason)
    assert all(REASON_JA.values())


def test_loss_reissue_of_an_expiring_card_is_free_and_says_why_R_LOSS_4():
    """Free because under 3 months were left, not because a loss is a free reason."""
    fee = reissue_fee(ReissueReason.LOSS, card_months_left_under_3=True)
    assert (fee.total, fee.free_reason, fee.free_because_expiring) == (0, None, True)


def test_a_free_reason_without_its_evidence_is_charged_R_LOSS_4():
    """A disaster without its certificate: the ordinary fee, and nothing claims it was free."""
    fee = reissue_fee(ReissueReason.DISASTER, proven=False)
    assert (fee.total, fee.free_reason, fee.free_because_expiring) == (1000, None, False)
    express = reissue_fee(ReissueReason.DISASTER, proven=False, express=True)
    assert express.total == 1000 + 1800  # express on top of a paid reissue (R_LOSS_5)
    expiring = reissue_fee(ReissueReason.DISASTER, proven=False, card_months_left_under_3=True)
    assert (expiring.total, expiring.free_because_expiring) == (0, True)  # free for another reason
