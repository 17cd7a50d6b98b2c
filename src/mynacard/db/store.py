"""Opening the database and running its migrations."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"


def database_url(db: str) -> str:
    """``db`` as an SQLAlchemy URL: a URL is kept, anything else is a SQLite file path."""
    if "://" in db:
        return db
    return f"sqlite:///{Path(db).expanduser().resolve()}"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


class _FileWriteLock:
    """The SQLite store's write lock: re-entrant in a thread, shared by the threads of a process
    (an ``RLock``) and by the processes on one file (``flock`` on ``<db>.lock``). pysqlite only
    opens a transaction at the first write, so without it two processes would both read a card,
    both pass a state check and both write: units of work take turns instead."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._rlock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None

    def __enter__(self) -> _FileWriteLock:
        self._rlock.acquire()
        if self._depth == 0:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
                fcntl.flock(fd, fcntl.LOCK_EX)
            except BaseException:
                self._rlock.release()
                raise
            self._fd = fd
        self._depth += 1
        return self

    def __exit__(self, *exc: object) -> None:
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
        self._rlock.release()


class Store:
    """One database: an engine, a session factory and the schema's migrations."""

    def __init__(self, db: str) -> None:
        self.url = database_url(db)
        # Never put a statement's parameters (individual numbers, names) into an error message
        # or a log line: a failed INSERT of a resident would otherwise print the number.
        kwargs: dict[str, Any] = {"hide_parameters": True}
        if self.url.startswith("postgresql"):
            kwargs["pool_pre_ping"] = True
        self.engine: Engine = create_engine(self.url, **kwargs)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time: units of work take turns, in this process and across
        # processes on the same file (re-entrant, so a nested transaction in the same thread does
        # not wait on itself). PostgreSQL needs no process lock: row locks and advisory locks
        # serialise what must be.
        self.write_lock: AbstractContextManager[Any] = nullcontext()
        if self.engine.dialect.name == "sqlite":
            db_file = self.engine.url.database
            if db_file and db_file != ":memory:":
                self.write_lock = _FileWriteLock(db_file + ".lock")
            else:
                self.write_lock = threading.RLock()

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def migrate(self) -> None:
        """Bring the schema to the newest revision (Alembic ``upgrade head``)."""
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["connection_url"] = self.url
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.sessions() as s:
            yield s

    def dispose(self) -> None:
        self.engine.dispose()
