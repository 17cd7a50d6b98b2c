"""Opening the store for a command: the chip-state upgrade scan runs after a migration or when the
store's marker asks for it, not on every command."""

from __future__ import annotations

from typer.testing import CliRunner

from mynacard.cli.main import app
from mynacard.crypto import load_master_key
from mynacard.db.store import Store
from mynacard.services import pinstore


def test_the_upgrade_scan_runs_only_after_a_migration_or_when_marked(tmp_path, monkeypatch):
    db = str(tmp_path / "o.db")
    calls: list[int] = []
    real = pinstore.upgrade_all

    def counting(office, at):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(office, at)

    monkeypatch.setattr(pinstore, "upgrade_all", counting)
    run = CliRunner()
    assert run.invoke(app, ["--db", db, "events"]).exit_code == 0  # a new store: migrated, scanned
    assert len(calls) == 1
    assert run.invoke(app, ["--db", db, "events"]).exit_code == 0  # up to date, no marker: no scan
    assert len(calls) == 1
    store = Store(db)
    store.bind_keys(load_master_key(tmp_path / "o.db.key"))
    assert store.needs_chip_upgrade() is False  # the scan cleared the marker the migration set
    store.mark_chip_upgrade()  # e.g. rows written by an older release
    assert run.invoke(app, ["--db", db, "events"]).exit_code == 0
    assert len(calls) == 2 and store.needs_chip_upgrade() is False
    store.dispose()
