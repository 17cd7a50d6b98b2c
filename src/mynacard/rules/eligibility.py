"""Who may hold what (R_CERT_4, R_USE_2)."""

from __future__ import annotations

from datetime import date, datetime, time

from mynacard.rules.dates import age_on
from mynacard.timeutil import JST, require_aware

SIGNING_MIN_AGE = 15


def may_hold_signing_certificate(birth: date, on: date, *, adult_ward: bool = False) -> bool:
    """No signing certificate, in principle, for under-15s or adult wards (R_CERT_4)."""
    return age_on(birth, on) >= SIGNING_MIN_AGE and not adult_ward


def needs_legal_representative(birth: date, on: date, *, adult_ward: bool = False) -> bool:
    """Under-15s and adult wards come with their legal representative, who sets the PINs (R_CARD_1)."""
    return age_on(birth, on) < SIGNING_MIN_AGE or adult_ward


KIOSK_OPENS = time(6, 30)
KIOSK_CLOSES = time(23, 0)


def kiosk_open(at_jst: datetime) -> bool:
    """Convenience-store issuance runs 6:30-23:00 daily, except 29 December - 3 January (R_USE_2).

    ``at_jst`` must be aware; it is read in Japan time whatever its zone (R_CARD_3).
    """
    at = require_aware(at_jst, "at_jst").astimezone(JST)
    d, t = at.date(), at.time()
    if (d.month == 12 and d.day >= 29) or (d.month == 1 and d.day <= 3):
        return False
    return KIOSK_OPENS <= t < KIOSK_CLOSES


def kiosk_refusal(birth: date, on: date, *, moving_out_filed: bool, dv_protected: bool) -> str | None:
    """Why a resident may not use convenience-store issuance, or None (R_USE_2)."""
    if age_on(birth, on) < SIGNING_MIN_AGE:
        return "under 15"
    if moving_out_filed:
        return "a moving-out notice has been filed"
    if dv_protected:
        return "under a DV protection measure"
    return None
