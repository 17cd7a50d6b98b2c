"""OCSP answers served from memory, kept true across processes (R_CERT_8).

Every worker process of ``serve`` keeps what it needs to answer without the database:

* the request bytes it has seen mapped to the certificate they ask about (a pure function of
  the bytes and the CA, so it never goes stale), and
* either the current pre-signed response of each certificate in its own memory (the default),
  or, when ``MYNACARD_REDIS`` names a Redis server (``redis://127.0.0.1:6379/0``), nothing more:
  the responses are then kept once, in Redis, for all workers and hosts.

In memory, a response stays true because every statement that changes a status also writes
the serial to ``revocation_changes`` (a trigger on ``certificates``: whoever runs the statement,
a unit of work, the batch, an administrator's SQL). A worker looks for new rows when the store
says it changed: SQLite's ``PRAGMA data_version`` (read at most once a millisecond),
PostgreSQL's ``NOTIFY`` sent by the trigger, delivered at the commit. The rows it finds drop
those serials from its memory, so the next request reads (or signs) the new response.

In Redis, the unit of work that changes a status deletes the serials' keys before its commit and
writes the new responses after it; a worker that missed fills a key only if it is absent
(``SET NX``), so an answer it read before the commit can never overwrite the new one. The
workers also follow the change log and delete the keys of what changed outside a unit of work
(the key then fills again from the store), so a process that died between its commit and its
write to Redis leaves nothing stale either. Known limit: a worker that read the store just
before such an outside change and fills its key just after the deletion serves the old answer
until the certificate changes again or the answer is no longer fresh.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import struct
import threading
import time
import weakref
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from mynacard.db.staff import RevocationChange
from mynacard.db.store import Store, sqlite_path
from mynacard.errors import ConfigError

log = logging.getLogger(__name__)

CHANNEL = "mynacard_revocation"
REDIS_ENV = "MYNACARD_REDIS"
#: How many responses one process keeps in its memory (about 2 KiB each); beyond, the oldest go.
MAX_ENTRIES = 50_000  # about 100 MiB; a national CA keeps its answers in Redis instead
MAX_REQUESTS = 200_000
#: The change log keeps this many rows; a worker further behind drops its whole memory.
KEEP_CHANGES = 1_000_000
_PENDING = "mynacard.redis_pending"
_KEY = "mynacard:ocsp:{}"


# --- Redis --------------------------------------------------------------------------------------

_redis_clients: dict[str, Any] = {}


def redis_client() -> Any | None:
    """The Redis client of ``MYNACARD_REDIS`` (one per process), or None when it is not set."""
    url = os.environ.get(REDIS_ENV, "").strip()
    if not url:
        return None
    client = _redis_clients.get(url)
    if client is None:
        try:
            import redis
        except ImportError:
            raise ConfigError(
                f"{REDIS_ENV} is set but the redis client is not installed: pip install 'mynacard[redis]', "
                f"or unset {REDIS_ENV}.",
                f"{REDIS_ENV} が設定されていますが redis クライアントがありません。"
                "pip install 'mynacard[redis]' を実行するか、設定を外してください。",
            ) from None
        client = _redis_clients[url] = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    return client


def _pack(kind: str, produced_at: datetime, fresh_until: datetime, der: bytes) -> bytes:
    return struct.pack(">dd", produced_at.timestamp(), fresh_until.timestamp()) + kind.encode() + der


def _unpack(value: bytes, at: datetime) -> tuple[str, bytes] | None:
    produced, fresh = struct.unpack_from(">dd", value)
    if not produced <= at.timestamp() < fresh:
        return None
    return value[16:20].decode(), value[20:]


def note_signed(session: Session, kind: str, serial: int, produced_at: datetime, fresh_until: datetime,
                der: bytes) -> None:
    """A response signed in this unit of work: written to Redis after the commit."""
    if os.environ.get(REDIS_ENV):
        session.info.setdefault(_PENDING, {})[serial] = _pack(kind, produced_at, fresh_until, der)


def _delete(client: Any, serials: list[int]) -> None:
    """Delete the Redis keys of ``serials``, a thousand per command."""
    keys = [_KEY.format(s) for s in serials]
    for i in range(0, len(keys), 1000):
        client.delete(*keys[i : i + 1000])


def record_changes(serials: list[int]) -> None:
    """Before the commit of a unit of work that changed these statuses: their Redis keys go now,
    the new responses are written after the commit. (The change log needs nothing: a trigger on
    ``certificates`` writes it, see migration 0016.)"""
    client = redis_client()
    if serials and client is not None:
        try:
            _delete(client, serials)
        except Exception as e:  # the commit goes on: the keys are written again after it
            log.warning("could not delete OCSP responses from Redis: %s", type(e).__name__)


def push_after_commit(session: Session) -> None:
    """Write the responses a committed unit of work signed."""
    pending: dict[int, bytes] = session.info.pop(_PENDING, {})
    if not pending:
        return
    client = redis_client()
    if client is None:
        return
    try:
        pipe = client.pipeline(transaction=False)
        for serial, value in pending.items():
            pipe.set(_KEY.format(serial), value, ex=2 * 86400)
        pipe.execute()
    except Exception as e:
        log.warning("could not write OCSP responses to Redis: %s", type(e).__name__)


def drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


def prune_changes(session: Session) -> int:
    """Keep the last ``KEEP_CHANGES`` rows of the change log; returns how many went."""
    top = session.execute(select(func.max(RevocationChange.id))).scalar() or 0
    if top <= KEEP_CHANGES:
        return 0
    result: Any = session.execute(delete(RevocationChange).where(RevocationChange.id <= top - KEEP_CHANGES))
    return int(result.rowcount)


# --- the change signal ------------------------------------------------------------------------


class _Signal:
    """Tells cheaply whether the store may have a new change-log row since the last look."""

    def __init__(self, store: Store) -> None:
        self._path = sqlite_path(store.url)
        self._sqlite: sqlite3.Connection | None = None
        self._version: int | None = None
        self._checked = 0.0
        self._dirty = True
        self._pg_url: str | None = None
        if store.engine.dialect.name == "postgresql":
            self._pg_url = store.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
            threading.Thread(target=self._listen, args=(weakref.ref(self), self._pg_url), name="ocsp-listen",
                             daemon=True).start()

    @staticmethod
    def _listen(ref: weakref.ref[_Signal], url: str) -> None:
        """Mark the signal on every NOTIFY; ends when the signal is gone or its database is."""
        import psycopg

        while True:
            try:
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    while (signal := ref()) is not None:
                        signal._dirty = True  # (again) anything missed while not listening
                        del signal
                        for _ in conn.notifies(timeout=5, stop_after=1):
                            pass
            except Exception as e:
                if ref() is None or "does not exist" in str(e):
                    return
                log.warning("OCSP change listener: %s; listening again in 1 s", type(e).__name__)
                time.sleep(1)
            if ref() is None:
                return

    def changed(self) -> bool:
        """True when the change log should be read (called for every request; cheap)."""
        if self._path is not None:
            now = time.monotonic()
            if now - self._checked < 0.001:
                return False
            self._checked = now
            if self._sqlite is None:
                self._sqlite = sqlite3.connect(str(self._path), isolation_level=None, check_same_thread=False)
            version = self._sqlite.execute("PRAGMA data_version").fetchone()[0]
            if version == self._version:
                return False
            self._version = version
            return True
        if self._pg_url is not None:
            dirty, self._dirty = self._dirty, False
            return dirty
        return True  # another database: look every time


# --- the per-process memory -----------------------------------------------------------------


class Answers:
    """What one process keeps to answer OCSP requests without the database."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.redis = redis_client()
        self._lock = threading.Lock()
        self.requests: dict[tuple[str, bytes], int] = {}
        self.entries: dict[int, tuple[str, float, float, bytes]] = {}
        self._signal = _Signal(store)
        self._seen = self.last_change()

    def last_change(self) -> int:
        with self.store.engine.connect() as conn:
            return int(conn.execute(select(func.max(RevocationChange.id))).scalar() or 0)

    def _sync(self) -> None:
        if not self._signal.changed():
            return
        with self.store.engine.connect() as conn:
            top = int(conn.execute(select(func.max(RevocationChange.id))).scalar() or 0)
            if top <= self._seen:
                return
            with self._lock:
                q = select(RevocationChange.serial).where(RevocationChange.id > self._seen, RevocationChange.id <= top)
                if self.redis is not None:  # a change made outside a unit of work: its key goes too
                    _delete(self.redis, [int(s) for s in conn.execute(q).scalars()])
                elif top - self._seen >= KEEP_CHANGES:
                    self.entries.clear()
                else:
                    for serial in conn.execute(q).scalars():
                        self.entries.pop(int(serial), None)
                self._seen = top

    def lookup(self, kind: str, body: bytes, at: datetime) -> bytes | None:
        """The response to a request seen before, if this process (or Redis) has it current."""
        serial = self.requests.get((kind, body))
        if serial is None:
            return None
        if self.redis is not None:
            try:
                self._sync()
                value = self.redis.get(_KEY.format(serial))
            except Exception:
                return None
            got = _unpack(value, at) if value else None
            return got[1] if got is not None and got[0] == kind else None
        self._sync()
        e = self.entries.get(serial)
        if e is None or e[0] != kind or not e[1] <= at.timestamp() < e[2]:
            return None
        return e[3]

    def remember_request(self, kind: str, body: bytes, serial: int) -> None:
        if len(self.requests) >= MAX_REQUESTS:
            self.requests.clear()
        self.requests[(kind, body)] = serial

    def keep(self, kind: str, serial: int, seen: int, produced_at: datetime, fresh_until: datetime,
             der: bytes) -> None:
        """Keep a response read from the store when the change log stood at ``seen``."""
        if self.redis is not None:
            try:
                self.redis.set(_KEY.format(serial), _pack(kind, produced_at, fresh_until, der),
                               nx=True, ex=2 * 86400)
            except Exception as e:
                log.warning("could not write an OCSP response to Redis: %s", type(e).__name__)
            return
        with self._lock:
            if seen < self._seen:
                return  # a change may have come since it was read: the next request reads again
            if len(self.entries) >= MAX_ENTRIES:
                for old in list(self.entries)[: MAX_ENTRIES // 10]:
                    del self.entries[old]
            self.entries[serial] = (kind, produced_at.timestamp(), fresh_until.timestamp(), der)


_answers: weakref.WeakKeyDictionary[Store, Answers] = weakref.WeakKeyDictionary()
_answers_lock = threading.Lock()


def answers(store: Store) -> Answers:
    """The memory of this process for ``store``."""
    with _answers_lock:
        a = _answers.get(store)
        if a is None:
            a = _answers[store] = Answers(store)
        return a
