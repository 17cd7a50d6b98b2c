"""Dates typed at the window: 西暦 and 和暦 read by one parser, impossible dates refused (R_CERT_9
eras), and the notes field (追記欄) dated in 和暦 (R_CARD_7)."""

from __future__ import annotations

from datetime import date

import pytest

from mynacard.errors import ValidationError
from mynacard.rules.notes import note_text
from mynacard.rules.wareki import both, parse_date, wareki

ACCEPTED = [
    ("2026-11-28", date(2026, 11, 28)),
    ("2026/11/28", date(2026, 11, 28)),
    ("2026.11.28", date(2026, 11, 28)),
    ("20261128", date(2026, 11, 28)),
    ("2026年11月28日", date(2026, 11, 28)),
    ("2026-1-5", date(2026, 1, 5)),
    ("２０２６－１１－２８", date(2026, 11, 28)),  # noqa: RUF001  (full-width digits and dash)
    (" 2026-11-28 ", date(2026, 11, 28)),
    ("令和8年11月28日", date(2026, 11, 28)),
    ("令和８年１１月２８日", date(2026, 11, 28)),
    ("令和 8年 11月 28日", date(2026, 11, 28)),
    ("R8.11.28", date(2026, 11, 28)),
    ("r8/11/28", date(2026, 11, 28)),
    ("R08.11.28", date(2026, 11, 28)),
    ("令和元年5月1日", date(2019, 5, 1)),  # the first day of Reiwa
    ("R1.5.1", date(2019, 5, 1)),
    ("H31.4.30", date(2019, 4, 30)),  # the last day of Heisei
    ("平成元年1月8日", date(1989, 1, 8)),
    ("S64.1.7", date(1989, 1, 7)),  # the last day of Showa
    ("昭和55年2月17日", date(1980, 2, 17)),
    ("T15.12.24", date(1926, 12, 24)),
    ("大正元年7月30日", date(1912, 7, 30)),
    ("M45.7.29", date(1912, 7, 29)),
    ("平成12年2月29日", date(2000, 2, 29)),
]

REFUSED = [
    ("平成32年1月1日", "平成は平成31年4月30日(2019-04-30)まで", "Heisei (平成) ended on 2019-04-30"),
    ("H31.5.1", "平成は平成31年4月30日(2019-04-30)まで", "Heisei"),
    ("令和1年4月30日", "令和は令和元年5月1日(2019-05-01)から", "Reiwa (令和) began on 2019-05-01"),
    ("令和元年4月30日", "令和は令和元年5月1日(2019-05-01)から", "began"),
    ("S64.1.8", "昭和は昭和64年1月7日(1989-01-07)まで", "Showa (昭和) ended"),
    ("平成元年1月7日", "平成は平成元年1月8日(1989-01-08)から", "Heisei (平成) began"),
    ("R0.1.1", "令和0年はありません", "no year 0"),
    ("2026-02-30", "2026年2月30日という日はありません", "no day 2026-02-30"),
    ("令和7年2月29日", "2025年2月29日という日はありません", "no day 2025-02-29"),
    ("2026-13-01", "2026年13月1日という日はありません", "no day"),
    ("2026-1128", "西暦・和暦のどちらの書き方でもありません", "neither"),
    ("X8.11.28", "西暦・和暦のどちらの書き方でもありません", "neither"),
    ("", "西暦・和暦のどちらの書き方でもありません", "neither"),
    ("11/28", "西暦・和暦のどちらの書き方でもありません", "neither"),
]


@pytest.mark.parametrize(("text", "day"), ACCEPTED)
def test_seireki_and_wareki_are_read(text, day):
    assert parse_date(text) == day


@pytest.mark.parametrize(("text", "ja", "en"), REFUSED)
def test_impossible_dates_are_refused_in_japanese_and_english(text, ja, en):
    with pytest.raises(ValidationError) as e:
        parse_date(text, "birth_date")
    assert ja in e.value.message_ja
    assert "令和8年11月28日" in e.value.message_ja  # how to write it instead
    assert en in e.value.message and "birth_date" in e.value.message
    assert e.value.fields["field"] == "birth_date"


WHY = [  # what was typed, and the reason a refusal gives in English and in Japanese
    ("平成32年1月1日", "Heisei (平成) ended on 2019-04-30, 平成31年4月30日",
     "平成は平成31年4月30日(2019-04-30)までです"),
    ("令和元年4月30日", "Reiwa (令和) began on 2019-05-01", "令和は令和元年5月1日(2019-05-01)からです"),
    ("R0.1.1", "Reiwa (令和) has no year 0", "令和0年はありません"),
    ("2026-02-30", "there is no day 2026-02-30", "2026年2月30日という日はありません"),
    ("令和7年2月29日", "there is no day 2025-02-29", "2025年2月29日という日はありません"),
    ("11/28", "it is written neither as a Western (西暦) nor as a Japanese-era (和暦) date",
     "西暦・和暦のどちらの書き方でもありません"),
]


@pytest.mark.parametrize(("text", "why", "why_ja"), WHY)
def test_a_refusal_quotes_what_was_typed_and_says_why(text, why, why_ja):
    with pytest.raises(ValidationError) as e:
        parse_date(text, "birth_date")
    assert e.value.message == (f"birth_date {text!r} is not a real date: {why}. "
                               "Enter it as e.g. 2026-11-28, 20261128, 令和8年11月28日 or R8.11.28.")
    assert e.value.message_ja == (f"日付が正しくありません({why_ja})。"
                                  "例: 2026-11-28、20261128、令和8年11月28日、R8.11.28 のように入力してください。")
    assert e.value.fields == {"field": "birth_date", "reason": why, "reason_ja": why_ja}


def test_a_date_field_without_a_name_is_called_date():
    with pytest.raises(ValidationError) as e:
        parse_date("2026-02-30")
    assert e.value.fields["field"] == "date" and e.value.message.startswith("date '2026-02-30' is not")


@pytest.mark.parametrize("day", [d for _, d in ACCEPTED] + [date(2019, 4, 30), date(1868, 1, 25)])
def test_what_wareki_writes_is_read_back(day):
    assert parse_date(wareki(day)) == day
    assert parse_date(day.isoformat()) == day


def test_wareki_and_both():
    assert wareki(date(2019, 5, 1)) == "令和元年5月1日"
    assert wareki(date(2026, 11, 28)) == "令和8年11月28日"
    assert both(date(1989, 1, 8)) == "平成元年1月8日(1989-01-08)"
    assert both(None) == wareki(None) == ""


def test_notes_are_dated_in_wareki_R_CARD_7():
    text = note_text(date(2026, 11, 28), "転居", "中能登町能登部下1番地")
    assert text == "令和8年11月28日 転居 中能登町能登部下1番地"
    assert note_text(date(2019, 5, 1), "氏名変更", "能登 花子").startswith("令和元年5月1日 ")
