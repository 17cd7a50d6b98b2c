"""Migration 0015: certificates and events partitioned on PostgreSQL, plain tables on SQLite."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from mynacard.db import repositories as repo
from mynacard.db.store import Store, _heads
from mynacard.services import residents
from mynacard.services.context import Office
from tests.keypool import pooled_key
from tests.services.conftest import MASTER_KEY, NAKANOTO, at, issued_card, new_resident


def _office(url: str) -> Office:
    store = Store(url)
    store.migrate()
    office = Office(store=store, master_key=MASTER_KEY, keygen=pooled_key)
    with office.work(at=at("2025-01-01"), actor="setup") as w:
        residents.add_municipality(w, NAKANOTO, "中能登町", "石川県")
    return office


@pytest.mark.postgres
def test_postgres_partitions_certificates_by_municipality_and_events_by_year(pg_url):
    office = _office(pg_url)
    card_id = issued_card(office, new_resident(office))
    with office.store.engine.connect() as c:
        parted = dict(c.execute(text(
            "SELECT c.relname, p.partstrat FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid")).all())
        assert parted == {"certificates": "h", "events": "r"}
        # the card's certificates sit in the partition of their municipality, its events in 2025's
        where = c.execute(text("SELECT DISTINCT tableoid::regclass::text FROM certificates WHERE card_id = :c"),
                          {"c": card_id}).scalars().all()
        assert len(where) == 1 and where[0].startswith("certificates_p")
        years = c.execute(text("SELECT DISTINCT tableoid::regclass::text FROM events WHERE card_id = :c"),
                          {"c": card_id}).scalars().all()
        assert years == ["events_y2025"]
    with office.work(at=at("2025-06-01"), actor="t") as w:  # read back through the ORM as before
        cert = repo.current_certificate(w.session, card_id, "auth")
        assert cert is not None and repo.certificate(w.session, cert.serial).card_id == card_id
    office.store.dispose()


def test_sqlite_keeps_plain_tables(tmp_path):
    office = _office(str(tmp_path / "plain.db"))
    issued_card(office, new_resident(office))
    insp = inspect(office.store.engine)
    assert {"certificates", "events"} <= set(insp.get_table_names())
    assert not any(t.startswith(("certificates_p", "events_y")) for t in insp.get_table_names())
    with office.store.engine.connect() as c:
        # at the head: 0015 (the partitioning) changes nothing on SQLite but is recorded as passed
        assert {c.execute(text("SELECT version_num FROM alembic_version")).scalar()} == set(_heads())
    office.store.dispose()
