"""Who may hold a signing certificate and use the kiosk (R_CERT_4, R_CARD_1, R_USE_2)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from mynacard.rules.eligibility import (
    kiosk_open,
    kiosk_refusal,
    may_hold_signing_certificate,
    needs_legal_representative,
)
from mynacard.timeutil import JST

BORN = date(2010, 4, 2)  # 15 on 2025-04-01 (R_CARD_5)


@pytest.mark.parametrize(
    ("on", "adult_ward", "may_sign"),
    [
        (date(2025, 3, 31), False, False),  # 14
        (date(2025, 4, 1), False, True),  # 15 on the day before the 15th birthday (R_CARD_5)
        (date(2040, 1, 1), False, True),
        (date(2040, 1, 1), True, False),  # adult ward, whatever the age
    ],
)
def test_no_signing_certificate_under_15_or_adult_wards_R_CERT_4(
    on: date, adult_ward: bool, may_sign: bool
) -> None:
    assert may_hold_signing_certificate(BORN, on, adult_ward=adult_ward) is may_sign


@pytest.mark.parametrize(
    ("on", "adult_ward", "needed"),
    [
        (date(2025, 3, 31), False, True),
        (date(2025, 4, 1), False, False),
        (date(2040, 1, 1), True, True),
    ],
)
def test_under_15s_and_adult_wards_come_with_representative_R_CARD_1(
    on: date, adult_ward: bool, needed: bool
) -> None:
    assert needs_legal_representative(BORN, on, adult_ward=adult_ward) is needed


def jst(*args: int) -> datetime:
    return datetime(*args, tzinfo=JST)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("at", "is_open"),
    [
        (jst(2025, 6, 1, 6, 29, 59), False),
        (jst(2025, 6, 1, 6, 30), True),
        (jst(2025, 6, 1, 12, 0), True),
        (jst(2025, 6, 1, 22, 59, 59), True),
        (jst(2025, 6, 1, 23, 0), False),
        (jst(2025, 6, 1, 3, 0), False),
        # closed 29 December - 3 January
        (jst(2025, 12, 28, 22, 59), True),
        (jst(2025, 12, 29, 10, 0), False),
        (jst(2025, 12, 31, 10, 0), False),
        (jst(2026, 1, 1, 10, 0), False),
        (jst(2026, 1, 3, 22, 0), False),
        (jst(2026, 1, 4, 6, 30), True),
        # an aware time in another zone counts in Japan time (R_CARD_3: all dates are Japan time)
        (datetime(2026, 1, 3, 22, 0, tzinfo=UTC), True),  # 2026-01-04 07:00 JST
        (datetime(2025, 6, 1, 14, 0, tzinfo=UTC), False),  # 23:00 JST
        (datetime(2025, 6, 1, 21, 30, tzinfo=UTC), True),  # 06:30 JST next day
        (datetime(2025, 12, 28, 16, 0, tzinfo=timezone(timedelta(hours=-8))), False),  # 29 Dec JST
    ],
)
def test_kiosk_hours_R_USE_2(at: datetime, is_open: bool) -> None:
    assert kiosk_open(at) is is_open


def test_kiosk_rejects_naive_time_R_USE_2() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        kiosk_open(datetime(2025, 6, 1, 12, 0))


@pytest.mark.parametrize(
    ("on", "moving_out", "dv", "refusal"),
    [
        (date(2025, 4, 1), False, False, None),
        (date(2025, 3, 31), False, False, "under 15"),
        (date(2025, 4, 1), True, False, "a moving-out notice has been filed"),
        (date(2025, 4, 1), False, True, "under a DV protection measure"),
        (date(2025, 3, 31), True, True, "under 15"),  # the first reason is given
    ],
)
def test_kiosk_refusals_R_USE_2(on: date, moving_out: bool, dv: bool, refusal: str | None) -> None:
    assert kiosk_refusal(BORN, on, moving_out_filed=moving_out, dv_protected=dv) == refusal
