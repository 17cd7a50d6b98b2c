"""revocation publisher: published CRLs marked stale instead of versioned; indexes of the CRL,
delta CRL and batch queries

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("published_crls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stale", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.drop_column("version")
    with op.batch_alter_table("published_crls", schema=None) as batch_op:
        batch_op.alter_column("stale", server_default=None)
    op.create_index("ix_certificates_kind_status", "certificates", ["kind", "status"])
    op.create_index("ix_certificates_kind_revoked_at", "certificates", ["kind", "revoked_at"])
    op.create_index("ix_certificates_status_expires_on", "certificates", ["status", "expires_on"])
    op.create_index("ix_cards_state_expires_on", "cards", ["state", "expires_on"])


def downgrade() -> None:
    op.drop_index("ix_cards_state_expires_on", table_name="cards")
    op.drop_index("ix_certificates_status_expires_on", table_name="certificates")
    op.drop_index("ix_certificates_kind_revoked_at", table_name="certificates")
    op.drop_index("ix_certificates_kind_status", table_name="certificates")
    with op.batch_alter_table("published_crls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.String(length=64), nullable=False, server_default=""))
        batch_op.drop_column("stale")
