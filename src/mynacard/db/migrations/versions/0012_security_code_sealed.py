"""cards' security codes sealed at rest (cards.security_code -> cards.security_code_sealed)

Converting a store with security codes in clear needs its master key: ``Store.migrate`` hands
the store's keys in (``config.attributes["store_keys"]``); without them the upgrade refuses
before it changes anything.

Revision ID: 0012
Revises: 0010
Create Date: 2026-11-28 00:40:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import context, op

revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None


def _keys() -> Any:
    keys = context.config.attributes.get("store_keys")
    if keys is None:
        from mynacard.errors import ConfigError

        raise ConfigError(
            "Converting this store (cards' security codes) needs its master key: set MYNACARD_MASTER_KEY "
            "or MYNACARD_KEY_FILE, or open it with the mynacard command.",
            "データベースの変換にはマスター鍵が必要です。"
            "MYNACARD_MASTER_KEY または MYNACARD_KEY_FILE を設定してください。",
        )
    return keys


def upgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, security_code FROM cards WHERE security_code IS NOT NULL")).all()
    # Before any DDL: SQLite commits a schema change at once, so a refusal must come first.
    vault = _keys().security_codes if rows else None
    # Plain ALTERs, no batch rebuild: SQLite (3.35 and later) adds and drops a column in place,
    # while a rebuild would DROP the cards table under the certificates and PIN rows that
    # reference it, which its foreign keys refuse.
    op.add_column("cards", sa.Column("security_code_sealed", sa.LargeBinary(), nullable=True))
    for card_id, code in rows:
        assert vault is not None
        conn.execute(
            sa.text("UPDATE cards SET security_code_sealed = :s WHERE id = :id"),
            {"s": vault.seal(card_id, code), "id": card_id},
        )
    op.drop_column("cards", "security_code")


def downgrade() -> None:
    raise NotImplementedError(
        "Security codes sealed at rest cannot be turned back into clear text by a migration: restore a "
        "backup taken before the upgrade instead."
    )
