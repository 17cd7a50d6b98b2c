"""documents laid out like municipal documents: the municipality's letterhead (address, window,
telephone) and the printed documents kept for a reprint (issued_documents)

Revision ID: 0018
Revises: 0012
Create Date: 2026-11-28 02:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mynacard.db.types import AwareDateTime

revision = "0018"
down_revision = "0012"
branch_labels = None
depends_on = None

WINDOW_DEFAULT = "市民課 マイナンバーカード窓口"


def upgrade() -> None:
    # Plain ALTERs (no batch rebuild): the cards and residents reference municipalities' rows.
    op.add_column("municipalities", sa.Column("address", sa.String(200), nullable=False, server_default=""))
    op.add_column("municipalities",
                  sa.Column("window", sa.String(100), nullable=False, server_default=WINDOW_DEFAULT))
    op.add_column("municipalities", sa.Column("phone", sa.String(30), nullable=False, server_default=""))
    op.create_table(
        "issued_documents",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("printed_at", AwareDateTime(), nullable=False),
        sa.Column("printed_by", sa.String(64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("reprints", sa.Integer(), nullable=False),
        sa.Column("last_reprinted_at", AwareDateTime(), nullable=True),
    )
    op.create_index("ix_issued_documents_kind_key", "issued_documents", ["kind", "key"], unique=True)
    op.create_index("ix_issued_documents_resident_id", "issued_documents", ["resident_id"])


def downgrade() -> None:
    op.drop_index("ix_issued_documents_resident_id", "issued_documents")
    op.drop_index("ix_issued_documents_kind_key", "issued_documents")
    op.drop_table("issued_documents")
    with op.batch_alter_table("municipalities") as b:
        b.drop_column("phone")
        b.drop_column("window")
        b.drop_column("address")
