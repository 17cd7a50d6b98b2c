"""the window's redirected results kept in the store (window_results: sealed, bound to the staff
session, shared by every worker process and kept over a restart), and the print queue's
"printed" mark on expiry notices (who printed each and when)

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-28 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mynacard.db.types import AwareDateTime

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Each step only where it is missing (a store rewound by hand may still hold them).
    have = sa.inspect(op.get_bind())
    columns = {c["name"] for c in have.get_columns("expiry_notices")}
    for name, column in (
        ("printed_at", sa.Column("printed_at", AwareDateTime(), nullable=True)),
        ("printed_by", sa.Column("printed_by", sa.String(64), nullable=True)),
    ):
        if name not in columns:
            op.add_column("expiry_notices", column)
    indexes = {i["name"] for i in have.get_indexes("expiry_notices")}
    if "ix_expiry_notices_sent_on" not in indexes:  # the print queue lists one day's notices
        op.create_index("ix_expiry_notices_sent_on", "expiry_notices", ["sent_on"])
    if have.has_table("window_results"):
        return
    op.create_table(
        "window_results",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("session_hash", sa.String(64), nullable=False),
        sa.Column("expires_at", AwareDateTime(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("once_sealed", sa.LargeBinary(), nullable=True),
    )
    op.create_index("ix_window_results_session_hash", "window_results", ["session_hash"])
    op.create_index("ix_window_results_expires_at", "window_results", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_window_results_expires_at", "window_results")
    op.drop_index("ix_window_results_session_hash", "window_results")
    op.drop_table("window_results")
    op.drop_index("ix_expiry_notices_sent_on", "expiry_notices")
    with op.batch_alter_table("expiry_notices") as b:
        b.drop_column("printed_by")
        b.drop_column("printed_at")
