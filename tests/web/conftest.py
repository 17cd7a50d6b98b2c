"""Fixtures of the office service tests: an office on SQLite, the app with a frozen simulated
clock, staff accounts, and bearer-token clients per role."""

from __future__ import annotations

import base64
import os
import shutil
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from mynacard.db.store import Store
from mynacard.services import residents
from mynacard.services.context import Office
from mynacard.timeutil import JST
from mynacard.web.app import create_app
from mynacard.web.clock import Clock
from mynacard.web.deps import auth
from tests.keypool import pooled_key

MASTER_KEY = base64.b64decode(base64.b64encode(os.urandom(32)))
NAKANOTO = "174076"
KANAZAWA = "172014"
PASSWORD = "correct horse battery"
PINS = {"sign": "ABC123", "auth": "1234", "resident": "2345", "card_info": "3456"}
ACCOUNTS = {
    "clerk": ("clerk", NAKANOTO),
    "kanazawa": ("clerk", KANAZAWA),
    "super": ("supervisor", NAKANOTO),
    "hotline": ("hotline", None),
    "auditor": ("auditor", None),
    "root": ("admin", None),
}


def at(text: str) -> datetime:
    if len(text) == 10:
        text += "T10:00"
    return datetime.fromisoformat(text).replace(tzinfo=JST)


def make_office(db: str, base_url: str = "http://127.0.0.1:8000") -> Office:
    store = Store(db)
    store.migrate()
    off = Office(store=store, master_key=MASTER_KEY, keygen=pooled_key, base_url=base_url)
    with off.work(at=at("2020-01-01"), actor="setup") as w:
        residents.add_municipality(w, NAKANOTO, "中能登町", "石川県")
        residents.add_municipality(w, KANAZAWA, "金沢市", "石川県")
    for name, (role, code) in ACCOUNTS.items():
        auth.create_account(store, username=name, password=PASSWORD, role=role, municipality_code=code)
    return off


@pytest.fixture(scope="session")
def template_db(tmp_path_factory):
    """Migrated, with municipalities and accounts (argon2 is slow on purpose: hash once)."""
    path = tmp_path_factory.mktemp("template") / "web.db"
    make_office(str(path)).store.dispose()
    return path


@pytest.fixture
def office(tmp_path, template_db):
    db = tmp_path / "web.db"
    shutil.copy(template_db, db)
    store = Store(str(db))
    off = Office(store=store, master_key=MASTER_KEY, keygen=pooled_key)
    yield off
    store.dispose()


@pytest.fixture
def clock():
    return Clock(at("2025-04-01T10:00"), advance=False)


@pytest.fixture
def app(office, clock):
    return create_app(office, clock=clock)


class Staff:
    """Bearer-token API clients, one per account, made on first use."""

    def __init__(self, app) -> None:
        self.app = app
        self._clients: dict[str, TestClient] = {}

    def __getitem__(self, name: str) -> TestClient:
        if name not in self._clients:
            c = TestClient(self.app, raise_server_exceptions=False)
            r = c.post("/api/login", json={"username": name, "password": PASSWORD})
            assert r.status_code == 200, r.text
            c.headers["Authorization"] = f"Bearer {r.json()['token']}"
            self._clients[name] = c
        return self._clients[name]


@pytest.fixture
def staff(app):
    return Staff(app)


def register(client: TestClient, *, name: str = "能登 太郎", birth: str = "1990-06-15",
             code: str = NAKANOTO) -> int:
    from mynacard.ids import IndividualNumber

    r = client.post("/api/residents", json={
        "individual_number": str(IndividualNumber.generate()), "name": name,
        "address": "石川県鹿島郡中能登町能登部下91部23番地", "birth_date": birth, "sex": "1",
        "municipality_code": code})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def issue_card(client: TestClient, rid: int) -> str:
    r = client.post(f"/api/residents/{rid}/applications", json={"kind": "new", "channel": "window"})
    assert r.status_code == 201, r.text
    card_id = r.json()["card_id"]
    assert client.post(f"/api/cards/{card_id}/make").status_code == 200
    r = client.post(f"/api/cards/{card_id}/issue", json={"identity_documents": ["drivers_license"], "pins": PINS})
    assert r.status_code == 200, r.text
    return card_id
