"""Migration 0005 converts a store written before numbers were sealed and the audit chain keyed:
no number is left in clear, each is found by its keyed hash, and the chain verifies under the key."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from mynacard import audit
from mynacard.crypto import StoreKeys
from mynacard.db import repositories as repo
from mynacard.db.store import Store
from mynacard.db.types import AwareDateTime
from mynacard.errors import ConfigError
from tests.services.conftest import MASTER_KEY

NUMBERS = ["123456789018", "234567890120"]

residents_t = sa.table(
    "residents", *(sa.column(c) for c in ("id", "individual_number", "name", "address", "sex", "municipality_code",
                                         "nationality", "adult_ward", "dv_protected", "moving_out_filed")),
    sa.column("birth_date", sa.Date), sa.column("created_at", AwareDateTime()),
)
audit_t = sa.table(
    "audit_log", *(sa.column(c) for c in ("id", "actor", "role", "action", "target", "outcome", "prev_hash", "hash")),
    sa.column("at", AwareDateTime()), sa.column("details", sa.JSON),
)


def _old_hash(prev: str, row: dict) -> str:
    body = {k: row[k] for k in ("id", "actor", "role", "action", "target", "outcome", "details")}
    body["at"] = row["at"].astimezone(UTC).replace(microsecond=0).isoformat()
    canon = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    return hashlib.sha256(prev.encode() + b"\n" + canon).hexdigest()


def old_store(path, *, break_at: int | None = None, url: str | None = None) -> str:
    """A store at revision 0002 with two residents and an unkeyed audit chain of four entries."""
    db = url or str(path / "old.db")
    old = Store(db)
    old.migrate("0002")
    old.dispose()
    engine = sa.create_engine(db if url else f"sqlite:///{db}")
    with engine.begin() as c:
        c.execute(sa.text("INSERT INTO municipalities (code, name, prefecture, card_fee, cert_fee, found_policy) "
                          "VALUES ('174076', '中能登町', '石川県', 800, 200, 'release')"))
        for i, n in enumerate(NUMBERS, 1):
            c.execute(residents_t.insert().values(
                id=i, individual_number=n, name=f"住民 {i}", address="石川県", sex="1", municipality_code="174076",
                nationality="JP", adult_ward=False, dv_protected=False, moving_out_filed=False,
                birth_date=date(1990, 1, i), created_at=datetime(2025, 1, i, tzinfo=UTC)))
        prev = "0" * 64
        for i in range(1, 5):
            row = {"id": i, "at": datetime(2025, 4, i, 1, tzinfo=UTC), "actor": "tanaka", "role": "clerk",
                   "action": "resident.number_read", "target": f"resident:{i}", "outcome": "ok",
                   "details": {"purpose": "tax"}}
            h = _old_hash(prev, row)
            if i == break_at:
                row["details"] = {"purpose": "edited"}
            c.execute(audit_t.insert().values(**row, prev_hash=prev, hash=h))
            prev = h
    engine.dispose()
    return db


def test_numbers_are_sealed_and_the_chain_keyed_by_the_upgrade(tmp_path):
    db = old_store(tmp_path)
    store = Store(db, keys=StoreKeys(MASTER_KEY))
    store.migrate()
    with store.sessions() as s:
        for i, n in enumerate(NUMBERS, 1):
            r = repo.resident_by_number(s, n)
            assert r.id == i and repo.number_of(r) == n
    assert audit.verify(store) == (4, [])
    store.dispose()
    raw = sqlite3.connect(db)
    cols = [r[1] for r in raw.execute("PRAGMA table_info(residents)")]
    dump = "\n".join(raw.iterdump())
    raw.close()
    assert "individual_number" not in cols
    assert not any(n in dump for n in NUMBERS)


def test_a_chain_broken_before_the_upgrade_stays_reported(tmp_path):
    db = old_store(tmp_path, break_at=3)
    store = Store(db, keys=StoreKeys(MASTER_KEY))
    store.migrate()
    _, problems = audit.verify(store)
    assert problems and min(p.entry_id for p in problems) == 3


def test_converting_needs_the_master_key(tmp_path):
    db = old_store(tmp_path)
    with pytest.raises(ConfigError, match="MYNACARD_MASTER_KEY"):
        Store(db).migrate()
    # nothing was converted: the failed upgrade rolled back
    raw = sqlite3.connect(db)
    assert raw.execute("SELECT version_num FROM alembic_version").fetchone() == ("0002",)
    raw.close()
    store = Store(db, keys=StoreKeys(MASTER_KEY))
    store.migrate()  # and it goes through once the key is given
    assert audit.verify(store) == (4, [])


@pytest.mark.postgres
def test_the_upgrade_converts_a_postgresql_store(tmp_path, pg_url):
    old_store(tmp_path, url=pg_url)
    store = Store(pg_url, keys=StoreKeys(MASTER_KEY))
    store.migrate()
    with store.sessions() as s:
        assert [repo.number_of(repo.resident_by_number(s, n)) for n in NUMBERS] == NUMBERS
        rows = s.execute(sa.text("SELECT * FROM residents")).all()
    assert not any(n in repr(rows) for n in NUMBERS)
    assert audit.verify(store) == (4, [])
    store.dispose()
