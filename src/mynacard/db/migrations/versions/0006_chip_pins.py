"""chip PIN objects in rows of their own (atomic tries; sealed Argon2id verifiers)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 23:40:00

Existing chips are upgraded on first read, not here (that needs the master key, which the
migration does not have): ``services.pinstore.upgrade_chip`` moves a version-1 chip state's
PINs into ``chip_pins`` (each HMAC verifier wrapped in Argon2id and sealed) and seals the
state; ``mynacard`` runs ``upgrade_all`` for every card when it opens the store.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('chip_pins',
    sa.Column('card_id', sa.String(length=16), nullable=False),
    sa.Column('pin', sa.String(length=12), nullable=False),
    sa.Column('tries_left', sa.Integer(), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('verifier', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['card_id'], ['cards.id'], ),
    sa.PrimaryKeyConstraint('card_id', 'pin')
    )


def downgrade() -> None:
    op.drop_table('chip_pins')
