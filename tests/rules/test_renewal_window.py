"""The 3-month renewal window and the renewal bonus (R_CARD_6, R_CERT_3)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from mynacard.rules.dates import add_months, age_on, birthday_in_year
from mynacard.rules.validity import card_expiry, in_renewal_window, renewal_window_opens
from tests.rules.strategies import births

ONE_DAY = timedelta(days=1)


@pytest.mark.parametrize(
    ("expires_on", "opens"),
    [
        (date(2030, 4, 1), date(2030, 1, 2)),  # docs/rules.md's first example
        (date(2030, 5, 30), date(2030, 3, 1)),  # docs/rules.md's second example (no 30 February)
        (date(2028, 5, 30), date(2028, 3, 1)),  # leap year: 29 February + 1 day
        (date(2030, 5, 28), date(2030, 3, 1)),
        (date(2030, 5, 27), date(2030, 2, 28)),
        (date(2030, 1, 15), date(2029, 10, 16)),  # across a year
        (date(2030, 12, 31), date(2030, 10, 1)),
    ],
)
def test_renewal_window_opens_R_CARD_6(expires_on: date, opens: date) -> None:
    assert renewal_window_opens(expires_on) == opens


@pytest.mark.parametrize(
    ("on", "inside"),
    [
        (date(2030, 1, 1), False),  # still exactly 3 months left
        (date(2030, 1, 2), True),  # the first day with less than 3 months left
        (date(2030, 4, 1), True),  # the expiry day itself (valid through 23:59:59 JST)
        (date(2030, 4, 2), False),  # expired: no longer a renewal
    ],
)
def test_in_renewal_window_bounds_R_CARD_6(on: date, inside: bool) -> None:
    assert in_renewal_window(date(2030, 4, 1), on) is inside


# An adult born 1990-06-01 whose card expires on 2030-06-01 (window from 2030-03-02).
BONUS = [
    (date(2030, 3, 2), date(2030, 4, 15), date(2040, 6, 1), 11, "received on the window's 1st day"),
    (date(2030, 3, 1), date(2030, 4, 15), date(2039, 6, 1), 10, "received a day early: no bonus"),
    (date(2030, 5, 1), date(2030, 5, 31), date(2040, 6, 1), 11, "issued the eve of the expiry"),
    # R_CARD_3 already leaves the birthday out: issued on the old expiry, the 10th birthday after
    # is 2040-06-01; the 11th would give a whole year more than "no time lost".
    (date(2030, 5, 1), date(2030, 6, 1), date(2040, 6, 1), 10, "issued on the expiry day"),
    (date(2030, 5, 1), date(2030, 6, 10), date(2040, 6, 1), 10, "issued after the expiry"),
]


@pytest.mark.parametrize(
    ("received_on", "issued_on", "expires_on", "birthdays"),
    [b[:4] for b in BONUS],
    ids=[b[4] for b in BONUS],
)
def test_renewal_in_window_runs_to_11th_birthday_R_CARD_6(
    received_on: date, issued_on: date, expires_on: date, birthdays: int
) -> None:
    term = card_expiry(
        date(1990, 6, 1), issued_on, received_on, renewing_card_expires_on=date(2030, 6, 1)
    )
    assert (term.expires_on, term.birthdays) == (expires_on, birthdays)


def test_minor_renewal_in_window_runs_to_6th_birthday_R_CARD_6() -> None:
    """Born 2012-06-01, card expiring 2025-06-01 at 12: renewed inside the window -> 2030-06-01."""
    term = card_expiry(
        date(2012, 6, 1),
        date(2025, 5, 1),
        date(2025, 4, 1),
        renewing_card_expires_on=date(2025, 6, 1),
    )
    assert (term.expires_on, term.birthdays) == (date(2030, 6, 1), 6)


# --- properties -------------------------------------------------------------------------------

expiries = st.dates(min_value=date(1950, 1, 1), max_value=date(2150, 12, 31))


@given(expiries)
def test_window_opens_when_less_than_3_months_remain_R_CARD_6(e: date) -> None:
    """The window opens on the first day on which less than 3 months remain before ``e``.

    Precisely, with ``o = renewal_window_opens(e)``:
    - on ``o - 1`` at least 3 months remain: 3 calendar months later is not after ``e``
      (``add_months(o - 1, 3) <= e``);
    - on ``o`` less than 3 months remain: the day 3 calendar months before ``e`` has passed
      (``add_months(e, -3) < o``).
    Month ends make the two readings differ by a day at most (30 June: 3 months before is 30
    March, 3 months after 31 March is also 30 June); docs/rules.md's examples fix the second reading.
    """
    o = renewal_window_opens(e)
    assert o < e
    assert add_months(o - ONE_DAY, 3) <= e
    assert add_months(e, -3) < o
    assert add_months(e, -3) >= o - ONE_DAY
    assert 89 <= (e - o).days + 1 <= 92  # the window is 89-92 days long, both ends included
    assert in_renewal_window(e, o) and in_renewal_window(e, e)
    assert not in_renewal_window(e, o - ONE_DAY) and not in_renewal_window(e, e + ONE_DAY)


@st.composite
def renewals(draw: st.DrawFn) -> tuple[date, date, date, date]:
    """(birth, old_expiry, received_on, issued_on): received in the window, issued by the expiry."""
    birth = draw(births)
    old_expiry = birthday_in_year(birth, birth.year + draw(st.integers(21, 90)))
    opens = renewal_window_opens(old_expiry)
    received = opens + timedelta(days=draw(st.integers(0, (old_expiry - opens).days)))
    issued = received + timedelta(days=draw(st.integers(0, (old_expiry - received).days)))
    return birth, old_expiry, received, issued


@given(renewals())
def test_renewal_in_window_loses_and_gains_no_time_R_CARD_6(
    r: tuple[date, date, date, date],
) -> None:
    """An adult's renewal received in the window and issued by the old expiry ends exactly ten
    birthdays after the old expiry: no time lost, none gained ([policy] of R_CARD_6)."""
    birth, old_expiry, received, issued = r
    assume(age_on(birth, received) >= 20)
    new = card_expiry(birth, issued, received, renewing_card_expires_on=old_expiry).expires_on
    assert new == birthday_in_year(birth, old_expiry.year + 10)
