"""hardening: login throttle in the store, one current and one pending card per resident,
events indexed by card

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import mynacard.db.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

CURRENT_WHERE = "state IN ('issued', 'suspended')"
PENDING_WHERE = "state IN ('applied', 'made')"


def upgrade() -> None:
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("window_start", mynacard.db.types.AwareDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_card_id"), ["card_id"], unique=False)
    for name, where in (("uq_cards_one_current", CURRENT_WHERE), ("uq_cards_one_pending", PENDING_WHERE)):
        op.create_index(
            name, "cards", ["resident_id"], unique=True,
            sqlite_where=sa.text(where), postgresql_where=sa.text(where),
        )


def downgrade() -> None:
    op.drop_index("uq_cards_one_pending", table_name="cards")
    op.drop_index("uq_cards_one_current", table_name="cards")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_card_id"))
    op.drop_table("login_throttle")
