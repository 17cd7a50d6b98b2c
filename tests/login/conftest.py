"""A store with a demo card, the provider's app at a frozen time, and a registered site."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi.testclient import TestClient

from mynacard.client import JpkiCard
from mynacard.client import approve as ap
from mynacard.db.store import Store
from mynacard.services import login
from mynacard.services.context import Office
from mynacard.services.vcard import DEMO_PINS, open_card
from mynacard.web.app import create_app
from mynacard.web.clock import Clock
from tests.client.conftest import AT, MASTER_KEY, card_id, office
from tests.keypool import pooled_key

BASE = "http://127.0.0.1:8000"
REDIRECT = "https://rp.example/callback"
OIDC = "/api/realms/main/protocol/openid-connect"


@pytest.fixture
def clock():
    return Clock(AT, advance=False)


@pytest.fixture
def site(office):
    office.base_url = BASE
    with office.work(at=AT - timedelta(days=1), actor="test") as w:
        reg = login.register_client(w, "RP00000001", "サンプル電子申請", [REDIRECT], with_secret=True)
    return reg.secret


@pytest.fixture
def web(office, clock, site):
    return TestClient(create_app(office, clock=clock), raise_server_exceptions=True, follow_redirects=False)


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass
class Started:
    link: str
    verifier: str
    state: str
    nonce: str

    @property
    def path(self) -> str:
        return urlparse(self.link).path

    @property
    def request_id(self) -> str:
        return self.path.rsplit("/", 1)[1]


def auth_params(
    challenge: str, scope: str = "openid", *, state: str = "state-1", nonce: str = "nonce-1", **extra: str
) -> dict[str, str]:
    """The parameters of an authorization request of the registered test client, with PKCE (S256)."""
    return {
        "response_type": "code",
        "client_id": "RP00000001",
        "redirect_uri": REDIRECT,
        "scope": scope,
        "state": state,
        "nonce": nonce,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }


def started_request(office, scope: str = "openid", at: datetime = AT, **extra: str) -> tuple[str, str, dict[str, str]]:
    """A login request started by the service itself (no browser): its ID, the browser's binding
    and the parameters it was started with."""
    _, challenge = pkce()
    params = auth_params(challenge, scope, **extra)
    with office.work(at=at, actor="login") as w:
        row, browser = login.start(w, params)
        return row.id, browser, params


def start(web: TestClient, scope: str = "openid", **extra: str) -> Started:
    verifier, challenge = pkce()
    state, nonce = secrets.token_hex(8), secrets.token_hex(8)
    params = auth_params(challenge, scope, state=state, nonce=nonce, **extra)
    r = web.get(f"{OIDC}/auth", params=params)
    assert r.status_code == 200, r.text
    link = re.search(r"mynacard client approve (\S+?)<", r.text)
    assert link, r.text
    return Started(link.group(1), verifier, state, nonce)


def card_answer(
    office, card_id, web: TestClient, started: Started, *, pin=DEMO_PINS["auth"], sign=DEMO_PINS["sign"], at=AT
):
    request = web.get(started.path).json()
    card = JpkiCard(open_card(office, card_id, lambda: at))
    return request, ap.answer(card, request, pin, sign if request["needs_signing_certificate"] else None)


def approve(office, card_id, web, started, **kw):
    _, answer = card_answer(office, card_id, web, started, **kw)
    return web.post(started.path, json=answer)


def back(web: TestClient, started: Started) -> dict[str, str]:
    """The browser's next stop: the query of the redirect to the site."""
    r = web.get(f"{OIDC}/auth/wait/{started.request_id}")
    assert r.status_code == 302, r.text
    url = urlparse(r.headers["location"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == REDIRECT
    return {k: v[0] for k, v in parse_qs(url.query).items()}


def exchange(web: TestClient, code: str, verifier: str, secret: str, **override: str):
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier}
    form.update(override)
    return web.post(f"{OIDC}/token", data=form, auth=("RP00000001", secret))


__all__ = ["AT", "MASTER_KEY", "card_id", "office", "os"]


@pytest.fixture(scope="module")
def pg_office(pg_url):
    """An office on the PostgreSQL store with the sample site registered (one per test module)."""
    store = Store(pg_url)
    store.migrate()
    office = Office(store=store, master_key=MASTER_KEY, keygen=pooled_key)
    with office.work(at=AT - timedelta(days=1), actor="test") as w:
        login.register_client(w, "RP00000001", "サンプル電子申請", [REDIRECT], with_secret=True)
    yield office
    store.dispose()
