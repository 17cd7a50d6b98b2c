"""Backing up and restoring a whole store, SQLite or PostgreSQL, in a portable file.

The file (gzip'd JSON lines) holds every table's rows as the store keeps them: numbers and
private keys stay sealed, and the master key is never in it (keep the key apart; the header
names the key's fingerprint so that restoring with another key is refused before anything is
written). An HMAC under a key derived from the master key closes the file, so a damaged or
altered backup is refused. Restoring never writes into a store that holds data unless the
caller says so (``replace=True``), and the audit chain verifies afterwards as it did before.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import json
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from alembic.migration import MigrationContext
from sqlalchemy import Connection, Date, Integer, LargeBinary, Table, func, select, text
from sqlalchemy.types import JSON

import mynacard.db.staff  # noqa: F401  (the office service's tables)
from mynacard.db.models import Base
from mynacard.db.store import Store, sqlite_path
from mynacard.db.types import AwareDateTime
from mynacard.errors import ConfigError, StateError

FORMAT = "mynacard-backup"
VERSION = 1
BATCH = 500


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    revision: str | None
    rows: dict[str, int]


def _tables() -> list[Table]:
    return list(Base.metadata.sorted_tables)


def _encode(table: Table, row: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for col in table.columns:
        v = getattr(row, col.name)
        if v is None:
            out[col.name] = None
        elif isinstance(col.type, LargeBinary):
            out[col.name] = base64.b64encode(v).decode()
        elif isinstance(v, datetime | date):
            out[col.name] = v.isoformat()
        else:
            out[col.name] = v
    return out


def _decode(table: Table, data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for col in table.columns:
        v = data.get(col.name)
        if v is not None:
            if isinstance(col.type, LargeBinary):
                v = base64.b64decode(v)
            elif isinstance(col.type, AwareDateTime):
                v = datetime.fromisoformat(v)
            elif isinstance(col.type, Date):
                v = date.fromisoformat(v)
            elif isinstance(col.type, JSON):
                pass
        out[col.name] = v
    return out


def _mac_key(store: Store) -> bytes:
    return hmac.new(store.require_keys().audit, b"mynacard backup", hashlib.sha256).digest()


def _revision(conn: Connection) -> str | None:
    rev: str | None = MigrationContext.configure(conn).get_current_revision()
    return rev


def _dump_lines(store: Store, conn: Connection) -> Iterator[dict[str, Any]]:
    yield {
        "format": FORMAT,
        "version": VERSION,
        "revision": _revision(conn),
        "dialect": conn.dialect.name,
        "key_fingerprint": store.require_keys().fingerprint,
    }
    for table in _tables():
        for row in conn.execute(select(table)):
            yield {"t": table.name, "r": _encode(table, row)}


def backup(store: Store, path: Path) -> BackupInfo:
    """Write a consistent snapshot of ``store`` to ``path`` (a new file, mode 0600)."""
    if path.exists():
        raise StateError(
            f"{path} exists: a backup never overwrites a file. Name a new file.",
            "バックアップ先のファイルがすでにあります。新しいファイル名を指定してください。",
        )
    mac = hmac.new(_mac_key(store), digestmod=hashlib.sha256)
    counts: dict[str, int] = {}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb") as gz, _snapshot(store) as src:
            with src.engine.connect() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
                revision = None
                for item in _dump_lines(store, conn):
                    if "revision" in item:
                        revision = item["revision"]
                    else:
                        counts[item["t"]] = counts.get(item["t"], 0) + 1
                    line = json.dumps(item, ensure_ascii=False, sort_keys=True).encode() + b"\n"
                    mac.update(line)
                    gz.write(line)
            gz.write(json.dumps({"mac": mac.hexdigest()}).encode() + b"\n")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return BackupInfo(path, revision, counts)


@contextmanager
def _snapshot(store: Store) -> Iterator[Store]:
    """A view of ``store`` that cannot change while it is dumped: for SQLite a copy made with
    SQLite's online backup API; for PostgreSQL the store itself, read in one repeatable-read
    transaction."""
    src = sqlite_path(store.url)
    if src is None:
        yield store
        return
    tmp = tempfile.mkdtemp(prefix="mynacard-backup-")
    try:
        copy = Path(tmp) / "snapshot.db"
        a, b = sqlite3.connect(src), sqlite3.connect(copy)
        try:
            a.backup(b)
        finally:
            a.close()
            b.close()
        snap = Store(str(copy), keys=store.keys)
        try:
            yield snap
        finally:
            snap.dispose()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _read(path: Path, mac_key: bytes) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    mac = hmac.new(mac_key, digestmod=hashlib.sha256)
    header: dict[str, Any] | None = None
    items: list[dict[str, Any]] = []
    closing: str | None = None
    try:
        with gzip.open(path, "rb") as gz:
            for line in gz:
                item = json.loads(line)
                if "mac" in item:
                    closing = item["mac"]
                    break
                mac.update(line)
                if header is None:
                    header = item
                else:
                    items.append(item)
    except (OSError, ValueError, EOFError) as exc:
        raise ConfigError(f"{path} is not a readable mynacard backup ({exc}).", "バックアップを読めません。") from None
    if header is None or header.get("format") != FORMAT:
        raise ConfigError(f"{path} is not a mynacard backup.", "mynacard のバックアップではありません。")
    if closing is None or not hmac.compare_digest(closing, mac.hexdigest()):
        raise ConfigError(
            f"{path} is damaged or was altered (its MAC does not match), or it was made under another master key.",
            "バックアップが破損しているか改ざんされています。",
        )
    return header, items


def check_key(store: Store, path: Path) -> dict[str, Any]:
    """The backup's header, once its master key is known to match the store's."""
    try:
        with gzip.open(path, "rb") as gz:
            header = json.loads(gz.readline())
    except (OSError, ValueError, EOFError):
        raise ConfigError(f"{path} is not a readable mynacard backup.", "バックアップを読めません。") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ConfigError(f"{path} is not a mynacard backup.", "mynacard のバックアップではありません。")
    if header.get("key_fingerprint") != store.require_keys().fingerprint:
        raise ConfigError(
            f"The backup was made under another master key (fingerprint {header.get('key_fingerprint')}, this one "
            f"is {store.require_keys().fingerprint}). Set MYNACARD_MASTER_KEY or MYNACARD_KEY_FILE to the key of "
            "the store that was backed up.",
            "バックアップ元と異なるマスター鍵です。バックアップ元のマスター鍵を設定してください。",
        )
    return header


def row_count(store: Store) -> int:
    """How many rows the store holds in all (0 for a new, empty store; the store's own facts,
    such as its key's check value, do not count)."""
    with store.engine.connect() as conn:
        return sum(
            conn.execute(select(func.count()).select_from(t)).scalar_one() for t in _tables() if t.name != "store_meta"
        )


def restore(store: Store, path: Path, *, replace: bool = False) -> BackupInfo:
    """Load the backup ``path`` into ``store`` (migrated to the backup's revision, or already
    at it) in one transaction. A store holding data is refused unless ``replace``."""
    check_key(store, path)
    header, items = _read(path, _mac_key(store))
    if row_count(store) and not replace:
        raise StateError(
            "The target store already holds data: restoring would replace it. Name the store to replace "
            "explicitly (--db) and add --replace, or restore into a new store.",
            "復元先のデータベースにはデータがあります。置き換える場合は --db で指定し --replace を付けてください。",
        )
    counts: dict[str, int] = {}
    tables = {t.name: t for t in _tables()}
    with store.write_lock, store.engine.begin() as conn:
        current = _revision(conn)
        if current != header.get("revision"):
            raise ConfigError(
                f"The backup is of schema {header.get('revision')} and the store is at {current}.",
                "バックアップとデータベースのスキーマの版が異なります。",
            )
        for t in reversed(_tables()):
            conn.execute(t.delete())
        pending: dict[str, list[dict[str, Any]]] = {}
        for item in items:
            table = tables.get(item["t"])
            if table is None:
                raise ConfigError(f"The backup has an unknown table {item['t']!r}.", "不明な表があります。")
            pending.setdefault(table.name, []).append(_decode(table, item["r"]))
        for t in _tables():
            rows = pending.get(t.name, [])
            for i in range(0, len(rows), BATCH):
                conn.execute(t.insert(), rows[i : i + BATCH])
            counts[t.name] = len(rows)
        if conn.dialect.name == "postgresql":
            _reset_sequences(conn)
    return BackupInfo(path, header.get("revision"), counts)


def _reset_sequences(conn: Connection) -> None:
    """Explicit IDs were inserted: move each serial column's sequence past them."""
    for t in _tables():
        pk = list(t.primary_key.columns)
        if len(pk) != 1 or not isinstance(pk[0].type, Integer):
            continue
        seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": t.name, "c": pk[0].name}).scalar()
        if seq:
            conn.execute(
                text(f'SELECT setval(:s, COALESCE((SELECT MAX("{pk[0].name}") FROM "{t.name}"), 1), '
                     f'(SELECT MAX("{pk[0].name}") FROM "{t.name}") IS NOT NULL)'),
                {"s": seq},
            )


def header_revision(path: Path) -> str | None:
    with gzip.open(path, "rb") as gz:
        rev = json.loads(gz.readline()).get("revision")
    return rev if isinstance(rev, str) else None
