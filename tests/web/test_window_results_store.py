"""The store of redirected results (``web.ui.flash``) under concurrency, on PostgreSQL: of
workers reading the same token at the same moment, exactly one shows its individual number
(R_NUM_3); and migration 0019 tolerates a store that already has what it adds."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import inspect, text

from mynacard.db.store import Store
from mynacard.services.context import Office
from mynacard.web.ui import flash
from tests.web.conftest import MASTER_KEY


@pytest.mark.postgres
def test_two_workers_reading_one_result_show_its_number_once_R_NUM_3(pg_url):
    store = Store(pg_url)
    store.migrate()
    office = Office(store=store, master_key=MASTER_KEY)
    try:
        for _ in range(20):
            result = {"message": "確認しました", "once": {"number": "123456789018"}}
            token = flash._put(office.store, "session-a", result)
            seen: list[dict] = []
            start = threading.Barrier(3)

            def read(seen=seen, token=token, start=start) -> None:
                start.wait()
                seen.append(flash._get(office.store, ("session-a",), token))

            workers = [threading.Thread(target=read) for _ in range(3)]
            for t in workers:
                t.start()
            for t in workers:
                t.join(30)
            assert [x["message"] for x in seen] == ["確認しました"] * 3  # the result itself, to each
            assert sum(1 for x in seen if x.get("once") == {"number": "123456789018"}) == 1
            assert flash._get(office.store, ("session-b",), token) == {}  # another session: nothing
    finally:
        store.dispose()


def test_migration_0019_skips_what_the_store_already_has(tmp_path):
    store = Store(str(tmp_path / "m.db"))
    store.migrate()
    with store.engine.begin() as conn:  # rewound by hand, as the tests of older migrations do
        conn.execute(text("UPDATE alembic_version SET version_num = '0018'"))
    store.migrate()
    insp = inspect(store.engine)
    assert {"printed_at", "printed_by"} <= {c["name"] for c in insp.get_columns("expiry_notices")}
    assert "window_results" in insp.get_table_names()
    store.dispose()
