"""Japanese era (元号) digits for the JPKI date-of-birth field (R_CERT_9).

The signing certificate records the date of birth as ``EYYYYMMDD``: one era digit followed by
the **Gregorian** year, month and day (not the year within the era). So 1980-02-17, which fell
in 昭和55年, is ``319800217``.

>>> jpki_birth_date(date(1990, 5, 10))
'419900510'
>>> jpki_birth_date(date(2019, 4, 30)), jpki_birth_date(date(2019, 5, 1))
('420190430', '520190501')
"""

from __future__ import annotations

from datetime import date
from enum import IntEnum


class Era(IntEnum):
    """The era digit JPKI uses; 0 (不明, unknown) is never produced for a known date."""

    MEIJI = 1  # 明治
    TAISHO = 2  # 大正
    SHOWA = 3  # 昭和
    HEISEI = 4  # 平成
    REIWA = 5  # 令和


# First Gregorian day of each era. Meiji is taken from 1868-01-25 (明治元年1月1日 in the old
# calendar), because the era was declared retroactively to the start of that lunar year.
ERA_STARTS: tuple[tuple[date, Era], ...] = (
    (date(2019, 5, 1), Era.REIWA),
    (date(1989, 1, 8), Era.HEISEI),
    (date(1926, 12, 25), Era.SHOWA),
    (date(1912, 7, 30), Era.TAISHO),
    (date(1868, 1, 25), Era.MEIJI),
)


def era_of(d: date) -> Era:
    """The era in which ``d`` falls; ``ValueError`` before the Meiji era."""
    for start, era in ERA_STARTS:
        if d >= start:
            return era
    raise ValueError(f"{d.isoformat()} is before the Meiji era (1868-01-25): no era digit for it.")


def jpki_birth_date(d: date) -> str:
    """``EYYYYMMDD``: the era digit, then the Gregorian date (R_CERT_9)."""
    return f"{int(era_of(d))}{d:%Y%m%d}"
