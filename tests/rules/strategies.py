"""Hypothesis strategies shared by the rules tests: Japan calendar dates in a sane range."""

from __future__ import annotations

import calendar
from datetime import date

from hypothesis import strategies as st

#: Birth dates, including plenty of 29 February babies (R_CARD_4) and year ends.
births = st.one_of(
    st.dates(min_value=date(1920, 1, 1), max_value=date(2060, 12, 31)),
    st.sampled_from([y for y in range(1920, 2061) if calendar.isleap(y)]).map(
        lambda y: date(y, 2, 29)
    ),
)

#: Any day a card could be issued or a rule evaluated on.
days = st.dates(min_value=date(1920, 1, 1), max_value=date(2100, 12, 31))


def is_feb29(d: date) -> bool:
    return (d.month, d.day) == (2, 29)
