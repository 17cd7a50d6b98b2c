"""Japan time helpers. All dates in the rules are Japan dates (R_CARD_3).

Nothing here reads the clock: the outermost adapter does, and passes the time in.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

JST = timezone(timedelta(hours=9), "JST")


def require_aware(at: datetime, name: str = "at") -> datetime:
    """Return ``at`` unchanged, or raise ``ValueError`` if it is naive."""
    if not isinstance(at, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(at).__name__}")
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (got naive {at.isoformat()})")
    return at


def jst_date(at: datetime) -> date:
    """The Japan calendar date of an aware instant."""
    return require_aware(at).astimezone(JST).date()


def end_of_day(d: date) -> datetime:
    """23:59:59 JST of ``d``: when a card or certificate valid through ``d`` stops (R_CARD_3)."""
    return datetime.combine(d, time(23, 59, 59), tzinfo=JST)


def start_of_day(d: date) -> datetime:
    return datetime.combine(d, time(0, 0, 0), tzinfo=JST)


def parse_at(text: str) -> datetime:
    """Parse a CLI/API time: ISO 8601, Japan time when no offset is given.

    >>> parse_at("2031-05-10T09:00").isoformat()
    '2031-05-10T09:00:00+09:00'
    >>> parse_at("2031-05-10").isoformat()
    '2031-05-10T09:00:00+09:00'
    """
    text = text.strip()
    try:
        if len(text) == 10:
            dt = datetime.combine(date.fromisoformat(text), time(9, 0), tzinfo=JST)
        else:
            dt = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"cannot read the time {text!r}: use ISO 8601, e.g. 2031-05-10T09:00 (Japan time)") from exc
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=JST)
    check_simulated(dt)
    return dt


#: Simulated time must stay where certificates and CRLs can carry it: RFC 5280 times begin in
#: 1950 (UTC), and a card's dates run up to ten years past the simulated now.
SIMULATED_FROM = datetime(1950, 1, 1, tzinfo=UTC)
SIMULATED_UNTIL = datetime(9001, 1, 1, tzinfo=UTC)


def check_simulated(at: datetime) -> datetime:
    """``at`` (Japan time if naive) if a certificate, a CRL and a card's validity can be dated
    from it, else ValueError."""
    aware = at if at.tzinfo is not None else at.replace(tzinfo=JST)
    if not SIMULATED_FROM <= aware < SIMULATED_UNTIL:
        raise ValueError(
            f"the time {at.isoformat()} is out of range: simulated time runs from "
            f"{SIMULATED_FROM:%Y-%m-%d} to {SIMULATED_UNTIL.year - 1}-12-31 (UTC)"
        )
    return at
