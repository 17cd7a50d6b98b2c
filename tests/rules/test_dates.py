"""Birthdays, age and month arithmetic (R_CARD_3, R_CARD_4, R_CARD_5)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mynacard.rules.dates import add_months, age_on, birthday_in_year, nth_birthday_after
from tests.rules.strategies import births, is_feb29

ONE_DAY = timedelta(days=1)


@pytest.mark.parametrize(
    ("birth", "year", "expected"),
    [
        (date(1990, 6, 1), 2025, date(2025, 6, 1)),
        (date(2000, 2, 29), 2001, date(2001, 2, 28)),  # common year: 28 February (R_CARD_4)
        (date(2000, 2, 29), 2004, date(2004, 2, 29)),  # leap year: the day itself
        (date(2000, 2, 29), 2100, date(2100, 2, 28)),  # 2100 is not a leap year
        (date(2000, 3, 1), 2001, date(2001, 3, 1)),
    ],
)
def test_birthday_in_year_feb29_R_CARD_4(birth: date, year: int, expected: date) -> None:
    assert birthday_in_year(birth, year) == expected


@pytest.mark.parametrize(
    ("birth", "on", "expected"),
    [
        # R_CARD_5's example: age N is reached on the day before the N-th anniversary.
        (date(2000, 4, 2), date(2018, 4, 1), 18),
        (date(2000, 4, 2), date(2018, 3, 31), 17),
        (date(2000, 4, 1), date(2018, 3, 31), 18),
        (date(2000, 4, 1), date(2018, 3, 30), 17),
        (date(2000, 1, 1), date(2000, 1, 1), 0),  # the day of birth
        (date(2000, 1, 1), date(2000, 12, 31), 1),  # day before the 1st anniversary, across a year
        # R_CARD_4: a 29 February baby ages on 28 February, in common and leap years alike
        (date(2000, 2, 29), date(2001, 2, 27), 0),
        (date(2000, 2, 29), date(2001, 2, 28), 1),
        (date(2000, 2, 29), date(2004, 2, 27), 3),
        (date(2000, 2, 29), date(2004, 2, 28), 4),
        (date(2000, 2, 29), date(2004, 2, 29), 4),
        # born 1 March: the day before the anniversary is 28 or 29 February
        (date(2000, 3, 1), date(2001, 2, 28), 1),
        (date(2000, 3, 1), date(2004, 2, 28), 3),
        (date(2000, 3, 1), date(2004, 2, 29), 4),
    ],
)
def test_age_as_japanese_law_counts_R_CARD_5(birth: date, on: date, expected: int) -> None:
    assert age_on(birth, on) == expected


def test_age_before_birth_is_an_error_R_CARD_5() -> None:
    with pytest.raises(ValueError, match="before the birth"):
        age_on(date(2000, 4, 2), date(2000, 4, 1))


@pytest.mark.parametrize(
    ("birth", "after", "n", "expected"),
    [
        # R_CARD_3: the start day itself is not counted, even when it is a birthday.
        (date(1990, 6, 1), date(2025, 6, 1), 10, date(2035, 6, 1)),
        (date(1990, 6, 1), date(2025, 5, 31), 10, date(2034, 6, 1)),
        (date(1990, 6, 1), date(2025, 6, 2), 10, date(2035, 6, 1)),
        (date(1990, 6, 1), date(2025, 5, 31), 1, date(2025, 6, 1)),
        (date(1990, 6, 1), date(2025, 6, 1), 1, date(2026, 6, 1)),
        (date(2010, 12, 31), date(2025, 12, 31), 5, date(2030, 12, 31)),
        (date(2011, 1, 1), date(2025, 12, 31), 5, date(2030, 1, 1)),
        (date(2020, 5, 5), date(2020, 5, 5), 1, date(2021, 5, 5)),  # issued on the day of birth
        # R_CARD_4: 29 February babies
        (date(2000, 2, 29), date(2025, 3, 1), 10, date(2035, 2, 28)),
        (date(2000, 2, 29), date(2022, 3, 1), 10, date(2032, 2, 29)),
        (date(2000, 2, 29), date(2025, 2, 28), 1, date(2026, 2, 28)),  # 2025-02-28 is not counted
        (date(2000, 2, 29), date(2025, 2, 27), 1, date(2025, 2, 28)),
    ],
)
def test_nth_birthday_after_does_not_count_the_start_R_CARD_3(
    birth: date, after: date, n: int, expected: date
) -> None:
    assert nth_birthday_after(birth, after, n) == expected


@pytest.mark.parametrize(
    ("after", "n", "message"),
    [(date(2000, 1, 1), 0, "at least 1"), (date(1999, 12, 31), 5, "before the birth")],
)
def test_nth_birthday_after_rejects_nonsense_R_CARD_3(after: date, n: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        nth_birthday_after(date(2000, 1, 1), after, n)


@pytest.mark.parametrize(
    ("d", "months", "expected"),
    [
        (date(2030, 4, 1), -3, date(2030, 1, 1)),
        (date(2030, 5, 30), -3, date(2030, 2, 28)),  # clipped to the month's last day
        (date(2028, 5, 30), -3, date(2028, 2, 29)),
        (date(2030, 1, 31), 1, date(2030, 2, 28)),
        (date(2030, 12, 15), 1, date(2031, 1, 15)),
        (date(2030, 1, 15), -1, date(2029, 12, 15)),
        (date(2030, 3, 31), -13, date(2029, 2, 28)),
        (date(2030, 3, 31), 0, date(2030, 3, 31)),
        (date(2030, 3, 31), 120, date(2040, 3, 31)),
    ],
)
def test_add_months_clips_to_month_end_R_CARD_6(d: date, months: int, expected: date) -> None:
    assert add_months(d, months) == expected


# --- properties -------------------------------------------------------------------------------


@given(births, st.integers(0, 60), st.integers(1, 12))
def test_nth_birthday_is_strictly_after_and_increasing_R_CARD_3(
    birth: date, hundreds_of_days: int, n: int
) -> None:
    """The n-th birthday after a day is a birthday, strictly after it, and grows with n."""
    after = birth + timedelta(days=hundreds_of_days * 100)
    nth = nth_birthday_after(birth, after, n)
    following = nth_birthday_after(birth, after, n + 1)
    assert after < nth < following
    assert birthday_in_year(birth, nth.year) == nth
    assert following.year == nth.year + 1
    # the first one is the first: no birthday lies strictly between ``after`` and it
    first = nth_birthday_after(birth, after, 1)
    assert birthday_in_year(birth, first.year - 1) <= after
    assert nth.year == first.year + n - 1


def _age_increments_on(birth: date, d: date) -> bool:
    """Whether ``d`` is the day before an anniversary of ``birth`` (R_CARD_5).

    A 29 February baby has no anniversary in common years; Civil Code art. 143 ends the period
    on the last day of February, so the increment day is 28 February in every year (R_CARD_4).
    """
    if is_feb29(birth):
        return (d.month, d.day) == (2, 28)
    nxt = d + ONE_DAY
    return (nxt.month, nxt.day) == (birth.month, birth.day)


@given(births, st.integers(1, 100 * 366))
def test_age_increments_exactly_on_the_day_before_birthdays_R_CARD_5(birth: date, k: int) -> None:
    """Age changes by one exactly on the day before an anniversary, and by nothing otherwise."""
    d = birth + timedelta(days=k)
    step = age_on(birth, d) - age_on(birth, d - ONE_DAY)
    assert step == (1 if _age_increments_on(birth, d) else 0)


@given(births, st.integers(0, 120 * 366), st.integers(0, 120 * 366))
def test_age_is_monotonic_R_CARD_5(birth: date, a: int, b: int) -> None:
    d1, d2 = sorted((birth + timedelta(days=a), birth + timedelta(days=b)))
    assert 0 <= age_on(birth, d1) <= age_on(birth, d2)


@given(births, st.integers(1, 110))
def test_age_n_is_reached_the_day_before_the_nth_birthday_R_CARD_5(birth: date, n: int) -> None:
    """On the day before the n-th birthday (28 Feb for 29 Feb babies) the age is n."""
    day = (
        date(birth.year + n, 2, 28)
        if is_feb29(birth)
        else birthday_in_year(birth, birth.year + n) - ONE_DAY
    )
    assert age_on(birth, day) == n
    assert age_on(birth, day - ONE_DAY) == n - 1


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)), st.integers(-240, 240))
def test_add_months_moves_whole_months_R_CARD_6(d: date, months: int) -> None:
    moved = add_months(d, months)
    assert (moved.year * 12 + moved.month) - (d.year * 12 + d.month) == months
    assert moved.day <= d.day
    if d.day <= 28:
        assert moved.day == d.day
        assert add_months(moved, -months) == d
