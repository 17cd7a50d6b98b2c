"""How long the certificates are valid (R_CERT_3, R_CERT_9)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mynacard.rules.dates import birthday_in_year
from mynacard.rules.validity import card_expiry, certificate_expiry, renewal_window_opens
from mynacard.timeutil import end_of_day
from tests.rules.strategies import births

BIRTH = date(1990, 6, 1)

CASES = [
    # issued_on, card_expires_on, renewing_expires_on, auth_expires_on -> expected; why
    ("2025-06-20", "2035-06-01", None, None, "2030-06-01", "5th birthday"),
    ("2025-06-01", "2035-06-01", None, None, "2030-06-01", "issue day not counted"),
    ("2025-06-20", "2028-06-01", None, None, "2028-06-01", "capped by the card"),
    ("2025-06-20", "2035-06-01", None, "2029-06-01", "2029-06-01", "capped by auth"),
    ("2025-06-20", "2027-03-31", None, "2030-06-01", "2027-03-31", "card before auth"),
    # Renewed inside the old certificate's 3-month window (from 2030-03-02): the 6th birthday,
    # five years after the old expiry; a day before the window, the 5th: a year is lost.
    ("2030-04-15", "2040-06-01", "2030-06-01", None, "2035-06-01", "renewed in the window"),
    ("2030-03-02", "2040-06-01", "2030-06-01", None, "2035-06-01", "the window's first day"),
    ("2030-03-01", "2040-06-01", "2030-06-01", None, "2034-06-01", "a day too early"),
    # On the old expiry day the birthday is not counted: the 5th after already loses nothing.
    ("2030-06-01", "2040-06-01", "2030-06-01", None, "2035-06-01", "on the expiry day"),
    ("2030-06-05", "2040-06-01", "2030-06-01", None, "2035-06-01", "after the expiry"),
    ("2030-04-15", "2034-06-01", "2030-06-01", None, "2034-06-01", "6th, capped by the card"),
]


def _d(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


@pytest.mark.parametrize(
    ("issued_on", "card_expires_on", "renewing_expires_on", "auth_expires_on", "expected"),
    [c[:5] for c in CASES],
    ids=[str(c[5]) for c in CASES],
)
def test_certificate_expiry_R_CERT_3(
    issued_on: str,
    card_expires_on: str,
    renewing_expires_on: str | None,
    auth_expires_on: str | None,
    expected: str,
) -> None:
    got = certificate_expiry(
        BIRTH,
        date.fromisoformat(issued_on),
        date.fromisoformat(card_expires_on),
        renewing_expires_on=_d(renewing_expires_on),
        auth_expires_on=_d(auth_expires_on),
    )
    assert got == date.fromisoformat(expected)


def test_certificate_renewal_window_is_the_card_rule_R_CERT_3() -> None:
    """Certificates may be renewed from 3 months before their expiry, as cards (R_CARD_6)."""
    assert renewal_window_opens(date(2030, 6, 1)) == date(2030, 3, 2)


def test_certificate_expires_at_23_59_59_jst_R_CERT_9() -> None:
    end = end_of_day(date(2030, 6, 1))
    assert (end.date(), end.time(), end.utcoffset()) == (
        date(2030, 6, 1),
        time(23, 59, 59),
        timedelta(hours=9),
    )
    assert end == datetime(2030, 6, 1, 14, 59, 59, tzinfo=UTC)


# --- properties -------------------------------------------------------------------------------


@st.composite
def issued_cards(draw: st.DrawFn) -> tuple[date, date, date]:
    """(birth, card issue date, card expiry) from card_expiry itself, maybe bound to a stay."""
    birth = draw(births)
    issued = birth + timedelta(days=draw(st.integers(0, 100 * 366)))
    stay = draw(st.none() | st.integers(0, 12 * 366).map(lambda k: issued + timedelta(days=k)))
    card = card_expiry(birth, issued, issued, period_of_stay_end=stay).expires_on
    return birth, issued, card


@given(issued_cards(), st.integers(0, 12 * 366), st.booleans())
def test_certificate_never_outlives_the_card_R_CERT_3(
    card: tuple[date, date, date], later_days: int, renewing: bool
) -> None:
    """Whenever issued during the card's life, a certificate ends by the card's expiry, and the
    signing certificate by the authentication certificate's."""
    birth, card_issued, card_expires = card
    issued = min(card_issued + timedelta(days=later_days), card_expires)
    old = birthday_in_year(birth, issued.year + 1) if renewing else None
    auth = certificate_expiry(birth, issued, card_expires, renewing_expires_on=old)
    sign = certificate_expiry(
        birth, issued, card_expires, renewing_expires_on=old, auth_expires_on=auth
    )
    assert issued <= sign <= auth <= card_expires


@given(births, st.integers(21, 90), st.data())
def test_certificate_renewal_in_window_loses_and_gains_no_time_R_CERT_3(
    birth: date, years: int, data: st.DataObject
) -> None:
    """Renewed between the window's opening and the old expiry (a birthday), the new certificate
    ends exactly five birthdays after the old one, when the card does not cap it."""
    old = birthday_in_year(birth, birth.year + years)
    opens = renewal_window_opens(old)
    issued = opens + timedelta(days=data.draw(st.integers(0, (old - opens).days)))
    card = birthday_in_year(birth, old.year + 10)
    new = certificate_expiry(birth, issued, card, renewing_expires_on=old)
    assert new == birthday_in_year(birth, old.year + 5)
