"""Abuse: CSRF on UI forms, login rate limit, body size limit, the audit chain (R_NUM_3)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import delete, update

from mynacard import audit
from mynacard.db.staff import AuditEntry
from tests.web.conftest import PASSWORD, register


def ui_login(app, user: str = "clerk") -> TestClient:
    c = TestClient(app, raise_server_exceptions=False)
    page = c.get("/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    r = c.post("/login", data={"username": user, "password": PASSWORD, "csrf": token}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return c


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def test_ui_forms_refuse_a_missing_or_foreign_csrf_token(app, staff):
    rid = register(staff["clerk"])
    c = ui_login(app)
    page = c.get(f"/residents/{rid}")
    assert page.status_code == 200 and "現在のカード" in page.text
    r = c.post(f"/residents/{rid}/apply", data={"kind": "new", "channel": "window"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith(f"/residents/{rid}/do/apply?f=")
    assert "画面の有効期限が切れました" in c.get(r.headers["location"]).text
    r = c.post(f"/residents/{rid}/apply", data={"kind": "new", "channel": "window", "csrf": "forged"})
    assert "画面の有効期限が切れました" in r.text and "交付申請を受け付けました" not in r.text
    assert staff["clerk"].get(f"/api/residents/{rid}").json()["cards"] == []
    r = c.post(f"/residents/{rid}/apply", data={"kind": "new", "channel": "window", "csrf": csrf_of(page.text)})
    assert r.history[0].status_code == 303  # post/redirect/get
    assert r.status_code == 200 and "交付申請を受け付けました" in r.text
    # The login form has its own double-submit token.
    fresh = TestClient(app)
    r = fresh.post("/login", data={"username": "clerk", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?expired=1" and "myna_session" not in fresh.cookies


def test_ui_errors_are_in_japanese_next_to_the_field(app, staff):
    rid = register(staff["clerk"])
    c = ui_login(app)
    token = csrf_of(c.get(f"/residents/{rid}").text)
    r = c.post(f"/residents/{rid}/number", data={"purpose": "", "csrf": token})
    assert r.history[0].status_code == 303 and r.url.path == f"/residents/{rid}/do/number"
    assert r.status_code == 422  # the redirected form still says it holds an error
    assert re.search(r'class="error" id="e-purpose" data-field="purpose">個人番号の利用目的', r.text)
    assert r.text.count("個人番号の利用目的") == 1  # next to its field, once; the summary links to it


def test_ui_of_another_municipality_is_404_like_unknown(app, staff):
    rid = register(staff["clerk"])
    c = ui_login(app, "kanazawa")
    assert c.get(f"/residents/{rid}").status_code == 404
    assert c.get("/residents/999999").status_code == 404


def test_login_attempts_are_rate_limited(app):
    c = TestClient(app, raise_server_exceptions=False)
    codes = [c.post("/api/login", json={"username": "clerk", "password": "wrong password"}).status_code
             for _ in range(6)]
    assert codes[:5] == [401] * 5 and codes[5] == 429
    r = c.post("/api/login", json={"username": "clerk", "password": PASSWORD})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0


def test_request_bodies_are_limited(staff):
    r = staff["clerk"].post("/api/residents", content=b"{" + b" " * 100_000 + b"}",
                            headers={"Content-Type": "application/json"})
    assert r.status_code == 413


def test_audit_chain_detects_edits_and_deletions_R_NUM_3(office, staff):
    rid = register(staff["clerk"])
    staff["clerk"].post(f"/api/residents/{rid}/number", json={"purpose": "tax"})
    staff["clerk"].get(f"/api/residents/{rid}")
    n, problems = audit.verify(office.store)
    assert n >= 4 and problems == []
    with office.store.sessions() as s:
        s.execute(update(AuditEntry).where(AuditEntry.action == "resident.number_read")
                  .values(details={"purpose": "social_security"}))
        s.commit()
    _, problems = audit.verify(office.store)
    assert [p.problem for p in problems] == ["the entry was edited (hash mismatch)"]
    with office.store.sessions() as s:
        s.execute(delete(AuditEntry).where(AuditEntry.action == "resident.number_read"))
        s.commit()
    _, problems = audit.verify(office.store)
    assert any("missing" in p.problem for p in problems)


def test_cutting_off_the_newest_entries_is_caught_by_a_recorded_head_R_NUM_3(office, staff):
    rid = register(staff["clerk"])
    recorded = audit.head(office.store)
    assert audit.verify(office.store, expect_head=recorded)[1] == []
    staff["clerk"].post(f"/api/residents/{rid}/number", json={"purpose": "tax"})
    assert audit.verify(office.store, expect_head=recorded)[1] == []  # growth is fine
    with office.store.sessions() as s:
        s.execute(delete(AuditEntry).where(AuditEntry.id >= recorded[0]))
        s.commit()
    _, problems = audit.verify(office.store)
    assert problems == []  # the chain alone cannot see a cut-off tail ...
    _, problems = audit.verify(office.store, expect_head=recorded)
    assert any("deleted" in p.problem for p in problems)  # ... the recorded head can


def test_audit_verify_command_exit_code(tmp_path, office, staff, monkeypatch):
    from typer.testing import CliRunner

    from mynacard.cli.main import app as cli

    register(staff["clerk"])
    db = office.store.url.removeprefix("sqlite:///")
    monkeypatch.setenv("MYNACARD_MASTER_KEY", __import__("base64").b64encode(office.master_key).decode())
    runner = CliRunner()
    ok = runner.invoke(cli, ["--db", db, "audit", "verify"])
    assert ok.exit_code == 0, ok.output
    head = runner.invoke(cli, ["--db", db, "--json", "audit", "head"])
    recorded = __import__("json").loads(head.stdout)["head"]
    ok = runner.invoke(cli, ["--db", db, "audit", "verify", "--expect-head", recorded])
    assert ok.exit_code == 0, ok.output
    assert runner.invoke(cli, ["--db", db, "audit", "verify", "--expect-head", "x"]).exit_code == 2
    with office.store.sessions() as s:
        s.execute(update(AuditEntry).where(AuditEntry.id == 1).values(actor="mallory"))
        s.commit()
    bad = runner.invoke(cli, ["--db", db, "audit", "verify"])
    assert bad.exit_code == 1


def test_hotline_page_gives_a_reference(app, staff):
    from tests.web.conftest import issue_card

    issue_card(staff["clerk"], register(staff["clerk"]))
    c = ui_login(app, "hotline")
    page = c.get("/hotline")
    assert page.status_code == 200
    r = c.post("/hotline", data={"name": "能登 太郎", "birth_date": "1990-06-16", "csrf": csrf_of(page.text)})
    assert r.status_code == 404 and "本人確認ができませんでした" in r.text
    r = c.post("/hotline", data={"name": "能登 太郎", "birth_date": "1990-06-15", "csrf": csrf_of(page.text)})
    assert r.status_code == 200 and re.search(r'id="reference">H\d{8}-', r.text)
    assert c.get("/").status_code == 200  # redirected to the hotline page
    assert ui_login(app, "auditor").get("/audit").status_code == 200
