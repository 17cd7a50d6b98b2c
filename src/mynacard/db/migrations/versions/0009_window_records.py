"""window records: the evidence of free reissues (administrative errors, moves in from abroad)

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import mynacard.db.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "window_records",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.String(length=16), nullable=True),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("description", sa.String(length=400), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_role", sa.String(length=20), nullable=False),
        sa.Column("recorded_at", mynacard.db.types.AwareDateTime(), nullable=False),
        sa.Column("used_by", sa.String(length=23), nullable=True),
        sa.ForeignKeyConstraint(["card_id"], ["cards.id"]),
        sa.ForeignKeyConstraint(["resident_id"], ["residents.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("window_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_window_records_resident_id"), ["resident_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("window_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_window_records_resident_id"))
    op.drop_table("window_records")
