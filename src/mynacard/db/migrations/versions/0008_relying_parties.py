"""relying parties: registered verifiers, holders' consents, followed certificates; TSA keys

Revision ID: 0008
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import mynacard.db.types

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tsa_keys",
        sa.Column("role", sa.String(length=4), nullable=False),
        sa.Column("certificate_der", sa.LargeBinary(), nullable=False),
        sa.Column("sealed_key", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("role"),
    )
    op.create_table(
        "relying_parties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("webhook_url", sa.String(length=400), nullable=True),
        sa.Column("sealed_webhook_secret", sa.LargeBinary(), nullable=True),
        sa.Column("notified_event_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", mynacard.db.types.AwareDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_id"),
    )
    op.create_table(
        "holder_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("relying_party_id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("given_at", mynacard.db.types.AwareDateTime(), nullable=False),
        sa.Column("withdrawn_at", mynacard.db.types.AwareDateTime(), nullable=True),
        sa.Column("evidence_serial", mynacard.db.types.BigSerial(), nullable=True),
        sa.ForeignKeyConstraint(["relying_party_id"], ["relying_parties.id"]),
        sa.ForeignKeyConstraint(["resident_id"], ["residents.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("relying_party_id", "resident_id"),
    )
    with op.batch_alter_table("holder_consents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_holder_consents_relying_party_id"), ["relying_party_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_holder_consents_resident_id"), ["resident_id"], unique=False)
    op.create_table(
        "followed_certificates",
        sa.Column("relying_party_id", sa.Integer(), nullable=False),
        sa.Column("serial", mynacard.db.types.BigSerial(), nullable=False),
        sa.Column("since", mynacard.db.types.AwareDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["relying_party_id"], ["relying_parties.id"]),
        sa.PrimaryKeyConstraint("relying_party_id", "serial"),
    )


def downgrade() -> None:
    op.drop_table("followed_certificates")
    with op.batch_alter_table("holder_consents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_holder_consents_resident_id"))
        batch_op.drop_index(batch_op.f("ix_holder_consents_relying_party_id"))
    op.drop_table("holder_consents")
    op.drop_table("relying_parties")
    op.drop_table("tsa_keys")
