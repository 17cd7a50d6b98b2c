"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import mynacard.db.relying  # (relying parties, the TSA)
import mynacard.db.staff  # noqa: F401  (registers the office service's tables)
from mynacard.db.models import Base
from mynacard.db.store import Store


def test_migrations_match_models(tmp_path):
    store = Store(str(tmp_path / "m.db"))
    store.migrate()
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_migrate_twice_is_harmless(tmp_path):
    store = Store(str(tmp_path / "m.db"))
    store.migrate()
    store.migrate()
