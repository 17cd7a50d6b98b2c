"""Dates as the window writes them: 西暦 (2026-11-28, 2026/11/28, 20261128, 2026年11月28日) and
和暦 (令和8年11月28日, R8.11.28, 令和元年5月1日, H31.4.30, S64.1.7 …), read by one pure parser and
written back by ``wareki``. The eras and their first days are those of ``ca.era`` (R_CERT_9).

A 和暦 date must fall inside its era: 平成32年 (the Heisei era ended on 2019-04-30) and
令和元年4月30日 (Reiwa began on 2019-05-01) are refused with a message that says so.

>>> parse_date("令和8年11月28日"), parse_date("R8.11.28"), parse_date("20261128")
(datetime.date(2026, 11, 28), datetime.date(2026, 11, 28), datetime.date(2026, 11, 28))
>>> wareki(date(2019, 5, 1)), both(date(1989, 1, 7))
('令和元年5月1日', '昭和64年1月7日(1989-01-07)')
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

from mynacard.ca.era import ERA_STARTS, Era
from mynacard.errors import ValidationError

ERA_NAMES = {Era.MEIJI: "明治", Era.TAISHO: "大正", Era.SHOWA: "昭和", Era.HEISEI: "平成", Era.REIWA: "令和"}
ERA_EN = {Era.MEIJI: "Meiji", Era.TAISHO: "Taisho", Era.SHOWA: "Showa", Era.HEISEI: "Heisei", Era.REIWA: "Reiwa"}
ERA_LETTERS = {Era.MEIJI: "M", Era.TAISHO: "T", Era.SHOWA: "S", Era.HEISEI: "H", Era.REIWA: "R"}
_BY_TOKEN = {**{v: k for k, v in ERA_NAMES.items()}, **{v: k for k, v in ERA_LETTERS.items()}}
_START = {era: start for start, era in ERA_STARTS}
#: The last day of each era (the day before the next began); the current era has none.
_END = {era: ERA_STARTS[i - 1][0] - timedelta(days=1) for i, (_, era) in enumerate(ERA_STARTS) if i > 0}

#: What a date field accepts, for the hint next to it.
HINT_JA = "例: 2026-11-28、20261128、令和8年11月28日、R8.11.28"
HINT = "e.g. 2026-11-28, 20261128, 令和8年11月28日 or R8.11.28"

_SEP = r"\s*[-/.年]\s*"
_GREGORIAN = re.compile(rf"(\d{{4}}){_SEP}(\d{{1,2}}){_SEP.replace('年', '月')}(\d{{1,2}})\s*日?")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_ERA = re.compile(
    rf"(明治|大正|昭和|平成|令和|[MTSHR])\s*(元|\d{{1,2}}){_SEP}(\d{{1,2}}){_SEP.replace('年', '月')}(\d{{1,2}})\s*日?",
    re.IGNORECASE,
)


def wareki(d: date | None) -> str:
    """A date in the Japanese calendar: 2025-05-10 -> 令和7年5月10日 (元年 for year 1)."""
    if d is None:
        return ""
    for start, era in ERA_STARTS:
        if d >= start:
            y = d.year - start.year + 1
            return f"{ERA_NAMES[era]}{'元' if y == 1 else y}年{d.month}月{d.day}日"
    return d.isoformat()


def both(d: date | None) -> str:
    """和暦 with 西暦 in brackets, for messages a resident reads: 令和8年11月28日(2026-11-28)."""
    return "" if d is None else f"{wareki(d)}({d.isoformat()})"


def _refuse(field: str, text: str, why: str, why_ja: str) -> ValidationError:
    return ValidationError(
        field,
        f"{field} {text!r} is not a real date: {why}. Enter it as {HINT}.",
        f"日付が正しくありません({why_ja})。{HINT_JA} のように入力してください。",
        reason=why,
        reason_ja=why_ja,
    )


def _day(field: str, text: str, y: int, m: int, d: int) -> date:
    try:
        return date(y, m, d)
    except ValueError:
        why_ja = f"{y}年{m}月{d}日という日はありません"
        raise _refuse(field, text, f"there is no day {y}-{m:02d}-{d:02d}", why_ja) from None


def parse_date(text: str | date, field: str = "date") -> date:
    """A date typed at the window in 西暦 or 和暦 (see the module docstring); a ValidationError
    naming ``field`` that says what is wrong and how to write it otherwise."""
    if isinstance(text, date):
        return text
    s = unicodedata.normalize("NFKC", str(text)).strip()
    if m := _COMPACT.fullmatch(s) or _GREGORIAN.fullmatch(s):
        return _day(field, text, int(m[1]), int(m[2]), int(m[3]))
    if m := _ERA.fullmatch(s):
        era = _BY_TOKEN[m[1].upper()]  # r8.11.28 is R8.11.28; a kanji era name has no case
        name, en = ERA_NAMES[era], f"{ERA_EN[era]} ({ERA_NAMES[era]})"
        n = 1 if m[2] == "元" else int(m[2])
        if n < 1:
            raise _refuse(field, text, f"{en} has no year {n}", f"{name}{n}年はありません")
        start = _START[era]
        d = _day(field, text, start.year + n - 1, int(m[3]), int(m[4]))
        if d < start:
            raise _refuse(field, text, f"{en} began on {start.isoformat()}",
                          f"{name}は{wareki(start)}({start.isoformat()})からです")
        end = _END.get(era)
        if end is not None and d > end:
            raise _refuse(field, text, f"{en} ended on {end.isoformat()}, {wareki(end)}",
                          f"{name}は{wareki(end)}({end.isoformat()})までです")
        return d
    raise _refuse(field, text, "it is written neither as a Western (西暦) nor as a Japanese-era (和暦) date",
                  "西暦・和暦のどちらの書き方でもありません")
