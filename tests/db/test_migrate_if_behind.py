"""Commands start without loading Alembic when the schema is already at its newest revision."""

from __future__ import annotations

from sqlalchemy import inspect

from mynacard.db.store import Store


def test_a_new_database_is_migrated_and_an_up_to_date_one_is_left_alone(tmp_path, monkeypatch):
    store = Store(str(tmp_path / "m.db"))
    store.migrate_if_behind()
    assert "certificates" in inspect(store.engine).get_table_names()

    def refuse() -> None:
        raise AssertionError("migrations ran on an up-to-date database")

    monkeypatch.setattr(store, "migrate", refuse)
    store.migrate_if_behind()  # does not raise: nothing to do


def test_a_database_behind_the_newest_revision_is_migrated(tmp_path):
    store = Store(str(tmp_path / "m.db"))
    store.migrate("0002")  # a store of an older release
    assert "ix_certificates_kind_status" not in {i["name"] for i in inspect(store.engine).get_indexes("certificates")}
    store.migrate_if_behind()
    names = {i["name"] for i in inspect(store.engine).get_indexes("certificates")}
    assert "ix_certificates_kind_status" in names
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() != "0002"
