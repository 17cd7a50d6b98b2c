"""Alembic environment: run with a connection handed in by Store.migrate, or from alembic.ini."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import mynacard.db.provider
import mynacard.db.relying
import mynacard.db.staff  # noqa: F401  (the office service's tables)
from mynacard.db.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.attributes.get("connection_url") or config.get_main_option("sqlalchemy.url")
    engine = create_engine(url)
    with engine.begin() as conn:
        context.configure(
            connection=conn,
            target_metadata=target_metadata,
            render_as_batch=conn.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()


run()
