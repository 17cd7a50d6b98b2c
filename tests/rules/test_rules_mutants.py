"""What the rules tell a person, exactly: the receipt's fee lines, the reason a notice is late,
the message of a date that cannot be. Written to kill the mutants that outlived the other rule
tests (docs/testing.md, "Mutation testing"): each asserts something a resident or a clerk reads.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from mynacard.rules.dates import age_on, nth_birthday_after
from mynacard.rules.eligibility import kiosk_open, may_hold_signing_certificate, needs_legal_representative
from mynacard.rules.fees import FeeLine, ReissueReason, reissue_fee
from mynacard.rules.identity import identity_error
from mynacard.rules.moves import check_moving_in
from mynacard.rules.validity import card_expiry

BIRTH = date(1990, 6, 15)


def test_receipt_lines_of_a_paid_reissue_with_express_R_LOSS_4_R_LOSS_5() -> None:
    """The receipt names each line in English and in Japanese, as the counter prints it."""
    fee = reissue_fee(ReissueReason.LOSS, express=True)
    assert fee.lines == (
        FeeLine("card reissue", "個人番号カード再交付手数料", 800),
        FeeLine("certificate reissue", "電子証明書発行手数料", 200),
        FeeLine("express issuance", "特急発行手数料", 1800),
    )
    assert fee.total == 2800


def test_express_on_a_free_reissue_is_the_one_line_R_LOSS_5() -> None:
    fee = reissue_fee(ReissueReason.LOSS, express=True, card_months_left_under_3=True)
    assert fee.lines == (FeeLine("express issuance", "特急発行手数料", 2000),)
    assert fee.free_because_expiring


def test_late_moving_in_notice_says_which_limit_was_missed_R_CARD_8() -> None:
    moved_in, planned_out = date(2030, 4, 1), date(2030, 4, 1)
    late_for_move_in = check_moving_in(moved_in, date(2030, 6, 1), date(2030, 4, 16))
    assert not late_for_move_in.ok
    assert late_for_move_in.reason == "moving-in notice more than 14 days after moving in"
    late_for_move_out = check_moving_in(date(2030, 5, 5), planned_out, date(2030, 5, 10))
    assert late_for_move_out.reason == "moving-in notice more than 30 days after the planned moving-out date"
    assert late_for_move_out.present_by is None


def test_moving_in_notice_before_the_move_is_refused_with_the_reason_R_CARD_8() -> None:
    with pytest.raises(ValueError, match=r"^the moving-in notice cannot precede the move$"):
        check_moving_in(date(2030, 4, 10), date(2030, 4, 1), date(2030, 4, 9))


def test_card_issued_before_the_application_is_refused_with_the_reason_R_CARD_2() -> None:
    with pytest.raises(ValueError, match=r"^a card cannot be issued before its application was received$"):
        card_expiry(BIRTH, date(2030, 1, 1), date(2030, 1, 2))


def test_card_bound_to_a_stay_still_tells_the_birthday_count_R_CARD_9() -> None:
    """A foreign resident's card ends with the stay; the screen still shows the 10-year basis."""
    term = card_expiry(BIRTH, date(2030, 1, 10), date(2030, 1, 5), period_of_stay_end=date(2031, 3, 31))
    assert term.expires_on == date(2031, 3, 31)
    assert term.bound_to_stay
    assert term.birthdays == 10


def test_impossible_dates_are_refused_with_the_reason_R_CARD_3() -> None:
    with pytest.raises(ValueError, match=r"^the date is before the birth date$"):
        age_on(BIRTH, date(1990, 6, 14))
    with pytest.raises(ValueError, match=r"^n must be at least 1$"):
        nth_birthday_after(BIRTH, date(2030, 1, 1), 0)
    with pytest.raises(ValueError, match=r"^the start date must not be before the birth date$"):
        nth_birthday_after(BIRTH, date(1990, 1, 1), 5)


def test_an_adult_who_is_not_a_ward_may_hold_a_signing_certificate_R_CERT_4() -> None:
    """Without saying anything about wardship, an adult is not one (the default)."""
    assert may_hold_signing_certificate(BIRTH, date(2030, 1, 1))
    assert not needs_legal_representative(BIRTH, date(2030, 1, 1))


def test_kiosk_refuses_a_time_without_zone_naming_the_argument_R_USE_2() -> None:
    with pytest.raises(ValueError, match=r"^at_jst must be timezone-aware"):
        kiosk_open(datetime(2030, 5, 1, 12, 0))


def test_identity_refusal_lists_each_unknown_document_R_CARD_1() -> None:
    assert identity_error(["library_card", "gym_pass"]) == "unknown identity document(s): library_card, gym_pass"


def test_identity_refusal_says_what_is_needed_R_CARD_1() -> None:
    assert identity_error(["pension_book"]) == "identity needs one photo ID, or two other documents (R_CARD_1)"
