"""Opening the database and running its migrations."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"


@lru_cache(maxsize=1)
def _heads() -> frozenset[str]:
    """The newest revisions, read from the migration files (those no other one revises)."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for f in (MIGRATIONS / "versions").glob("*.py"):
        text = f.read_text(encoding="utf-8")
        m = re.search(r"^revision\s*=\s*['\"]([^'\"]+)['\"]", text, re.M)
        if m:
            revisions.add(m.group(1))
        d = re.search(r"^down_revision\s*=\s*(.+)$", text, re.M)
        if d:
            revised.update(re.findall(r"['\"]([^'\"]+)['\"]", d.group(1)))
    return frozenset(revisions - revised)


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


class Store:
    """One database: an engine, a session factory and the schema's migrations."""

    def __init__(self, db: str) -> None:
        self.url = database_url(db)
        kwargs: dict[str, Any] = {}
        if self.url.startswith("postgresql"):
            kwargs["pool_pre_ping"] = True
        self.engine: Engine = create_engine(self.url, **kwargs)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time: units of work in this process take turns (re-entrant,
        # so a nested transaction in the same thread does not wait on itself). PostgreSQL needs
        # no process lock: row locks and advisory locks serialise what must be.
        self.write_lock: AbstractContextManager[Any] = (
            threading.RLock() if self.engine.dialect.name == "sqlite" else nullcontext()
        )

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

    def migrate_if_behind(self) -> None:
        """``migrate`` only when the schema is not at the newest revision: one read of
        ``alembic_version`` instead of loading Alembic on every command."""
        try:
            with self.engine.connect() as conn:
                current = {row[0] for row in conn.exec_driver_sql("SELECT version_num FROM alembic_version")}
        except Exception:  # no table yet: a new database
            current = set()
        if current != _heads():
            self.migrate()

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.sessions() as s:
            yield s

    def dispose(self) -> None:
        self.engine.dispose()
