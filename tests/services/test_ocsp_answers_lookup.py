"""OCSP answers a worker looks up (R_CERT_8): a response kept in memory is served only while it
is current, one memory per store; on PostgreSQL the worker listens for ``NOTIFY`` in a daemon
thread of its own, with the store's credentials, and the first request after it starts reads the
change log even before that thread listens."""

from __future__ import annotations

import threading
from datetime import timedelta

import psycopg
import pytest
from sqlalchemy.engine import make_url

from mynacard.db.staff import RevocationChange
from mynacard.db.store import Store
from mynacard.services.revocation import cache
from tests.services.test_ocsp_answers_kept import (  # noqa: F401 (fixtures)
    FRESH,
    T0,
    _change,
    _der,
    _keep,
    _req,
    _served,
    _until,
    clock,
    pg_store,
    store,
)

PASSWORD = "s3cret-of-the-listener"


def test_a_response_in_memory_is_served_from_its_production_until_it_is_no_longer_fresh_R_CERT_8(store):  # noqa: F811
    a = cache.Answers(store)
    _keep(a, 11)  # produced at T0, fresh until T0 + FRESH
    micro = timedelta(microseconds=1)
    asked = [T0 - micro, T0, T0 + FRESH - micro, T0 + FRESH, T0 + FRESH + timedelta(hours=1)]
    assert [a.lookup("auth", _req(11), t) for t in asked] == [None, _der(11), _der(11), None, None]


def test_a_worker_keeps_one_memory_for_each_store_R_CERT_8(store):  # noqa: F811
    a = cache.answers(store)
    assert cache.answers(store) is a
    _keep(a, 21)
    assert _served(cache.answers(store), 21) == _der(21)  # the next request finds it

    other = Store("sqlite://")
    try:
        RevocationChange.__table__.create(other.engine)
        b = cache.answers(other)
        assert b is not a and cache.answers(other) is b
        b.remember_request("auth", _req(21), 21)
        assert _served(b, 21) is None  # what the other store's memory keeps is its own
    finally:
        other.dispose()


# --- the listener on PostgreSQL -----------------------------------------------------------------


@pytest.fixture
def pw_store(pg_store):  # noqa: F811
    """The same database, reached with a password (the test server trusts it; a real one checks it)."""
    s = Store(make_url(pg_store.url).set(password=PASSWORD).render_as_string(hide_password=False))
    yield s
    s.dispose()


@pytest.fixture
def listener_connects(monkeypatch):
    """The listener's connections to the store of ``pw_store``: for each, its URL, its thread's
    name and whether that thread is a daemon; each waits for ``gate`` (open unless a test closes it)."""
    real = psycopg.connect
    calls: list[tuple[str, str, bool]] = []
    gate = threading.Event()
    gate.set()

    def connect(*args, **kwargs):
        if args and PASSWORD in str(args[0]):  # the listener's (the engine's pool passes keywords)
            t = threading.current_thread()
            calls.append((str(args[0]), t.name, t.daemon))
            gate.wait(5)
        return real(*args, **kwargs)

    monkeypatch.setattr(psycopg, "connect", connect)
    yield calls, gate
    gate.set()


@pytest.mark.postgres
def test_on_postgresql_the_worker_listens_in_a_daemon_thread_with_the_stores_credentials_R_CERT_8(
        pw_store, listener_connects):
    calls, _ = listener_connects
    a = cache.Answers(pw_store)
    _keep(a, 31)
    assert _served(a, 31) == _der(31)
    assert _until(lambda: calls, 2)
    [(url, name, daemon)] = calls
    assert url.startswith("postgresql://") and f":{PASSWORD}@" in url  # not the masked '***'
    assert (name, daemon) == ("ocsp-listen", True)  # named for operators; never holds up an exit
    _change(pw_store, 31)
    assert _until(lambda: _served(a, 31) is None, 2)  # the NOTIFY reached the worker


@pytest.mark.postgres
def test_on_postgresql_a_change_before_the_listener_listens_is_seen_at_the_first_request_R_CERT_8(
        pw_store, listener_connects):
    _, gate = listener_connects
    gate.clear()  # the listener has not connected yet
    try:
        a = cache.Answers(pw_store)
        _keep(a, 41)
        _change(pw_store, 41)  # its NOTIFY goes to no one
        assert _served(a, 41) is None  # the first request reads the log
    finally:
        gate.set()
    _keep(a, 41, _der(41, " revoked"))
    assert _served(a, 41) == _der(41, " revoked")
