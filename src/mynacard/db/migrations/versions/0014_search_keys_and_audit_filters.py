"""residents' search keys (name, フリガナ, and the given name of each): names found across width,
spaces, kana and 異体字;
audit log indexes for the audit view's filters (actor, target)

The keys are ``rules.text.search_key`` of the name and of its フリガナ, indexed, compared in
code point order (collation "C" on PostgreSQL) so that a prefix search is a range of the index.
Existing rows are filled in by this upgrade.

Revision ID: 0014
Revises: 0012
Create Date: 2026-11-28 02:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mynacard.rules.text import given_name_key, search_key

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_KEY = sa.String(200).with_variant(sa.String(200, collation="C"), "postgresql")
_BATCH = 1000


_KEYS = ("name_key", "kana_key", "given_key", "given_kana_key")


def _keys(name: str | None, kana: str | None) -> dict[str, str]:
    return {"name_key": search_key(name), "kana_key": search_key(kana),
            "given_key": given_name_key(name), "given_kana_key": given_name_key(kana)}


def upgrade() -> None:
    conn = op.get_bind()
    inspector = sa.inspect(conn)
    have = {c["name"] for c in inspector.get_columns("residents")}
    # Plain ADD COLUMN (no batch rebuild: SQLite's rebuild would drop residents under its
    # foreign keys); NOT NULL with a default, filled in below. A column or index already there
    # (a store relabelled to an older revision) is kept.
    for column in _KEYS:
        if column not in have:
            op.add_column("residents", sa.Column(column, _KEY, nullable=False, server_default=""))
    last = 0
    while True:
        rows = conn.execute(
            sa.text("SELECT id, name, name_kana FROM residents WHERE id > :last ORDER BY id LIMIT :n"),
            {"last": last, "n": _BATCH},
        ).all()
        if not rows:
            break
        conn.execute(
            sa.text("UPDATE residents SET name_key = :name_key, kana_key = :kana_key, given_key = :given_key, "
                    "given_kana_key = :given_kana_key WHERE id = :id"),
            [{"id": i, **_keys(name, kana)} for i, name, kana in rows],
        )
        last = rows[-1][0]
    indexes = {ix["name"] for t in ("residents", "audit_log") for ix in inspector.get_indexes(t)}
    for table, column in [*(("residents", k) for k in _KEYS), ("audit_log", "actor"), ("audit_log", "target")]:
        # the audit view filters by staff member and by resident (its targets)
        if f"ix_{table}_{column}" not in indexes:
            op.create_index(f"ix_{table}_{column}", table, [column], unique=False)


def downgrade() -> None:
    for table, column in [*(("residents", k) for k in _KEYS), ("audit_log", "actor"), ("audit_log", "target")]:
        op.drop_index(f"ix_{table}_{column}", table_name=table)
    for column in _KEYS:
        op.drop_column("residents", column)
