"""The JSON API takes dates as the window does: ISO (2026-11-28) or 和暦 (令和8年11月28日,
R8.11.28, 平成元年1月8日), in bodies and in queries; a date in no accepted form is a 422 that
names the field and the forms, in English and Japanese, without echoing what was sent."""

from __future__ import annotations

import pytest

from mynacard.ids import IndividualNumber
from tests.web.conftest import NAKANOTO, register


def _resident(birth_date: str) -> dict[str, str]:
    return {"individual_number": str(IndividualNumber.generate()), "name": "和暦 太郎",
            "address": "石川県鹿島郡中能登町能登部下1", "birth_date": birth_date, "sex": "1",
            "municipality_code": NAKANOTO}


@pytest.mark.parametrize(("given", "day"), [
    ("1989-01-08", "1989-01-08"),
    ("平成元年1月8日", "1989-01-08"),  # the first day of Heisei
    ("H1.1.8", "1989-01-08"),
    ("昭和64年1月7日", "1989-01-07"),  # the last day of Showa
    ("R2.2.29", "2020-02-29"),
    ("令和２年２月２９日", "2020-02-29"),  # full-width digits, as typed with a Japanese keyboard
])
def test_a_birth_date_in_iso_or_wareki_registers_the_same_day(staff, given, day):
    r = staff["clerk"].post("/api/residents", json=_resident(given))
    assert r.status_code == 201, r.text
    assert r.json()["birth_date"] == day


def test_dates_in_queries_take_wareki_too(staff):
    rid = register(staff["clerk"], name="検索 和子", birth="1990-06-15")
    found = staff["clerk"].get("/api/residents", params={"name": "検索", "birth_date": "平成2年6月15日"}).json()
    assert [x["id"] for x in found] == [rid]
    assert staff["clerk"].get("/api/renewals", params={"until": "R7.4.1"}).status_code == 200


@pytest.mark.parametrize(("given", "why_ja"), [
    ("平成32年1月1日", "平成は平成31年4月30日(2019-04-30)までです"),  # Heisei had ended
    ("令和元年4月30日", "令和は令和元年5月1日(2019-05-01)からです"),  # Reiwa had not begun
    ("2026-02-30", "2026年2月30日という日はありません"),
    ("next tuesday", "西暦・和暦のどちらの書き方でもありません"),
])
def test_a_bad_date_is_a_422_naming_the_field_and_the_accepted_forms(staff, given, why_ja):
    r = staff["clerk"].post("/api/residents", json=_resident(given))
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "invalid_input" and list(err["fields"]) == ["birth_date"]
    assert err["message"].startswith("birth_date: not a date")
    for form in ("2026-11-28", "令和8年11月28日", "R8.11.28"):
        assert form in err["message"] and form in err["message_ja"]
    assert err["message_ja"].startswith(f"birth_date の日付が正しくありません({why_ja})")
    if "年" in given or " " in given:  # the text sent is never echoed (the reason may name a day)
        assert given not in r.text


def test_a_bad_date_in_a_query_names_the_query_field(staff):
    r = staff["clerk"].get("/api/renewals", params={"until": "R99.13.1"})
    assert r.status_code == 422 and list(r.json()["error"]["fields"]) == ["until"]
    assert "令和8年11月28日" in r.json()["error"]["message"]


def test_the_api_schema_says_dates_take_wareki(app):
    schema = app.openapi()["components"]["schemas"]["ResidentIn"]["properties"]["birth_date"]
    assert schema["type"] == "string" and "令和8年11月28日" in schema["examples"]
