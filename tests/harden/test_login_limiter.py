"""The login limiter: atomic (concurrent tries cannot all pass the check), kept in the store
(a restart clears nothing), per account (one account's failures lock no other account at the
same address) and per address for names that are no account."""

from __future__ import annotations

import threading

from fastapi.testclient import TestClient
from sqlalchemy import delete

from mynacard.db.staff import LoginThrottle
from mynacard.web.app import create_app
from mynacard.web.clock import Clock
from tests.web.conftest import PASSWORD, at

TRIES = 40


def _reset(office) -> None:
    with office.store.sessions() as s:
        s.execute(delete(LoginThrottle))
        s.commit()


def _login(client: TestClient, user: str, password: str) -> int:
    return client.post("/api/login", json={"username": user, "password": password}).status_code


def test_concurrent_wrong_passwords_are_all_counted(web_app, web_office):
    _reset(web_office)
    client = TestClient(web_app, raise_server_exceptions=False)
    barrier = threading.Barrier(TRIES)
    codes: list[int] = []

    def go() -> None:
        barrier.wait()
        codes.append(_login(client, "clerk", "wrong password"))

    threads = [threading.Thread(target=go) for _ in range(TRIES)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [401] * 5 + [429] * (TRIES - 5), sorted(codes)
    # the right password is refused too while the account is locked: guessing cannot go on
    assert _login(client, "clerk", PASSWORD) == 429


def test_a_restart_keeps_the_count(web_app, web_office):
    _reset(web_office)
    client = TestClient(web_app, raise_server_exceptions=False)
    assert [_login(client, "super", "wrong password") for _ in range(5)] == [401] * 5
    restarted = TestClient(create_app(web_office, clock=Clock(at("2025-04-01T10:00"), advance=False)),
                           raise_server_exceptions=False)
    r = restarted.post("/api/login", json={"username": "super", "password": PASSWORD})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0


def test_one_accounts_failures_do_not_lock_another_at_the_same_address(web_app, web_office):
    _reset(web_office)
    client = TestClient(web_app, raise_server_exceptions=False)
    assert [_login(client, "clerk", "wrong password") for _ in range(6)][-1] == 429
    assert _login(client, "kanazawa", PASSWORD) == 200


def test_a_right_password_clears_the_count(web_app, web_office):
    _reset(web_office)
    client = TestClient(web_app, raise_server_exceptions=False)
    assert [_login(client, "auditor", "wrong password") for _ in range(4)] == [401] * 4
    assert _login(client, "auditor", PASSWORD) == 200
    assert [_login(client, "auditor", "wrong password") for _ in range(5)] == [401] * 5


def test_unknown_names_are_limited_per_address(web_app, web_office):
    _reset(web_office)
    client = TestClient(web_app, raise_server_exceptions=False)
    codes = [_login(client, f"nobody{i}", "wrong password") for i in range(21)]
    assert codes == [401] * 20 + [429]
    assert _login(client, "hotline", PASSWORD) == 200  # a real account is not locked by them


def test_throttled_logins_are_audited(web_app, web_office, web_staff):
    _reset(web_office)
    client = TestClient(web_app, raise_server_exceptions=False)
    for _ in range(6):
        _login(client, "root", "wrong password")
    _reset(web_office)
    log = web_staff["auditor"].get("/api/audit", params={"actor": "root", "action": "login"}).json()
    assert [e["outcome"] for e in log[:2]] == ["throttled", "denied"]
