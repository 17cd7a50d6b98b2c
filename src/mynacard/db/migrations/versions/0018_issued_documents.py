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
down_revision = "0016"
branch_labels = None
depends_on = None

WINDOW_DEFAULT = "市民課 マイナンバーカード窓口"


def upgrade() -> None:
    # Each step only where it is missing: a store rewound to an older revision by hand (as the
    # tests of older migrations do) may still hold them.
    have = sa.inspect(op.get_bind())
    columns = {c["name"] for c in have.get_columns("municipalities")}
    # Plain ALTERs (no batch rebuild): the cards and residents reference municipalities' rows.
    for name, column in (
        ("address", sa.Column("address", sa.String(200), nullable=False, server_default="")),
        ("window", sa.Column("window", sa.String(100), nullable=False, server_default=WINDOW_DEFAULT)),
        ("phone", sa.Column("phone", sa.String(30), nullable=False, server_default="")),
    ):
        if name not in columns:
            op.add_column("municipalities", column)
    if have.has_table("issued_documents"):
        return
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
