"""Writing many rows at once: COPY on PostgreSQL, a batched INSERT elsewhere.

COPY sends the rows as one stream (no statement per row or per batch of rows to build and
parse); each value is written as its column type would bind it (aware times in UTC, serials as
text, JSON as text), so what is stored is what an INSERT of the same rows stores.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC
from typing import Any

from sqlalchemy import Connection, Table, insert
from sqlalchemy.types import JSON

from mynacard.db.types import AwareDateTime, BigSerial


def _converter(table: Table, columns: list[str]) -> list[Callable[[Any], Any]]:
    """How each column's Python value is written by COPY (what the column type would bind)."""
    out: list[Callable[[Any], Any]] = []
    for name in columns:
        t = table.c[name].type
        if isinstance(t, AwareDateTime):
            out.append(lambda v: None if v is None else v.astimezone(UTC).replace(tzinfo=None))
        elif isinstance(t, BigSerial):
            out.append(lambda v: None if v is None else str(v))
        elif isinstance(t, JSON):
            out.append(lambda v: json.dumps(v, ensure_ascii=False))
        else:
            out.append(lambda v: v)
    return out


def insert_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table`` in ``conn``'s transaction."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        conn.execute(insert(table), list(rows))
        return
    columns = list(rows[0])
    conv = _converter(table, columns)
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as cp:
        for row in rows:
            cp.write_row([f(row[c]) for f, c in zip(conv, columns, strict=True)])
