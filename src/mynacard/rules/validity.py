"""How long cards and certificates are valid, and when they may be renewed.

R_CARD_2, R_CARD_3, R_CARD_6, R_CARD_9, R_CERT_3.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from mynacard.rules.dates import add_months, age_on, nth_birthday_after

#: Applications received before this date used 20 as the age of majority (R_CARD_2).
ADULT_AGE_CHANGE = date(2022, 4, 1)
RENEWAL_WINDOW_MONTHS = 3


def adult_age_for(received_on: date) -> int:
    """The age that counts as adult for a card application received on ``received_on``."""
    return 18 if received_on >= ADULT_AGE_CHANGE else 20


def is_adult_applicant(birth: date, received_on: date) -> bool:
    """Whether the applicant gets the 10-year card (R_CARD_2): age on the day J-LIS receives it."""
    return age_on(birth, received_on) >= adult_age_for(received_on)


def renewal_window_opens(expires_on: date) -> date:
    """First day on which less than 3 months remain before ``expires_on`` (R_CARD_6, R_CERT_3).

    >>> renewal_window_opens(date(2030, 4, 1))
    datetime.date(2030, 1, 2)
    >>> renewal_window_opens(date(2030, 5, 30))
    datetime.date(2030, 3, 1)
    """
    return add_months(expires_on, -RENEWAL_WINDOW_MONTHS) + timedelta(days=1)


def in_renewal_window(expires_on: date, on: date) -> bool:
    return renewal_window_opens(expires_on) <= on <= expires_on


@dataclass(frozen=True)
class CardTerm:
    """A card's expiry and how it was reached (for screens and notices)."""

    expires_on: date
    birthdays: int
    bound_to_stay: bool = False


def card_expiry(
    birth: date,
    issued_on: date,
    received_on: date,
    *,
    renewing_card_expires_on: date | None = None,
    period_of_stay_end: date | None = None,
) -> CardTerm:
    """The expiry date of a card issued on ``issued_on`` (valid through 23:59:59 JST of it).

    - 10th birthday after issue for applicants adult on ``received_on``; 5th otherwise (R_CARD_2).
    - A renewal applied for inside the old card's window and issued before its expiry runs one
      birthday longer, so no time is lost (R_CARD_6 [policy]). Issued on the expiry day itself
      (a birthday, which R_CARD_3 does not count) the usual 10/5 already loses nothing.
    - Bound to a period of stay: the earlier of the stay's end and the date above (R_CARD_9).
    """
    if issued_on < received_on:
        raise ValueError("a card cannot be issued before its application was received")
    n = 10 if is_adult_applicant(birth, received_on) else 5
    if (
        renewing_card_expires_on is not None
        and in_renewal_window(renewing_card_expires_on, received_on)
        and issued_on < renewing_card_expires_on
    ):
        n += 1
    expires = nth_birthday_after(birth, issued_on, n)
    if period_of_stay_end is not None and period_of_stay_end < expires:
        return CardTerm(max(period_of_stay_end, issued_on), n, bound_to_stay=True)
    return CardTerm(expires, n)


def extended_card_expiry(original_issue_limit: date, new_period_of_stay_end: date) -> date:
    """Expiry after a visa renewal: the new stay's end, never past the R_CARD_2 date (R_CARD_9)."""
    return min(original_issue_limit, new_period_of_stay_end)


def certificate_expiry(
    birth: date,
    issued_on: date,
    card_expires_on: date,
    *,
    renewing_expires_on: date | None = None,
    auth_expires_on: date | None = None,
) -> date:
    """Expiry of a certificate issued on ``issued_on`` (R_CERT_3).

    5th birthday after issue (6th when renewed inside the old certificate's 3-month window and
    before its expiry day, as R_CARD_6), capped by the card's expiry; a signing certificate is
    also capped by the authentication certificate's expiry (pass ``auth_expires_on``).
    """
    n = 5
    if (
        renewing_expires_on is not None
        and in_renewal_window(renewing_expires_on, issued_on)
        and issued_on < renewing_expires_on
    ):
        n = 6
    expires = min(nth_birthday_after(birth, issued_on, n), card_expires_on)
    if auth_expires_on is not None:
        expires = min(expires, auth_expires_on)
    return expires
