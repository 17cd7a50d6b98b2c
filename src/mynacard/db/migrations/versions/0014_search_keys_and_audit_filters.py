"""residents' search keys (name_key, kana_key): names found across width, spaces, kana and 異体字;
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

from mynacard.rules.text import search_key

revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None

_KEY = sa.String(200).with_variant(sa.String(200, collation="C"), "postgresql")
_BATCH = 1000


def upgrade() -> None:
    # Plain ADD COLUMN (no batch rebuild: SQLite's rebuild would drop residents under its
    # foreign keys); NOT NULL with a default, filled in below.
    op.add_column("residents", sa.Column("name_key", _KEY, nullable=False, server_default=""))
    op.add_column("residents", sa.Column("kana_key", _KEY, nullable=False, server_default=""))
    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(
            sa.text("SELECT id, name, name_kana FROM residents WHERE id > :last ORDER BY id LIMIT :n"),
            {"last": last, "n": _BATCH},
        ).all()
        if not rows:
            break
        conn.execute(
            sa.text("UPDATE residents SET name_key = :nk, kana_key = :kk WHERE id = :id"),
            [{"id": i, "nk": search_key(name), "kk": search_key(kana)} for i, name, kana in rows],
        )
        last = rows[-1][0]
    op.create_index("ix_residents_name_key", "residents", ["name_key"], unique=False)
    op.create_index("ix_residents_kana_key", "residents", ["kana_key"], unique=False)
    # the audit view filters by staff member and by resident (its targets)
    op.create_index("ix_audit_log_actor", "audit_log", ["actor"], unique=False)
    op.create_index("ix_audit_log_target", "audit_log", ["target"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_audit_log_target", table_name="audit_log")
    op.drop_index("ix_audit_log_actor", table_name="audit_log")
    op.drop_index("ix_residents_kana_key", table_name="residents")
    op.drop_index("ix_residents_name_key", table_name="residents")
    op.drop_column("residents", "kana_key")
    op.drop_column("residents", "name_key")
