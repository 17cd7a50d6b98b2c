"""Security headers, the login CSRF token, the password policy, the scope of the daily batch."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from mynacard.errors import ValidationError
from mynacard.web.deps import auth
from tests.harden.conftest import login_ui
from tests.web.conftest import PASSWORD, at, issue_card, register


def _html_is_protected(r) -> None:
    assert r.headers["content-type"].startswith("text/html")
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert r.headers["Cache-Control"] == "no-store"


def test_html_pages_carry_csp_and_no_store(web_app, web_staff):
    rid = register(web_staff["clerk"], name="見出 太郎")
    anon = TestClient(web_app, raise_server_exceptions=False)
    _html_is_protected(anon.get("/login"))
    clerk = login_ui(web_app, "clerk")
    _html_is_protected(clerk.get("/"))
    page = clerk.get(f"/residents/{rid}")
    _html_is_protected(page)
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    shown = clerk.post(f"/residents/{rid}/number", data={"purpose": "tax", "csrf": token})
    assert shown.status_code == 200
    _html_is_protected(shown)  # the page that shows a number is never cached
    _html_is_protected(clerk.get("/residents/999999"))  # error pages too


def test_api_answers_with_personal_data_are_not_cached(web_app, web_staff):
    clerk = web_staff["clerk"]
    rid = register(clerk, name="番号 花子")
    for r in (clerk.get(f"/api/residents/{rid}"), clerk.post(f"/api/residents/{rid}/number",
                                                            json={"purpose": "tax"})):
        assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    anon = TestClient(web_app, raise_server_exceptions=False)
    crl = anon.get("/crl/sign.crl")
    assert crl.headers.get("Cache-Control") != "no-store"  # public, cacheable


@pytest.mark.parametrize("forged", ["-", "", "x"])
def test_login_csrf_needs_the_token_of_its_cookie(web_app, forged):
    # refused before the password is checked: back to the login page (303), no session
    c = TestClient(web_app, raise_server_exceptions=False)  # no login page seen, so no cookie
    r = c.post("/login", data={"username": "clerk", "password": PASSWORD, "csrf": forged},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?")
    assert "myna_session" not in r.cookies
    c.cookies.set("myna_login_csrf", forged)
    r = c.post("/login", data={"username": "clerk", "password": PASSWORD, "csrf": forged},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?")
    assert "myna_session" not in r.cookies


@pytest.mark.parametrize(("password", "why"), [
    ("aaaaaaaaaaaa", "characters"),
    ("password123", "common"),
    ("1234567890", "common"),
    ("tanaka-2025!", "user name"),
    ("short", "10"),
])
def test_password_policy_refuses_weak_passwords(web_office, password, why):
    with pytest.raises(ValidationError) as e:
        auth.create_account(web_office.store, username="tanaka", password=password, role="auditor")
    assert e.value.fields["field"] == "password" and why in e.value.message


def test_supervisors_batch_stays_in_its_municipality(web_staff, web_office, web_app):
    """A card of 金沢市 that has expired is left alone by 中能登町's supervisor and expired by
    金沢市's own batch (an administrator's batch runs everywhere)."""
    from mynacard.db import repositories as repo

    kanazawa = web_staff["kanazawa"]
    rid = register(kanazawa, name="範囲 外子", code="172014")
    card_id = issue_card(kanazawa, rid)
    clock = web_app.state.mynacard.clock
    clock.set(at("2035-07-01"), advance=False)
    try:
        r = web_staff["super"].post("/api/batch/daily")
        assert r.status_code == 200, r.text
        rep = r.json()
        assert card_id not in rep["expired_cards"]
        with web_office.store.sessions() as s:
            assert repo.card(s, card_id).state == "issued"
        r = web_staff["root"].post("/api/batch/daily")
        assert r.status_code == 200, r.text
        rep = r.json()
        assert card_id in rep["expired_cards"]
    finally:
        clock.set(at("2025-04-01T10:00"), advance=False)
