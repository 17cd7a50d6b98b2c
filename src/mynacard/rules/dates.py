"""Birthdays and age as Japanese law counts them (R_CARD_3, R_CARD_4, R_CARD_5)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta


def birthday_in_year(birth: date, year: int) -> date:
    """The birthday of someone born on ``birth`` in ``year``.

    Someone born on 29 February has their birthday on 28 February in common years (R_CARD_4).

    >>> birthday_in_year(date(2000, 2, 29), 2001)
    datetime.date(2001, 2, 28)
    >>> birthday_in_year(date(2000, 2, 29), 2004)
    datetime.date(2004, 2, 29)
    """
    if birth.month == 2 and birth.day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return birth.replace(year=year)


def nth_birthday_after(birth: date, after: date, n: int) -> date:
    """The ``n``-th birthday strictly after ``after`` (R_CARD_3: the issue date itself is not counted).

    >>> nth_birthday_after(date(1990, 6, 1), date(2025, 6, 1), 10)
    datetime.date(2035, 6, 1)
    >>> nth_birthday_after(date(1990, 6, 1), date(2025, 5, 31), 10)
    datetime.date(2034, 6, 1)
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    if after < birth:
        raise ValueError("the start date must not be before the birth date")
    first = birthday_in_year(birth, after.year)
    if first <= after:
        first = birthday_in_year(birth, after.year + 1)
    return birthday_in_year(birth, first.year + n - 1)


def age_on(birth: date, on: date) -> int:
    """Age on ``on`` as Japanese law counts it (年齢計算ニ関スル法律, R_CARD_5).

    A person reaches age N at the end of the day before the N-th anniversary of their birth,
    so they are treated as N for that whole day. Born on 29 February: the day before the
    anniversary is 28 February in every year (R_CARD_4 and Civil Code art. 143).

    >>> age_on(date(2000, 4, 2), date(2018, 4, 1))
    18
    >>> age_on(date(2000, 4, 2), date(2018, 3, 31))
    17
    """
    if on < birth:
        raise ValueError("the date is before the birth date")
    t = on + timedelta(days=1)
    return t.year - birth.year - ((t.month, t.day) < (birth.month, birth.day))


def add_months(d: date, months: int) -> date:
    """``d`` moved by ``months`` calendar months, clipped to the month's last day."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))
