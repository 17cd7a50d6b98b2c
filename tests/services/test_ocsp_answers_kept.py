"""OCSP answers a worker keeps (R_CERT_8), in its own memory or in Redis: what it keeps is
served without reading the store, a status changed behind its back (a change-log row, as the
trigger on ``certificates`` writes it) is seen at the next request on SQLite (``data_version``,
looked at no more than once a millisecond), on PostgreSQL (``NOTIFY``) and on a database it
cannot watch (looked at every time); a worker too far behind the log drops everything; the
memory has bounds. In Redis a response lives two days, never overwrites a newer one, and the
keys of what changed go, a thousand to a command."""

from __future__ import annotations

import logging
import secrets
import sqlite3
import time
from contextlib import contextmanager
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import event, insert, text

from mynacard.db.models import Municipality
from mynacard.db.staff import RevocationChange
from mynacard.db.store import Store
from mynacard.services.revocation import cache
from tests.services.conftest import at
from tests.storetemplate import migrated_store

T0 = at("2025-06-01T10:00")
FRESH = timedelta(hours=18)
ASKED = T0 + timedelta(hours=1)
TWO_DAYS_MS = 2 * 86400 * 1000
#: Redis database of these tests only (the web tests use 0); the keys are of random serials and
#: removed afterwards, as two mutants' runs may share it at once.


def _req(serial: int) -> bytes:
    return b"request for %d" % serial


def _der(serial: int, version: str = "") -> bytes:
    return b"\x30\x82response of %d%s" % (serial, version.encode())


def _keep(a: cache.Answers, serial: int, der: bytes | None = None, kind: str = "auth") -> None:
    """What the responder does with a current stored response: remember what the request asks
    and keep the response, read when the change log stood where it stands now."""
    a.remember_request(kind, _req(serial), serial)
    a.keep(kind, serial, a.last_change(), T0, T0 + FRESH, der or _der(serial))


def _served(a: cache.Answers, serial: int) -> bytes | None:
    return a.lookup("auth", _req(serial), ASKED)


def _change(store: Store, *serials: int) -> None:
    """Status changes made behind the worker's back, logged as the trigger on ``certificates``
    logs them (on PostgreSQL with its ``NOTIFY``)."""
    with store.engine.begin() as conn:
        conn.execute(insert(RevocationChange), [{"serial": s} for s in serials])
        if store.engine.dialect.name == "postgresql":
            conn.execute(text(f"SELECT pg_notify('{cache.CHANNEL}', '')"))


@contextmanager
def _listening(store: Store, hook):
    event.listen(store.engine, "before_cursor_execute", hook)
    try:
        yield
    finally:
        event.remove(store.engine, "before_cursor_execute", hook)


@contextmanager
def _reads(store: Store):
    """The statements sent to the store meanwhile."""
    sent: list[str] = []
    with _listening(store, lambda conn, cursor, statement, *args: sent.append(statement)):
        yield sent


class _Clock:
    """``time.monotonic`` as the cache module sees it: 10 ms later at each reading unless
    ``step`` says otherwise."""

    def __init__(self) -> None:
        self.now = 1.0
        self.step = 0.01

    def monotonic(self) -> float:
        self.now += self.step
        return self.now


@pytest.fixture
def clock(monkeypatch):
    c = _Clock()
    monkeypatch.setattr(cache, "time", SimpleNamespace(monotonic=c.monotonic, sleep=time.sleep))
    return c


@pytest.fixture
def store(tmp_path, clock):
    s = migrated_store(tmp_path / "ocsp.db")
    yield s
    s.dispose()


# --- in the worker's memory, on SQLite ------------------------------------------------------


def test_a_response_kept_in_memory_is_served_without_reading_the_store_R_CERT_8(store):
    a = cache.Answers(store)
    _keep(a, 11)
    _keep(a, 12, kind="sign")
    with _reads(store) as sent:
        assert _served(a, 11) == _der(11)  # the first look reads the top of the change log, once
        assert a.lookup("sign", _req(12), ASKED) == _der(12)
        for _ in range(3):
            assert _served(a, 11) == _der(11)
    assert len(sent) == 1 and "max(revocation_changes.id)" in sent[0]
    assert _served(a, 13) is None  # never asked: the responder parses and reads it


def test_a_change_made_behind_the_workers_back_is_seen_at_the_next_request_R_CERT_8(store):
    a = cache.Answers(store)  # over an empty change log
    for serial in (21, 22):
        _keep(a, serial)
    assert _served(a, 21) == _der(21)

    _change(store, 21)
    assert _served(a, 21) is None  # read again from the store
    assert _served(a, 22) == _der(22)  # what did not change stays

    _keep(a, 21, _der(21, " revoked"))
    _change(store, 22)
    assert _served(a, 22) is None
    assert _served(a, 21) == _der(21, " revoked")  # its change was handled before: not dropped again
    _change(store, 23)
    assert _served(a, 21) == _der(21, " revoked")


def test_a_write_that_changes_no_status_costs_one_look_at_the_log_R_CERT_8(store):
    a = cache.Answers(store)
    _keep(a, 31)
    assert _served(a, 31) == _der(31)
    with store.engine.begin() as conn:  # the file changes, the change log does not
        conn.execute(insert(Municipality).values(code="172014", name="金沢市", prefecture="石川県"))
    with _reads(store) as sent:
        assert _served(a, 31) == _der(31)
    assert len(sent) == 1


def test_the_file_is_looked_at_no_more_than_once_a_millisecond_R_CERT_8(store, clock):
    a = cache.Answers(store)
    _keep(a, 41)
    clock.step, clock.now = 0.0, 0.001  # 0.001 and 0.002 are one millisecond apart exactly
    with _reads(store) as sent:
        assert _served(a, 41) == _der(41)
    assert len(sent) == 1  # a millisecond after the start: looked
    _change(store, 41)
    clock.now = 0.0015
    with _reads(store) as sent:
        assert _served(a, 41) == _der(41)  # within the millisecond: served without a look
    assert sent == []
    clock.now = 0.002
    assert _served(a, 41) is None  # a millisecond after the last look: the change is seen


def test_a_worker_too_far_behind_the_change_log_drops_its_whole_memory_R_CERT_8(store, monkeypatch):
    monkeypatch.setattr(cache, "KEEP_CHANGES", 3)
    a = cache.Answers(store)
    for serial in (51, 52, 53):
        _keep(a, serial)
    _change(store, 51, 51)  # two rows behind: only what changed goes
    assert _served(a, 51) is None
    assert _served(a, 52) == _der(52)
    _change(store, 54)  # one row behind
    assert _served(a, 52) == _der(52)
    _change(store, 54, 54, 54)  # three rows behind: the log may have been pruned past it
    assert [_served(a, s) for s in (52, 53)] == [None, None]


def test_a_full_memory_lets_its_oldest_tenth_go_R_CERT_8(store, monkeypatch):
    monkeypatch.setattr(cache, "MAX_ENTRIES", 20)
    a = cache.Answers(store)
    for serial in range(1, 21):
        _keep(a, serial)
    assert all(_served(a, s) == _der(s) for s in range(1, 21))  # twenty fit
    _keep(a, 21)
    assert [s for s in range(1, 22) if _served(a, s) is None] == [1, 2]
    _keep(a, 22)  # 19 + 1: room again
    assert [s for s in range(1, 23) if _served(a, s) is None] == [1, 2]


def test_the_requests_remembered_are_forgotten_together_when_they_reach_the_bound_R_CERT_8(store, monkeypatch):
    monkeypatch.setattr(cache, "MAX_REQUESTS", 3)
    a = cache.Answers(store)
    for serial in (61, 62, 63):
        _keep(a, serial)
    assert [_served(a, s) for s in (61, 62, 63)] == [_der(61), _der(62), _der(63)]
    _keep(a, 64)
    assert [_served(a, s) for s in (61, 62, 63, 64)] == [None, None, None, _der(64)]


def test_on_a_database_it_cannot_watch_the_worker_reads_the_log_at_every_request_R_CERT_8():
    store = Store("sqlite://")  # in memory: no file to look at, no NOTIFY
    try:
        RevocationChange.__table__.create(store.engine)
        a = cache.Answers(store)
        _keep(a, 71)
        assert _served(a, 71) == _der(71)
        _change(store, 71)
        assert _served(a, 71) is None
        _keep(a, 71, _der(71, " again"))
        assert _served(a, 71) == _der(71, " again")
        _change(store, 71)
        assert _served(a, 71) is None
    finally:
        store.dispose()


# --- in the worker's memory, on PostgreSQL ---------------------------------------------------


@pytest.fixture(scope="module")
def pg_store(pg_url):
    s = Store(pg_url)
    RevocationChange.__table__.create(s.engine)  # all the memory reads
    yield s
    s.dispose()


def _until(check, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while not check():
        if time.monotonic() > end:
            return False
        time.sleep(0.01)
    return True


@pytest.mark.postgres
def test_on_postgresql_a_notified_change_is_seen_and_nothing_else_reads_the_store_R_CERT_8(pg_store):
    a = cache.Answers(pg_store)
    for serial in (81, 82):
        _keep(a, serial)
    assert _served(a, 81) == _der(81)
    _change(pg_store, 81)
    assert _until(lambda: _served(a, 81) is None, 2)  # the NOTIFY arrives at the commit
    with _reads(pg_store) as sent:
        for _ in range(20):
            assert _served(a, 82) == _der(82)
    assert len(sent) <= 1  # at most the listener's look for anything missed while it connected


# --- in Redis ----------------------------------------------------------------------------------


class _Redis:
    """The tests' Redis database: random serials, and their keys removed afterwards."""

    def __init__(self, client) -> None:
        self.client = client
        self.used: list[int] = []

    def serials(self, n: int) -> list[int]:
        first = secrets.randbits(60) + 1
        self.used += range(first, first + n)
        return list(range(first, first + n))

    def get(self, serial: int) -> bytes | None:
        return self.client.get(cache._KEY.format(serial))

    def fill(self, serials: list[int]) -> None:
        pipe = self.client.pipeline(transaction=False)
        for s in serials:
            pipe.set(cache._KEY.format(s), cache._pack("auth", T0, T0 + FRESH, _der(s)), ex=60)
        pipe.execute()


@pytest.fixture
def redis_db(redis):
    client, used = redis
    r = _Redis(client)
    yield r
    used += r.used  # deleted by the redis fixture


class _Deletes:
    """The Redis client of a worker, noting the keys of each DEL it sends."""

    def __init__(self, client) -> None:
        self.client = client
        self.sent: list[list[str]] = []

    def delete(self, *keys: str) -> int:
        self.sent.append(list(keys))
        return self.client.delete(*keys)

    def __getattr__(self, name: str):
        return getattr(self.client, name)


def test_in_redis_a_response_is_kept_once_for_every_worker_for_two_days_R_CERT_8(redis_db, store):
    (serial,) = redis_db.serials(1)
    a, b = cache.Answers(store), cache.Answers(store)  # two workers
    _keep(a, serial)
    assert redis_db.get(serial) == cache._pack("auth", T0, T0 + FRESH, _der(serial))
    assert TWO_DAYS_MS - 5000 < redis_db.client.pttl(cache._KEY.format(serial)) <= TWO_DAYS_MS
    assert not a.entries  # not in the worker's own memory
    b.remember_request("auth", _req(serial), serial)
    assert _served(b, serial) == _der(serial)


def test_in_redis_an_answer_read_before_a_change_never_overwrites_the_newer_one_R_CERT_8(redis_db, store):
    (serial,) = redis_db.serials(1)
    newer = cache._pack("auth", T0 + timedelta(minutes=5), T0 + FRESH, _der(serial, " revoked"))
    redis_db.client.set(cache._KEY.format(serial), newer, ex=60)  # written after the change's commit
    a = cache.Answers(store)
    _keep(a, serial)  # the worker had read the store just before that commit
    assert redis_db.get(serial) == newer


def test_in_redis_a_change_outside_a_unit_of_work_deletes_its_key_alone_R_CERT_8(redis_db, store):
    x, y, z = redis_db.serials(3)
    redis_db.fill([x, y, z])
    a = cache.Answers(store)
    a.redis = deletes = _Deletes(a.redis)
    for s in (x, y, z):
        a.remember_request("auth", _req(s), s)
    assert _served(a, x) == _der(x)
    _change(store, x)
    assert _served(a, x) is None
    assert [redis_db.get(s) is None for s in (x, y, z)] == [True, False, False]
    _keep(a, x, _der(x, " revoked"))  # read again from the store
    _change(store, y)
    assert _served(a, z) == _der(z)
    assert [redis_db.get(s) is None for s in (x, y, z)] == [False, True, False]
    assert deletes.sent == [[cache._KEY.format(x)], [cache._KEY.format(y)]]


def test_in_redis_many_changes_delete_their_keys_a_thousand_to_a_command_R_CERT_8(redis_db, store):
    serials = redis_db.serials(2501)
    kept = serials.pop()
    redis_db.fill([*serials, kept])
    a = cache.Answers(store)
    a.redis = deletes = _Deletes(a.redis)
    a.remember_request("auth", _req(kept), kept)
    assert _served(a, kept) == _der(kept)
    _change(store, *serials)
    assert _served(a, kept) == _der(kept)
    assert [len(keys) for keys in deletes.sent] == [1000, 1000, 500]
    assert redis_db.client.exists(*[cache._KEY.format(s) for s in serials]) == 0


def test_in_redis_a_change_committed_while_the_log_is_read_is_handled_at_the_next_look_R_CERT_8(redis_db, store):
    w, z = redis_db.serials(2)
    redis_db.fill([w, z])
    a = cache.Answers(store)
    a.redis = deletes = _Deletes(a.redis)
    a.remember_request("auth", _req(w), w)
    assert _served(a, w) == _der(w)
    _change(store, w)

    done: list[int] = []

    def meanwhile(conn, cursor, statement, *args) -> None:
        if "SELECT revocation_changes.serial" in statement and not done:
            done.append(z)
            other = sqlite3.connect(store.engine.url.database)
            with other:
                other.execute("INSERT INTO revocation_changes (serial) VALUES (?)", (str(z),))
            other.close()

    with _listening(store, meanwhile):
        assert _served(a, w) is None
    assert done and _served(a, w) is None  # the next look reads the rest of the log
    assert deletes.sent == [[cache._KEY.format(w)], [cache._KEY.format(z)]]  # each change once


def test_an_unreachable_redis_is_logged_and_nothing_is_kept_R_CERT_8(store, monkeypatch, caplog):
    url = "redis://127.0.0.1:1/0"  # nothing listens there
    monkeypatch.setenv(cache.REDIS_ENV, url)
    try:
        a = cache.Answers(store)
        with caplog.at_level(logging.WARNING, logger=cache.log.name):
            _keep(a, 91)
        assert caplog.messages == ["could not write an OCSP response to Redis: ConnectionError"]
        assert not a.entries
    finally:
        cache._redis_clients.pop(url, None)
