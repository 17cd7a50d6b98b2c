"""Deadlines of a move to another municipality (R_CARD_8)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mynacard.rules.moves import check_moving_in, continued_use_deadline, moving_in_deadline

CASES = [
    # (moved_in_on, planned_move_out_on, notice_on, ok, present_by, why)
    (date(2025, 4, 1), date(2025, 3, 31), date(2025, 4, 1), True, date(2025, 6, 30), "same day"),
    (date(2025, 4, 1), date(2025, 3, 31), date(2025, 4, 15), True, date(2025, 7, 14), "14th day"),
    (date(2025, 4, 1), date(2025, 3, 31), date(2025, 4, 16), False, None, "15th day"),
    # moved in late: the 30 days after the planned moving-out date run out first
    (date(2025, 3, 28), date(2025, 3, 10), date(2025, 4, 9), True, date(2025, 7, 8), "30th day"),
    (date(2025, 3, 28), date(2025, 3, 10), date(2025, 4, 10), False, None, "31st day"),
]


@pytest.mark.parametrize(
    ("moved_in_on", "planned_move_out_on", "notice_on", "ok", "present_by"),
    [c[:5] for c in CASES],
    ids=[c[5] for c in CASES],
)
def test_moving_in_notice_14_and_30_days_R_CARD_8(
    moved_in_on: date, planned_move_out_on: date, notice_on: date, ok: bool, present_by: date | None
) -> None:
    check = check_moving_in(moved_in_on, planned_move_out_on, notice_on)
    assert (check.ok, check.present_by) == (ok, present_by)
    assert (check.reason == "") is ok


@pytest.mark.parametrize(
    ("moved_in_on", "planned", "notice_on", "days"),
    [
        (date(2025, 4, 1), date(2025, 3, 31), date(2025, 4, 16), "14 days"),
        (date(2025, 3, 28), date(2025, 3, 10), date(2025, 4, 10), "30 days"),
    ],
)
def test_missed_deadline_says_which_R_CARD_8(
    moved_in_on: date, planned: date, notice_on: date, days: str
) -> None:
    assert days in check_moving_in(moved_in_on, planned, notice_on).reason


def test_notice_before_moving_in_is_an_error_R_CARD_8() -> None:
    with pytest.raises(ValueError, match="cannot precede"):
        check_moving_in(date(2025, 4, 1), date(2025, 3, 31), date(2025, 3, 31))


@pytest.mark.parametrize(
    ("moved_in_on", "planned", "deadline"),
    [
        (date(2025, 4, 1), date(2025, 3, 31), date(2025, 4, 15)),  # 14 days after moving in
        (date(2025, 3, 28), date(2025, 3, 10), date(2025, 4, 9)),  # 30 days after planned move-out
    ],
)
def test_moving_in_deadline_is_the_earlier_limit_R_CARD_8(
    moved_in_on: date, planned: date, deadline: date
) -> None:
    assert moving_in_deadline(moved_in_on, planned) == deadline


def test_card_presented_within_90_days_of_the_notice_R_CARD_8() -> None:
    assert continued_use_deadline(date(2025, 4, 15)) == date(2025, 7, 14)


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2080, 12, 31)),
    st.integers(-60, 60),
    st.integers(0, 60),
)
def test_notice_ok_iff_by_the_deadline_R_CARD_8(
    moved_in: date, planned_offset: int, late: int
) -> None:
    planned = moved_in + timedelta(days=planned_offset)
    notice = moved_in + timedelta(days=late)
    check = check_moving_in(moved_in, planned, notice)
    assert check.ok == (notice <= moving_in_deadline(moved_in, planned))
    assert check.present_by == (notice + timedelta(days=90) if check.ok else None)
