"""Post/redirect/get everywhere in the window: the login form, forms refused before any step (a
stale CSRF token, an expired session), and redirected results kept in the store (sealed, bound
to the staff session, shared by worker processes, kept over a restart, a number shown once)."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from mynacard import audit
from mynacard.db.models import Card, WindowRecord
from mynacard.db.staff import LoginThrottle, StaffSession, WindowResult
from mynacard.web.app import create_app
from mynacard.web.ui.render import EXPIRED_JA, EXPIRED_LOGIN_JA
from tests.web.conftest import PASSWORD, register
from tests.web.test_security import csrf_of, ui_login


def _login_token(c: TestClient) -> str:
    return csrf_of(c.get("/login").text)


def _attempts(office, user: str) -> int:
    with office.store.sessions() as s:
        return int(s.scalar(select(LoginThrottle.attempts).where(LoginThrottle.key == f"user:{user}")) or 0)


def _cards(office, rid: int) -> int:
    with office.store.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(Card).where(Card.resident_id == rid)))


# --- the login form --------------------------------------------------------------------------


def test_a_failed_login_redirects_to_the_login_page_with_the_error_and_the_login_id(app, office):
    c = TestClient(app, raise_server_exceptions=False)
    token = _login_token(c)
    r = c.post("/login", data={"username": "clerk", "password": "not the password", "csrf": token},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?f=")
    shown = c.get(r.headers["location"])
    assert "ユーザー名またはパスワードが違います" in shown.text
    assert 'id="username" value="clerk"' in shown.text
    assert "not the password" not in shown.text  # the password is never kept
    assert _attempts(office, "clerk") == 1
    again = c.get(r.headers["location"])  # a reload shows the page again and sends nothing
    assert "ユーザー名またはパスワードが違います" in again.text and _attempts(office, "clerk") == 1
    # the form on that page still works
    r = c.post("/login", data={"username": "clerk", "password": PASSWORD, "csrf": csrf_of(again.text)},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert c.get("/").status_code == 200  # the reload after a good login is this GET


def test_a_refused_login_is_shown_only_to_the_browser_that_sent_it(app):
    c = TestClient(app, raise_server_exceptions=False)
    r = c.post("/login", data={"username": "clerk", "password": "not the password", "csrf": _login_token(c)},
               follow_redirects=False)
    other = TestClient(app, raise_server_exceptions=False)
    page = other.get(r.headers["location"]).text
    assert "パスワードが違います" not in page and 'value="clerk"' not in page


def test_a_login_from_an_old_login_page_asks_again_and_keeps_the_login_id(app, office):
    c = TestClient(app, raise_server_exceptions=False)
    _login_token(c)
    r = c.post("/login", data={"username": "clerk", "password": PASSWORD, "csrf": "from an older page"},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?f=")
    page = c.get(r.headers["location"]).text
    assert EXPIRED_JA in page and 'id="username" value="clerk"' in page
    assert _attempts(office, "clerk") == 0  # no password was checked
    fresh = TestClient(app, raise_server_exceptions=False)  # no login cookie at all
    r = fresh.post("/login", data={"username": "clerk", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?expired=1"
    assert "myna_session" not in fresh.cookies


# --- forms refused before any step -----------------------------------------------------------


def test_a_form_with_a_stale_csrf_token_goes_back_to_its_page_with_the_values_and_runs_nothing(app, staff, office):
    rid = register(staff["clerk"])
    c = ui_login(app)
    c.get(f"/residents/{rid}")
    r = c.post(f"/residents/{rid}/apply", data={"channel": "mail", "reason": "return_from_abroad", "csrf": "stale"},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith(f"/residents/{rid}/do/apply?f=")
    page = c.get(r.headers["location"])
    assert page.status_code == 200 and EXPIRED_JA in page.text
    assert re.search(r'<option value="mail"[^>]*selected', page.text)
    assert re.search(r'<option value="return_from_abroad"[^>]*selected', page.text)
    assert re.search(r'<option value="mail"[^>]*selected', page.text)
    assert _cards(office, rid) == 0
    with office.store.sessions() as s:
        denied = audit.entries(s, action="csrf")
    assert [(e.outcome, e.target) for e in denied] == [("denied", f"/residents/{rid}/apply")]
    # sent again from the page it came back to, it runs
    r = c.post(f"/residents/{rid}/apply", data={"kind": "new", "channel": "window", "csrf": csrf_of(page.text)})
    assert "交付申請を受け付けました" in r.text and _cards(office, rid) == 1


def test_a_stale_form_never_keeps_a_pin(app, staff):
    c = ui_login(app)
    r = c.post("/register", data={"name": "能登 花子", "pin_auth": "1234", "password": "secret pass 1",
                                  "csrf": "stale"}, follow_redirects=False)
    assert r.headers["location"].startswith("/register?f=")
    page = c.get(r.headers["location"]).text
    assert 'value="能登 花子"' in page and "1234" not in page and "secret pass 1" not in page
    assert staff["clerk"].get("/api/residents", params={"name": "能登 花子"}).json() == []  # nothing registered


def test_a_form_sent_after_the_session_expired_goes_through_the_login_back_to_its_page(app, staff, office):
    rid = register(staff["clerk"])
    c = ui_login(app)
    token = csrf_of(c.get(f"/residents/{rid}/do/moved_in_from_abroad").text)
    ui_session = hashlib.sha256(c.cookies["myna_session"].encode()).hexdigest()
    with office.store.sessions() as s:  # the session ends while the form is open
        s.execute(update(StaffSession).where(StaffSession.token_hash == ui_session)
                  .values(expires_at=datetime.now(UTC) - timedelta(minutes=1)))
        s.commit()
    r = c.post(f"/residents/{rid}/moved_in_from_abroad", data={"moved_in_on": "令和7年3月1日", "csrf": token},
               follow_redirects=False)
    assert r.status_code == 303
    where = urlsplit(r.headers["location"])
    assert where.path == "/login" and parse_qs(where.query)["expired"] == ["1"]
    back = parse_qs(where.query)["next"][0]
    assert back.startswith(f"/residents/{rid}/do/moved_in_from_abroad?f=")
    page = c.get(r.headers["location"]).text
    assert EXPIRED_LOGIN_JA in page and f'name="next" value="{back}"' in page
    r = c.post("/login", data={"username": "clerk", "password": PASSWORD, "csrf": csrf_of(page), "next": back},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == back
    form = c.get(back).text
    assert EXPIRED_JA in form and 'value="令和7年3月1日"' in form
    with office.store.sessions() as s:  # nothing was recorded
        assert s.scalar(select(func.count()).select_from(WindowRecord)) == 0
    # another staff member never sees what was kept for this one
    other = ui_login(app, "super")
    assert "令和7年3月1日" not in other.get(back).text


def test_the_login_goes_back_only_to_a_page_of_this_site(app):
    c = TestClient(app, raise_server_exceptions=False)
    for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        page = c.get("/login", params={"next": evil}).text
        assert "evil.example" not in page
        r = c.post("/login", data={"username": "clerk", "password": PASSWORD, "csrf": csrf_of(page), "next": evil},
                   follow_redirects=False)
        assert r.headers["location"] == "/"
        c.cookies.clear()


# --- redirected results in the store ---------------------------------------------------------


def test_a_result_survives_a_restart_and_is_shared_by_worker_processes(app, staff, office, clock):
    rid = register(staff["clerk"])
    c = ui_login(app)
    token = csrf_of(c.get(f"/residents/{rid}").text)
    r = c.post(f"/residents/{rid}/apply", data={"kind": "new", "csrf": token}, follow_redirects=False)
    restarted = create_app(office, clock=clock)  # another process over the same store
    c2 = TestClient(restarted, raise_server_exceptions=False)
    c2.cookies.update(c.cookies)
    assert "交付申請を受け付けました" in c2.get(r.headers["location"]).text


def test_a_result_is_sealed_and_the_number_is_shown_once_then_cleared_R_NUM_3(app, staff, office):
    rid = register(staff["clerk"], name="能登 秘子")
    number = staff["clerk"].post(f"/api/residents/{rid}/number", json={"purpose": "tax"}).json()["individual_number"]
    c = ui_login(app)
    token = csrf_of(c.get(f"/residents/{rid}").text)
    r = c.post(f"/residents/{rid}/number", data={"purpose": "tax", "csrf": token}, follow_redirects=False)
    with office.store.sessions() as s:
        rows = s.scalars(select(WindowResult)).all()
    raw = b"".join(x.sealed + (x.once_sealed or b"") + x.token_hash.encode() for x in rows)
    assert rows and number.encode() not in raw and "利用目的".encode() not in raw
    assert r.headers["location"].split("f=")[1].encode() not in raw  # only its hash is stored
    assert number in c.get(r.headers["location"]).text
    with office.store.sessions() as s:
        assert all(x.once_sealed is None for x in s.scalars(select(WindowResult)))
    assert number not in c.get(r.headers["location"]).text


def test_results_go_with_the_session_that_made_them(app, staff, office):
    rid = register(staff["clerk"])
    c = ui_login(app)
    token = csrf_of(c.get(f"/residents/{rid}").text)
    r = c.post(f"/residents/{rid}/apply", data={"kind": "new", "csrf": token}, follow_redirects=False)
    same_user_elsewhere = ui_login(app, "clerk")
    assert "交付申請を受け付けました" not in same_user_elsewhere.get(r.headers["location"]).text
    page = c.get(f"/residents/{rid}").text
    c.post("/logout", data={"csrf": csrf_of(page)})
    with office.store.sessions() as s:
        assert s.scalar(select(func.count()).select_from(WindowResult)) == 0


def test_a_shown_result_is_kept_only_for_a_reload_and_expired_ones_are_deleted(app, staff, office):
    rid = register(staff["clerk"])
    c = ui_login(app)
    token = csrf_of(c.get(f"/residents/{rid}").text)
    r = c.post(f"/residents/{rid}/apply", data={"kind": "new", "csrf": token}, follow_redirects=False)
    with office.store.sessions() as s:
        [before] = s.scalars(select(WindowResult.expires_at)).all()
    assert before > datetime.now(UTC) + timedelta(minutes=50)  # an hour to be shown
    c.get(r.headers["location"])
    with office.store.sessions() as s:
        [after] = s.scalars(select(WindowResult.expires_at)).all()
        assert after <= datetime.now(UTC) + timedelta(minutes=10)  # then only for a reload
        s.execute(update(WindowResult).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
        s.commit()
    assert "交付申請を受け付けました" not in c.get(r.headers["location"]).text
    c.post(f"/residents/{rid}/number", data={"purpose": "tax", "csrf": token})  # the next result sweeps
    with office.store.sessions() as s:
        assert s.scalar(select(func.count()).select_from(WindowResult)) == 1
