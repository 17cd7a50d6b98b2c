"""Japan time helpers (R_CARD_3, R_CERT_9): end of day, parsing, aware times only."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mynacard.timeutil import JST, end_of_day, jst_date, parse_at, require_aware, start_of_day


def test_end_of_day_is_23_59_59_jst_R_CARD_3_R_CERT_9() -> None:
    assert end_of_day(date(2035, 6, 1)) == datetime(2035, 6, 1, 23, 59, 59, tzinfo=JST)
    assert end_of_day(date(2035, 6, 1)).isoformat() == "2035-06-01T23:59:59+09:00"


@given(st.dates())
def test_a_day_runs_from_start_to_end_in_japan_R_CARD_3(d: date) -> None:
    assert end_of_day(d) - start_of_day(d) == timedelta(hours=23, minutes=59, seconds=59)
    assert jst_date(end_of_day(d)) == jst_date(start_of_day(d)) == d


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2031-05-10T09:00", datetime(2031, 5, 10, 9, 0, tzinfo=JST)),  # no offset: Japan time
        ("2031-05-10", datetime(2031, 5, 10, 9, 0, tzinfo=JST)),  # a date: 09:00 JST
        ("2031-05-10T00:00:00+00:00", datetime(2031, 5, 10, 9, 0, tzinfo=JST)),  # same instant
        (" 2031-05-10T23:59:59+09:00 ", datetime(2031, 5, 10, 23, 59, 59, tzinfo=JST)),
    ],
)
def test_parse_at_R_CARD_3(text: str, expected: datetime) -> None:
    parsed = parse_at(text)
    assert parsed == expected
    assert parsed.tzinfo is not None


@pytest.mark.parametrize("text", ["", "tomorrow", "2031/05/10", "2031-13-01", "2031-05-10T25:00"])
def test_parse_at_rejects_junk_with_an_example_R_CARD_3(text: str) -> None:
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_at(text)


def test_require_aware_R_CARD_3() -> None:
    at = datetime(2031, 5, 10, 9, 0, tzinfo=UTC)
    assert require_aware(at) is at
    with pytest.raises(ValueError, match="timezone-aware"):
        require_aware(datetime(2031, 5, 10, 9, 0))
    with pytest.raises(TypeError, match="must be a datetime"):
        require_aware(date(2031, 5, 10))  # type: ignore[arg-type]


def test_jst_date_reads_the_japan_calendar_R_CARD_3() -> None:
    """15:00 UTC on 31 March is already 1 April in Japan."""
    assert jst_date(datetime(2031, 3, 31, 15, 0, tzinfo=UTC)) == date(2031, 4, 1)
