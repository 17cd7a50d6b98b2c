"""Opening the database and running its migrations."""

from __future__ import annotations

import fcntl
import os
import re
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

from mynacard.crypto import StoreKeys
from mynacard.errors import ConfigError

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


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for another database or an in-memory one)."""
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database)


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


def create_private_file(path: Path) -> None:
    """Create ``path`` empty and readable by its owner alone (0600), unless it exists: SQLite
    would create it with the umask (0644), readable by every local user. Its journals take the
    database file's mode. Its folder must exist, as SQLite requires: a mistyped path is an error,
    not a new folder tree."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(fd)


class Store:
    """One database: an engine, a session factory and the schema's migrations.

    ``keys`` (derived from the master key, see ``Office``) key the audit chain and the individual
    numbers at rest; every session of this store reaches them through ``session.info["store"]``.
    """

    def __init__(self, db: str, keys: StoreKeys | None = None, *, read_db: str | None = None) -> None:
        self.url = database_url(db)
        self.keys = keys
        path = sqlite_path(self.url)
        if path is not None:
            create_private_file(path)
        # Never put a statement's parameters (individual numbers, names) into an error message
        # or a log line: a failed INSERT of a resident would otherwise print the number.
        kwargs: dict[str, Any] = {"hide_parameters": True}
        if self.url.startswith("postgresql"):
            kwargs["pool_pre_ping"] = True
        self.engine: Engine = create_engine(self.url, **kwargs)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False, info={"store": self})
        # Reads that may lag a little behind the primary (OCSP and CRL look-ups) can go to a
        # streaming replica: ``read_db`` or MYNACARD_DB_READ, opened read-only. Without one they
        # read the primary.
        read_url = read_db if read_db is not None else os.environ.get("MYNACARD_DB_READ") or None
        self.read_url = database_url(read_url) if read_url else None
        self.read_engine: Engine = self.engine
        if self.read_url is not None:
            self.read_engine = _read_only_engine(self.read_url)
        self.read_sessions = sessionmaker(self.read_engine, expire_on_commit=False, info={"store": self})
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

    def bind_keys(self, master_key: bytes) -> None:
        """Use the keys derived from ``master_key`` (once; a different key is refused)."""
        keys = StoreKeys(master_key)
        if self.keys is not None and self.keys.fingerprint != keys.fingerprint:
            raise ConfigError(
                "This store is already open under another master key.", "別のマスター鍵で開かれています。"
            )
        self.keys = keys

    def check_key(self) -> None:
        """Refuse a master key other than the one the store is written under (recorded on first
        use), before anything is read or written with it."""
        from sqlalchemy import insert, select
        from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

        from mynacard.db.models import StoreMeta

        keys = self.require_keys()
        q = select(StoreMeta.value).where(StoreMeta.name == "master_key_check")
        try:
            with self.engine.connect() as conn:
                recorded = conn.execute(q).scalar()
        except (OperationalError, ProgrammingError):  # not migrated yet: nothing to compare with
            return
        if recorded is None:
            try:
                with self.write_lock, self.engine.begin() as conn:
                    conn.execute(insert(StoreMeta).values(name="master_key_check", value=keys.fingerprint))
                return
            except IntegrityError:  # recorded meanwhile by another process
                with self.engine.connect() as conn:
                    recorded = conn.execute(q).scalar()
        if recorded != keys.fingerprint:
            raise ConfigError(
                f"This store is written under another master key (check value {recorded}; the key given has "
                f"{keys.fingerprint}). Set MYNACARD_MASTER_KEY or MYNACARD_KEY_FILE to the store's own key.",
                "このデータベースは別のマスター鍵で作成されています。正しい MYNACARD_MASTER_KEY または "
                "MYNACARD_KEY_FILE を設定してください。",
            )

    def require_keys(self) -> StoreKeys:
        if self.keys is None:
            raise ConfigError(
                "The store was opened without its master key (MYNACARD_MASTER_KEY or MYNACARD_KEY_FILE).",
                "マスター鍵なしでデータベースが開かれました。",
            )
        return self.keys

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def migrate(self, revision: str = "head") -> None:
        """Bring the schema to the newest revision (Alembic ``upgrade head``), or to ``revision``."""
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["connection_url"] = self.url
        cfg.attributes["store_keys"] = self.keys
        if self.keys is None:
            self._refuse_plain_store_without_keys()
        with self.engine.begin() as conn:
            if self.is_sqlite:
                # pysqlite commits each CREATE/ALTER on its own: a process killed half-way through
                # the first start would leave a half-made schema that no later start can migrate.
                # One explicit transaction makes the migration all or nothing (and lets two
                # first starts take turns).
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
        self.mark_chip_upgrade()

    #: ``store_meta`` marker: chip states of the first, plain form may be left (after a migration or a
    #: restore); ``services.pinstore.upgrade_all`` seals them and clears it.
    CHIP_UPGRADE = "chip_upgrade_pending"

    def mark_chip_upgrade(self) -> None:
        from sqlalchemy import text
        from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

        try:
            with self.write_lock, self.engine.begin() as conn:
                conn.execute(text("INSERT INTO store_meta (name, value) VALUES (:n, 'yes')"), {"n": self.CHIP_UPGRADE})
        except IntegrityError:  # already marked
            pass
        except (OperationalError, ProgrammingError):  # a revision before store_meta: the last migration marks
            pass

    def needs_chip_upgrade(self) -> bool:
        """One primary-key read: whether ``upgrade_all`` has work to do (see ``mark_chip_upgrade``)."""
        from sqlalchemy import text
        from sqlalchemy.exc import OperationalError, ProgrammingError

        try:
            with self.engine.connect() as conn:
                q = text("SELECT 1 FROM store_meta WHERE name = :n")
                return conn.execute(q, {"n": self.CHIP_UPGRADE}).first() is not None
        except (OperationalError, ProgrammingError):
            return True

    def clear_chip_upgrade(self) -> None:
        from sqlalchemy import text

        with self.write_lock, self.engine.begin() as conn:
            conn.execute(text("DELETE FROM store_meta WHERE name = :n"), {"n": self.CHIP_UPGRADE})

    def _refuse_plain_store_without_keys(self) -> None:
        """A store of the first form (numbers or security codes in clear, an unkeyed audit chain) is converted
        under the master key; without it, refuse before any migration changes the schema (SQLite
        commits a schema change at once, so a later refusal would leave it half migrated)."""
        from sqlalchemy import inspect, text

        insp = inspect(self.engine)
        tables = insp.get_table_names()
        if "cards" in tables and "security_code" in {c["name"] for c in insp.get_columns("cards")}:
            with self.engine.connect() as conn:
                if conn.execute(text("SELECT 1 FROM cards WHERE security_code IS NOT NULL LIMIT 1")).first():
                    raise ConfigError(
                        "Converting this store (cards' security codes) needs its master key: set "
                        "MYNACARD_MASTER_KEY or MYNACARD_KEY_FILE, or open it with the mynacard command.",
                        "データベースの変換にはマスター鍵が必要です。"
                        "MYNACARD_MASTER_KEY または MYNACARD_KEY_FILE を設定してください。",
                    )
        if "residents" not in tables:
            return
        if "individual_number" not in {c["name"] for c in insp.get_columns("residents")}:
            return
        with self.engine.connect() as conn:
            for table in ("residents", "audit_log"):
                if table in insp.get_table_names() and conn.execute(text(f"SELECT 1 FROM {table} LIMIT 1")).first():
                    raise ConfigError(
                        "Converting this store (individual numbers, the audit trail) needs its master key: "
                        "set MYNACARD_MASTER_KEY or MYNACARD_KEY_FILE, or open it with the mynacard command.",
                        "データベースの変換にはマスター鍵が必要です。"
                        "MYNACARD_MASTER_KEY または MYNACARD_KEY_FILE を設定してください。",
                    )

    def migrate_if_behind(self) -> bool:
        """``migrate`` only when the schema is not at the newest revision: one read of
        ``alembic_version`` instead of loading Alembic on every command. True if it migrated."""
        try:
            with self.engine.connect() as conn:
                current = {row[0] for row in conn.exec_driver_sql("SELECT version_num FROM alembic_version")}
        except Exception:  # no table yet: a new database
            current = set()
        if current != _heads():
            self.migrate()
            return True
        return False

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.sessions() as s:
            yield s

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A session for reads that may lag behind the primary by the replication delay (OCSP,
        CRLs): on the replica of MYNACARD_DB_READ when there is one (read-only), else the primary."""
        with self.read_sessions() as s:
            yield s

    def dispose(self) -> None:
        self.engine.dispose()
        if self.read_engine is not self.engine:
            self.read_engine.dispose()


def _read_only_engine(url: str) -> Engine:
    """An engine on a read replica whose sessions cannot write, even by mistake."""
    kwargs: dict[str, Any] = {"hide_parameters": True}
    if url.startswith("postgresql"):
        kwargs["pool_pre_ping"] = True
        kwargs["connect_args"] = {"options": "-c default_transaction_read_only=on"}
        return create_engine(url, **kwargs)
    engine = create_engine(url, **kwargs)

    def _read_only(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA query_only=ON")
        cur.close()

    event.listen(engine, "connect", _read_only)
    return engine


def keys_of(session: Session) -> StoreKeys:
    """The keys of the store ``session`` belongs to (a ``ConfigError`` if it has none)."""
    store = session.info.get("store")
    if not isinstance(store, Store):
        raise ConfigError("This session does not belong to a Store.", "データベースの設定が正しくありません。")
    return store.require_keys()
