"""Renewals due (R_CARD_6, R_CERT_3): the window's page, the API and the CLI give one list."""

from __future__ import annotations

import base64
import json
import re

from typer.testing import CliRunner

from mynacard.cli.main import app as cli_app
from tests.web.conftest import KANAZAWA, MASTER_KEY, NAKANOTO, at, issue_card, register
from tests.web.test_security import ui_login


def _world(staff):
    """Two cards in 中能登町 and one in 金沢市, issued 2025-04-01: certificates expire on the
    holders' 5th birthday after issue (2029-06-15 / 2029-08-01), the cards on the 10th."""
    taro = register(staff["clerk"], name="能登 太郎", birth="1990-06-15")
    hanako = register(staff["clerk"], name="能登 花子", birth="1985-08-01")
    other = register(staff["kanazawa"], name="金沢 一郎", birth="1990-06-15", code=KANAZAWA)
    return (
        issue_card(staff["clerk"], taro),
        issue_card(staff["clerk"], hanako),
        issue_card(staff["kanazawa"], other),
    )


def _cli(office, monkeypatch, *args: str, day: str) -> list[dict]:
    monkeypatch.setenv("MYNACARD_MASTER_KEY", base64.b64encode(MASTER_KEY).decode())
    db = office.store.engine.url.database
    r = CliRunner().invoke(cli_app, ["--db", db, "--at", f"{day}T10:00", "--json", "renewals", *args])
    assert r.exit_code == 0, r.output + str(r.exception)
    return json.loads(r.stdout)


def test_certificates_fall_due_three_months_before_expiry_R_CERT_3(staff, clock):
    taro_card, hanako_card, _ = _world(staff)
    clock.set(at("2029-03-15"))  # the window of 2029-06-15 opens on 03-16
    assert staff["clerk"].get("/api/renewals").json() == []
    clock.set(at("2029-03-16"))
    rows = staff["clerk"].get("/api/renewals").json()
    assert [r["card_id"] for r in rows] == [taro_card]
    assert [(d["what"], d["expires_on"], d["window_opens"], d["in_window"]) for d in rows[0]["due"]] == [
        ("sign", "2029-06-15", "2029-03-16", True),
        ("auth", "2029-06-15", "2029-03-16", True),
    ]
    # a range: by 2029-05-02 花子's window (opens 05-02) is open too; earliest expiry first
    rows = staff["clerk"].get("/api/renewals", params={"until": "2029-05-02"}).json()
    assert [r["card_id"] for r in rows] == [taro_card, hanako_card]
    # what expired before ``since`` is left out; past the expiry it is listed, no longer in window
    rows = staff["clerk"].get("/api/renewals", params={"until": "2029-07-01"}).json()
    assert [d["in_window"] for r in rows for d in r["due"]] == [False, False, True, True]
    rows = staff["clerk"].get("/api/renewals", params={"until": "2029-07-01", "since": "2029-07-01"}).json()
    assert [r["card_id"] for r in rows] == [hanako_card]
    r = staff["clerk"].get("/api/renewals", params={"until": "2029-07-01", "since": "2029-07-02"})
    assert r.status_code == 422 and "since" in r.text


def test_the_page_the_api_and_the_cli_agree(app, staff, clock, office, monkeypatch):
    taro_card, hanako_card, kanazawa_card = _world(staff)
    clock.set(at("2029-05-10"))
    api = staff["clerk"].get("/api/renewals").json()
    assert [r["card_id"] for r in api] == [taro_card, hanako_card]  # own municipality only
    everyone = staff["root"].get("/api/renewals").json()
    assert {r["card_id"] for r in everyone} == {taro_card, hanako_card, kanazawa_card}

    assert _cli(office, monkeypatch, "--municipality", NAKANOTO, day="2029-05-10") == api
    assert _cli(office, monkeypatch, day="2029-05-10") == everyone
    assert _cli(office, monkeypatch, "--until", "2029-05-10", day="2029-01-01") == everyone

    html = ui_login(app, "clerk").get("/renewals").text
    shown = re.findall(r"<td>([0-9A-F]{12})</td>\s*<td>([^<]+)</td>\s*<td>(\d{4}-\d{2}-\d{2})", html)
    assert shown == [
        (r["card_id"], d["what_ja"], d["expires_on"]) for r in api for d in r["due"]
    ]
    assert {"署名用電子証明書", "利用者証明用電子証明書"} == {w for _, w, _ in shown}
    assert kanazawa_card not in html
