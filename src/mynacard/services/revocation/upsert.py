"""Insert-or-update of one row, safe when two units of work publish the same row at once."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session


def upsert(session: Session, model: Any, key: dict[str, Any], values: dict[str, Any]) -> None:
    """``INSERT ... ON CONFLICT (key) DO UPDATE`` on PostgreSQL and SQLite alike."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    stmt = insert(model).values(**key, **values)
    session.execute(stmt.on_conflict_do_update(index_elements=list(key), set_=values))
    ident = session.identity_key(model, tuple(key.values()))
    obj = session.identity_map.get(ident)
    if obj is not None:
        session.expire(obj)  # the identity map must not keep what the statement replaced
