"""Fixtures of the hardening tests: the office service on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from mynacard.web.app import create_app
from mynacard.web.clock import Clock
from tests.services.conftest import office  # noqa: F401  (the services' office, on SQLite)
from tests.web.conftest import PASSWORD, Staff, at, make_office


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path_factory):
    """A store on each backend (the PostgreSQL one is a throwaway database of this module)."""
    if request.param == "sqlite":
        return str(tmp_path_factory.mktemp("harden") / "office.db")
    return request.getfixturevalue("pg_url")


@pytest.fixture(scope="module")
def web_office(db_url):
    off = make_office(db_url)
    yield off
    off.store.dispose()


@pytest.fixture(scope="module")
def web_app(web_office):
    return create_app(web_office, clock=Clock(at("2025-04-01T10:00"), advance=False))


@pytest.fixture(scope="module")
def web_staff(web_app):
    return Staff(web_app)


def login_ui(app, user: str) -> TestClient:
    """A browser session of ``user`` on the window UI."""
    import re

    c = TestClient(app, raise_server_exceptions=False)
    page = c.get("/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    r = c.post("/login", data={"username": user, "password": PASSWORD, "csrf": token}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return c
