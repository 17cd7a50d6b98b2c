"""the holder's choice of certificates (applications.certificates) and the card face's
certificate expiry field (cards.cert_expires_on)

``applications.certificates`` is ``both``, ``sign``, ``auth`` or ``none``; NULL on applications
received before this revision (they were handed over with every certificate the holder could
hold). ``cards.cert_expires_on`` is what the holder writes in the card face's field
電子証明書の有効期限 記載欄.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-28 02:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def _has(table: str, column: str) -> bool:
    return column in {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}


def upgrade() -> None:
    # Plain ALTERs (no batch rebuild), as in 0012: a rebuild would drop tables that others reference.
    # A column already there (a store put back to an earlier revision by hand) is kept as it is.
    if not _has("applications", "certificates"):
        op.add_column("applications", sa.Column("certificates", sa.String(4), nullable=True))
    if not _has("cards", "cert_expires_on"):
        op.add_column("cards", sa.Column("cert_expires_on", sa.Date(), nullable=True))
        # cards issued before: the field is the earliest expiry of the certificates in effect
        op.execute("UPDATE cards SET cert_expires_on = (SELECT MIN(c.expires_on) FROM certificates c "
                   "WHERE c.card_id = cards.id AND c.status IN ('good', 'hold'))")


def downgrade() -> None:
    op.drop_column("cards", "cert_expires_on")
    op.drop_column("applications", "certificates")
