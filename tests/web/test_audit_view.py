"""The audit view for auditors (R_NUM_3: who read a number, when, why): Japan time labelled JST,
actions in plain Japanese, details as fields without a number or a PIN, filters by staff
member, resident, action and period (和暦 or 西暦), pages, and the CSV export for Excel."""

from __future__ import annotations

import csv
import io
import re

from tests.web.conftest import at, issue_card, register
from tests.web.test_security import csrf_of, ui_login


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr class="(?:ok|denied|error)">(.*?)</tr>', html, re.S)


def test_audit_view_reads_plainly_in_japan_time_without_numbers_R_NUM_3(app, staff, clock):
    clock.set(at("2025-04-01T23:30"))  # 14:30 UTC: the Japan date is already the 1st
    rid = register(staff["clerk"])
    r = staff["clerk"].post(f"/api/residents/{rid}/number", json={"purpose": "tax"})
    number = r.json()["individual_number"]
    auditor = ui_login(app, "auditor")
    page = auditor.get("/audit").text
    assert "2025-04-01 23:30:00 JST" in page
    assert "個人番号の確認(利用目的つき)" in page and "住民の登録" in page and "ログイン" in page
    assert f"住民ID {rid}" in page
    assert "<dt>利用目的</dt><dd>税</dd>" in page
    assert number not in page and "{'" not in page  # never the number, never a raw dict
    assert 'data-date="wareki"' in page  # the period takes 和暦 or 西暦


def test_audit_filters_by_staff_resident_action_and_period(app, staff, clock):
    clock.set(at("2025-04-01T10:00"))
    a = register(staff["clerk"], name="甲 一郎")
    clock.set(at("2025-04-03T10:00"))
    b = register(staff["super"], name="乙 二郎")
    card_id = issue_card(staff["super"], b)
    auditor = ui_login(app, "auditor")

    page = auditor.get("/audit", params={"actor": "super"}).text
    assert _rows(page) and all("<td>super</td>" in row for row in _rows(page))

    page = auditor.get("/audit", params={"resident_id": str(b)}).text
    rows = _rows(page)
    assert any(f"カードID {card_id}" in row for row in rows)  # the resident's card counts too
    assert any("カードの交付" in row for row in rows)
    assert not any(f"住民ID {a}<" in row for row in rows)

    page = auditor.get("/audit", params={"action": "resident.register"}).text
    assert len(_rows(page)) == 2 and all("住民の登録" in row for row in _rows(page))

    # the period in 和暦: 令和7年4月1日 only (2025-04-01), both ends included
    period = {"since": "R7.4.1", "until": "令和7年4月1日"}
    page = auditor.get("/audit", params={"action": "resident.register", **period}).text
    assert len(_rows(page)) == 1 and "2025-04-01 10:00:00 JST" in page

    r = auditor.get("/audit", params={"since": "平成32年1月1日"})
    assert r.status_code == 422 and "平成は平成31年4月30日(2019-04-30)までです" in r.text
    r = auditor.get("/audit", params={"since": "2025-04-03", "until": "2025-04-01"})
    assert r.status_code == 422 and "期間の終わりが始まりより前です" in r.text


def test_audit_pages_through_the_log(app, staff):
    for i in range(60):
        staff["clerk"].get("/api/residents", params={"name": f"検索{i}"})
    auditor = ui_login(app, "auditor")
    first = auditor.get("/audit", params={"action": "resident.read"}).text
    assert len(_rows(first)) == 50 and "60件中 1〜50件目" in first
    older = re.search(r'href="([^"]+)" id="a-older"', first).group(1).replace("&amp;", "&")
    assert "action=resident.read" in older  # the filter is kept
    second = auditor.get(older).text
    assert len(_rows(second)) == 10 and "60件中 51〜60件目" in second
    assert 'id="a-older"' not in second and 'id="a-newer"' in second


def test_audit_csv_opens_in_excel_and_holds_no_number(app, staff):
    rid = register(staff["clerk"])
    number = staff["clerk"].post(f"/api/residents/{rid}/number", json={"purpose": "tax"}).json()["individual_number"]
    staff["clerk"].post("/api/login", json={"username": "=HYPERLINK(\"x\")", "password": "wrong password!"})
    auditor = ui_login(app, "auditor")
    r = auditor.get("/audit.csv", params={"resident_id": str(rid)})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    assert r.content.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["番号", "日時(JST)", "職員"]
    assert {row[4] for row in rows[1:]} >= {"住民の登録", "個人番号の確認(利用目的つき)"}
    assert all(row[1].endswith(" JST") for row in rows[1:])
    assert number not in r.content.decode("utf-8-sig")
    every = auditor.get("/audit.csv").content.decode("utf-8-sig")
    assert "'=HYPERLINK" in every and '\n=HYPERLINK' not in every and ",=HYPERLINK" not in every
    # the export is itself audited
    assert "audit.csv" in auditor.get("/audit", params={"action": "audit.read"}).text


def test_only_auditors_and_admins_see_the_audit_view(app):
    clerk = ui_login(app)
    assert clerk.get("/audit").status_code == 403
    assert clerk.get("/audit.csv").status_code == 403
    assert ui_login(app, "root").get("/audit.csv").status_code == 200
    page = ui_login(app, "auditor").get("/audit").text
    assert csrf_of(page)


def test_the_api_names_each_action_in_japanese(staff):
    rid = register(staff["clerk"])
    entries = staff["auditor"].get("/api/audit", params={"action": "resident.register"}).json()
    assert [e["action_ja"] for e in entries] == ["住民の登録"]
    events = staff["clerk"].get("/api/events", params={"resident_id": rid}).json()
    assert [e["action_ja"] for e in events] == ["住民を登録"]
