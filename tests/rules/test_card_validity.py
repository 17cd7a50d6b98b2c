"""How long a card is valid (R_CARD_2, R_CARD_3, R_CARD_4, R_CARD_5, R_CARD_9).

The renewal bonus of R_CARD_6 is in test_renewal_window.py.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from mynacard.rules.dates import age_on, birthday_in_year
from mynacard.rules.validity import (
    adult_age_for,
    card_expiry,
    extended_card_expiry,
    is_adult_applicant,
)
from mynacard.timeutil import JST, end_of_day
from tests.rules.strategies import births

D = date.fromisoformat


@pytest.mark.parametrize(
    ("received_on", "expected"),
    [
        (date(2022, 3, 31), 20),
        (date(2022, 4, 1), 18),
        (date(2016, 1, 1), 20),
        (date(2030, 1, 1), 18),
    ],
)
def test_adult_age_changes_on_2022_04_01_R_CARD_2(received_on: date, expected: int) -> None:
    assert adult_age_for(received_on) == expected


CASES = [
    # birth, received_on, issued_on -> expires_on, birthdays; why
    ("1990-06-01", "2025-04-10", "2025-06-20", "2035-06-01", 10, "adult: 10th"),
    ("2010-06-01", "2025-04-10", "2025-06-20", "2030-06-01", 5, "minor: 5th"),
    # The 18/20 change: a 19-year-old gets 5 years on 2022-03-31, 10 years from 2022-04-01.
    ("2002-06-01", "2022-03-31", "2022-05-01", "2026-06-01", 5, "19 before the change"),
    ("2002-06-01", "2022-04-01", "2022-05-01", "2031-06-01", 10, "19 after the change"),
    ("2001-06-01", "2022-03-31", "2022-05-01", "2031-06-01", 10, "20 before the change"),
    # R_CARD_5: born 2 April is 18 on 1 April, the very first day of the new threshold.
    ("2004-04-02", "2022-04-01", "2022-04-20", "2032-04-02", 10, "18 on the eve"),
    ("2004-04-03", "2022-04-01", "2022-04-20", "2027-04-03", 5, "17, one day short"),
    # Age on the day J-LIS receives the application counts, not age at issue.
    ("2004-06-01", "2022-05-01", "2022-06-15", "2027-06-01", 5, "18 only at issue"),
    # R_CARD_3: the issue date is not counted even when it is the birthday.
    ("1990-06-01", "2025-05-01", "2025-06-01", "2035-06-01", 10, "issued on the birthday"),
    ("1990-06-01", "2025-05-01", "2025-05-31", "2034-06-01", 10, "issued the eve"),
    ("1990-06-01", "2025-05-01", "2025-06-02", "2035-06-01", 10, "issued the day after"),
    # R_CARD_4: a 29 February baby's card ends on 28 February in common years.
    ("2000-02-29", "2025-02-01", "2025-03-01", "2035-02-28", 10, "29 Feb, common year"),
    ("2000-02-29", "2022-02-01", "2022-03-01", "2032-02-29", 10, "29 Feb, leap year"),
]


@pytest.mark.parametrize(
    ("birth", "received_on", "issued_on", "expires_on", "birthdays"),
    [c[:5] for c in CASES],
    ids=[c[5] for c in CASES],
)
def test_card_expiry_10th_or_5th_birthday_R_CARD_2_R_CARD_3(
    birth: str, received_on: str, issued_on: str, expires_on: str, birthdays: int
) -> None:
    b, received = D(birth), D(received_on)
    term = card_expiry(b, D(issued_on), received)
    assert (term.expires_on, term.birthdays, term.bound_to_stay) == (
        D(expires_on),
        birthdays,
        False,
    )
    assert is_adult_applicant(b, received) == (birthdays == 10)


def test_card_cannot_be_issued_before_the_application_R_CARD_2() -> None:
    with pytest.raises(ValueError, match="before its application"):
        card_expiry(date(1990, 6, 1), date(2025, 4, 9), date(2025, 4, 10))


def test_card_is_valid_through_23_59_59_jst_R_CARD_3() -> None:
    end = end_of_day(date(2035, 6, 1))
    assert end == datetime(2035, 6, 1, 23, 59, 59, tzinfo=JST)
    assert end.utcoffset() == timedelta(hours=9)
    assert end.astimezone(UTC) == datetime(2035, 6, 1, 14, 59, 59, tzinfo=UTC)


# R_CARD_9: an adult born 1990-06-01, issued 2025-06-20: the R_CARD_2 date is 2035-06-01.
STAY = [
    (date(2027, 3, 31), date(2027, 3, 31), True, "stay ends first"),
    (date(2035, 6, 1), date(2035, 6, 1), False, "stay ends on the R_CARD_2 date"),
    (date(2040, 1, 1), date(2035, 6, 1), False, "R_CARD_2 date first"),
    (date(2025, 5, 1), date(2025, 6, 20), True, "stay already over: [policy] the issue date"),
]


@pytest.mark.parametrize(
    ("stay_end", "expires_on", "bound"), [s[:3] for s in STAY], ids=[s[3] for s in STAY]
)
def test_foreign_resident_card_capped_by_stay_R_CARD_9(
    stay_end: date, expires_on: date, bound: bool
) -> None:
    term = card_expiry(
        date(1990, 6, 1), date(2025, 6, 20), date(2025, 4, 10), period_of_stay_end=stay_end
    )
    assert (term.expires_on, term.bound_to_stay) == (expires_on, bound)


@pytest.mark.parametrize(
    ("new_stay_end", "expected"),
    [
        (date(2030, 3, 31), date(2030, 3, 31)),  # extended to the new stay's end
        (date(2035, 6, 1), date(2035, 6, 1)),
        (date(2036, 3, 31), date(2035, 6, 1)),  # never past the R_CARD_2 date of the first issue
    ],
)
def test_extension_never_past_the_R_CARD_2_date_R_CARD_9(
    new_stay_end: date, expected: date
) -> None:
    assert extended_card_expiry(date(2035, 6, 1), new_stay_end) == expected


# --- properties -------------------------------------------------------------------------------


@st.composite
def applications(draw: st.DrawFn) -> tuple[date, date, date]:
    """(birth, received_on, issued_on) with reception after birth and issue within a year."""
    birth = draw(births)
    received = birth + timedelta(days=draw(st.integers(0, 100 * 366)))
    issued = received + timedelta(days=draw(st.integers(0, 366)))
    return birth, received, issued


@given(applications())
def test_card_expires_on_a_birthday_after_issue_R_CARD_2(app: tuple[date, date, date]) -> None:
    """Without a period of stay the card ends on a birthday (R_CARD_4 for 29 Feb), after issue."""
    birth, received, issued = app
    term = card_expiry(birth, issued, received)
    assert birthday_in_year(birth, term.expires_on.year) == term.expires_on
    assert term.expires_on > issued
    # the n-th birthday: between n-1 and n years after the issue date
    assert term.birthdays - 1 <= (term.expires_on.year - issued.year) <= term.birthdays
    assert term.birthdays == (10 if age_on(birth, received) >= adult_age_for(received) else 5)


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31)),
    st.integers(0, 20 * 366),
    st.integers(18 * 365, 100 * 366),
)
def test_minor_card_never_outlives_adult_card_issued_same_day_R_CARD_2(
    issued: date, minor_age_days: int, adult_age_days: int
) -> None:
    """Received and issued the same day, a minor's 5-year card ends before any adult's."""
    minor_birth = issued - timedelta(days=minor_age_days)
    adult_birth = issued - timedelta(days=adult_age_days)
    assume(not is_adult_applicant(minor_birth, issued) and is_adult_applicant(adult_birth, issued))
    minor = card_expiry(minor_birth, issued, issued).expires_on
    adult = card_expiry(adult_birth, issued, issued).expires_on
    assert minor < adult


@given(applications(), st.integers(-400, 12 * 366))
def test_stay_bound_card_never_past_the_R_CARD_2_date_R_CARD_9(
    app: tuple[date, date, date], stay_days: int
) -> None:
    birth, received, issued = app
    stay_end = issued + timedelta(days=stay_days)
    limit = card_expiry(birth, issued, received).expires_on
    term = card_expiry(birth, issued, received, period_of_stay_end=stay_end)
    assert term.expires_on == max(issued, min(stay_end, limit))
    assert term.bound_to_stay == (stay_end < limit)
    # a later visa renewal extends it, never past the R_CARD_2 date of the original issue
    new_stay_end = stay_end + timedelta(days=3 * 366)
    extended = extended_card_expiry(limit, new_stay_end)
    assert extended <= limit
    assert extended == min(limit, new_stay_end)
