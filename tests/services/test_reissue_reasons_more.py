"""A reissue's reason as given at the window (R_LOSS_4): none, an unknown one, or one that is
not a reason for a reissue, each refused with its field and both messages; and the "expiring"
case of R_LOSS_4 when there is no card in effect, or one without an expiry."""

from __future__ import annotations

from datetime import date

import pytest

from mynacard.db.models import Card, CardState
from mynacard.errors import ValidationError
from mynacard.rules.fees import ReissueReason as R
from mynacard.services.reissue import Case, Claim, damage, disaster, for_new, for_reissue, for_renewal, loss, theft

RECEIVED = date(2027, 1, 20)

#: Every reason, in the order of R_LOSS_4's list of reasons as the refusal names them. Written out
#: here, not read from the code under test.
ALL_REASONS = (
    "first_issue, renewal, loss, theft, loss_not_holders_fault, damage, disaster, notes_full, "
    "number_change, admin_error, return_from_abroad, lapsed"
)


def _case(old: Card | None = None, documents: dict | None = None) -> Case:
    return Case(w=None, resident=None, old=old, received=RECEIVED, documents=documents or {})


def _suspended(expires_on: date | None) -> Card:
    return Card(id="C1", state=CardState.SUSPENDED, expires_on=expires_on, notes=[])


# --- the reason given ---------------------------------------------------------------------------


def test_a_reissue_without_a_reason_is_refused_R_LOSS_4():
    with pytest.raises(ValidationError) as e:
        for_reissue(_case(_suspended(date(2030, 6, 15)), {"police_report": "七尾署 第99号"}), None)
    assert e.value.to_dict() == {
        "code": "invalid_input",
        "message": "A reissue needs a reason (loss, theft, damage, ...).",
        "message_ja": "再交付の理由を選んでください。",
        "field": "reason",
    }


@pytest.mark.parametrize("reason", ["renewal", "first_issue", "lapsed", R.LAPSED])
def test_a_reason_of_a_new_card_or_a_renewal_is_no_reason_for_a_reissue_R_LOSS_4(reason):
    with pytest.raises(ValidationError) as e:
        for_reissue(_case(_suspended(date(2030, 6, 15)), {"police_report": "七尾署 第99号"}), reason)
    assert e.value.to_dict() == {
        "code": "invalid_input",
        "message": f"{R(reason).value} is not a reason for a reissue.",
        "message_ja": "再交付の理由が正しくありません。",
        "field": "reason",
    }


@pytest.mark.parametrize("reason", ["lost", "LOSS", ""])
def test_an_unknown_reason_is_refused_listing_every_reason(reason):
    with pytest.raises(ValidationError) as e:
        for_reissue(_case(_suspended(date(2030, 6, 15)), {"police_report": "七尾署 第99号"}), reason)
    assert e.value.to_dict() == {
        "code": "invalid_input",
        "message": f"Unknown reason {reason!r}: one of {ALL_REASONS}.",
        "message_ja": "申請理由が正しくありません。",
        "field": "reason",
    }


def test_an_unknown_reason_is_refused_alike_for_a_new_card_and_a_renewal():
    expected = {
        "code": "invalid_input",
        "message": f"Unknown reason 'stolen': one of {ALL_REASONS}.",
        "message_ja": "申請理由が正しくありません。",
        "field": "reason",
    }
    with pytest.raises(ValidationError) as e:
        for_new(_case(None), "stolen")
    assert e.value.to_dict() == expected
    with pytest.raises(ValidationError) as e:
        for_renewal(_case(Card(id="C1", state=CardState.ISSUED, expires_on=date(2027, 3, 1))), "stolen")
    assert e.value.to_dict() == expected


def test_a_reason_given_as_text_is_checked_as_that_reason_R_LOSS_2():
    case = _case(_suspended(date(2030, 6, 15)), {"police_report": "七尾署 第99号"})
    assert for_reissue(case, "theft") == Claim(R.THEFT, evidence={"police_report": "七尾署 第99号"})
    assert for_reissue(case, R.LOSS) == Claim(R.LOSS, evidence={"police_report": "七尾署 第99号"})


# --- "expiring" needs a card with an expiry (R_LOSS_4) --------------------------------------------


@pytest.mark.parametrize("old", [None, _suspended(None)])
def test_no_card_in_effect_or_no_expiry_is_not_an_expiring_card_R_LOSS_4(old):
    """Without a card in effect, or with one whose expiry is not known, the reissue is not free
    as "expired or under 3 months left": the paid reasons stay paid."""
    assert damage(_case(old, {"damaged_card": "持参"})) == Claim(R.DAMAGE, evidence={"damaged_card": "持参"})
    assert loss(_case(old, {"police_report": "七尾署 第99号"})) == Claim(
        R.LOSS, evidence={"police_report": "七尾署 第99号"}
    )
    assert theft(_case(old, {"police_report": "七尾署 第99号"})).card_expiring is False
    assert disaster(_case(old)) == Claim(R.DISASTER, proven=False)


@pytest.mark.parametrize(
    ("expires_on", "expiring"),
    [
        (date(2027, 1, 19), True),  # expired the day before
        (date(2027, 1, 20), True),  # expires on the day received
        (date(2027, 4, 19), True),  # the window opened on the day received
        (date(2027, 4, 20), False),  # it opens the day after
    ],
)
def test_a_card_expired_or_with_under_3_months_left_is_expiring_R_LOSS_4(expires_on, expiring):
    claim = damage(_case(_suspended(expires_on), {"damaged_card": "持参"}))
    assert claim == Claim(R.DAMAGE, card_expiring=expiring, evidence={"damaged_card": "持参"})
