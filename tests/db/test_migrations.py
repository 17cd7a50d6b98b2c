"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

import mynacard.db.provider
import mynacard.db.relying
import mynacard.db.staff  # noqa: F401  (registers the office service's tables)
from mynacard.db.models import Base, Municipality
from mynacard.db.store import Store


def test_migrations_match_models(tmp_path):
    store = Store(str(tmp_path / "m.db"))
    store.migrate()
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_migrate_twice_is_harmless(tmp_path):
    """A second migrate (every CLI command runs one) changes neither the schema nor the data."""
    store = Store(str(tmp_path / "m.db"))
    store.migrate()
    with store.sessions() as s:
        s.add(Municipality(code="174076", name="中能登町", prefecture="石川県"))
        s.commit()
    with store.engine.connect() as conn:
        revision = MigrationContext.configure(conn).get_current_revision()
    store.migrate()
    with store.engine.connect() as conn:
        ctx = MigrationContext.configure(conn)
        assert revision is not None and ctx.get_current_revision() == revision
        assert compare_metadata(ctx, Base.metadata) == []
    with store.sessions() as s:
        assert [m.name for m in s.scalars(select(Municipality))] == ["中能登町"]
