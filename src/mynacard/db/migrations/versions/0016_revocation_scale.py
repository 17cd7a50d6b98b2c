"""revocation at scale: the log of status changes that keeps every process's OCSP answers true,
and the index of the per-municipality CRL partitions

Revision ID: 0016
Revises: 0012
Create Date: 2026-11-28 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mynacard.db.types import AwareDateTime, BigSerial

revision = "0016"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "revocation_changes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("serial", BigSerial(length=50), nullable=False),
        sa.Column("changed_at", AwareDateTime(), nullable=False),
    )
    op.create_index("ix_revocation_changes_changed_at", "revocation_changes", ["changed_at"])
    op.create_index("ix_certificates_kind_municipality_status", "certificates",
                    ["kind", "municipality_code", "status"])


def downgrade() -> None:
    op.drop_index("ix_certificates_kind_municipality_status", table_name="certificates")
    op.drop_index("ix_revocation_changes_changed_at", table_name="revocation_changes")
    op.drop_table("revocation_changes")
