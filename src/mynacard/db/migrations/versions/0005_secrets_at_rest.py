"""secrets at rest: individual numbers sealed and looked up by a keyed hash; the audit chain keyed
by an HMAC; CA and OCSP responder keys may live in a PKCS#11 token (key_ref)

Converting an existing store needs its master key: ``Store.migrate`` hands the store's keys in
(``config.attributes["store_keys"]``); the command line opens the store with them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 23:30:00
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC
from typing import Any

import sqlalchemy as sa
from alembic import context, op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def _keys(what: str) -> Any:
    keys = context.config.attributes.get("store_keys")
    if keys is None:
        from mynacard.errors import ConfigError

        raise ConfigError(
            f"Converting this store ({what}) needs its master key: set MYNACARD_MASTER_KEY or "
            "MYNACARD_KEY_FILE, or open it with the mynacard command.",
            "データベースの変換にはマスター鍵が必要です。"
            "MYNACARD_MASTER_KEY または MYNACARD_KEY_FILE を設定してください。",
        )
    return keys


def _canonical(row: Any) -> bytes:
    at = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)
    details = row.details if isinstance(row.details, dict) else json.loads(row.details or "{}")
    body = {
        "id": row.id,
        "at": at.astimezone(UTC).replace(microsecond=0).isoformat(),
        "actor": row.actor,
        "role": row.role,
        "action": row.action,
        "target": row.target,
        "outcome": row.outcome,
        "details": details,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _convert_numbers(conn: sa.Connection) -> None:
    rows = conn.execute(sa.text("SELECT id, individual_number FROM residents")).all()
    if not rows:
        return
    vault = _keys("individual numbers").numbers
    for rid, number in rows:
        conn.execute(
            sa.text("UPDATE residents SET number_sealed = :s, number_hash = :h WHERE id = :id"),
            {"s": vault.seal(number), "h": vault.lookup(number), "id": rid},
        )


def _rekey_audit_chain(conn: sa.Connection) -> None:
    """Re-chain the entries under the audit key, as far as the old (unkeyed SHA-256) chain is
    intact. From the first broken link on, entries are left as they were, so ``audit verify``
    still reports where the old chain was broken."""
    from mynacard.db.types import AwareDateTime

    table = sa.table(
        "audit_log",
        sa.column("id", sa.Integer),
        sa.column("at", AwareDateTime()),
        sa.column("actor", sa.String),
        sa.column("role", sa.String),
        sa.column("action", sa.String),
        sa.column("target", sa.String),
        sa.column("outcome", sa.String),
        sa.column("details", sa.JSON),
        sa.column("prev_hash", sa.String),
        sa.column("hash", sa.String),
    )
    rows = conn.execute(sa.select(table).order_by(table.c.id)).all()
    if not rows:
        return
    key = _keys("the audit trail").audit
    old_prev, new_prev, prev_id = GENESIS, GENESIS, 0
    for row in rows:
        body = _canonical(row)
        intact = (
            row.id == prev_id + 1
            and row.prev_hash == old_prev
            and hashlib.sha256(row.prev_hash.encode() + b"\n" + body).hexdigest() == row.hash
        )
        if not intact:
            return
        new = hmac.new(key, new_prev.encode() + b"\n" + body, hashlib.sha256).hexdigest()
        conn.execute(table.update().where(table.c.id == row.id).values(prev_hash=new_prev, hash=new))
        old_prev, new_prev, prev_id = row.hash, new, row.id


def upgrade() -> None:
    conn = op.get_bind()
    # Before any DDL: SQLite commits a schema change at once, so a refusal must come first.
    for table, what in (("residents", "individual numbers"), ("audit_log", "the audit trail")):
        if conn.execute(sa.text(f"SELECT 1 FROM {table} LIMIT 1")).first() is not None:
            _keys(what)
    with op.batch_alter_table("residents") as batch_op:
        batch_op.add_column(sa.Column("number_sealed", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("number_hash", sa.String(length=64), nullable=True))
    _convert_numbers(conn)
    with op.batch_alter_table("residents") as batch_op:
        batch_op.alter_column("number_sealed", existing_type=sa.LargeBinary(), nullable=False)
        batch_op.alter_column("number_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint("uq_residents_number_hash", ["number_hash"])
        batch_op.drop_column("individual_number")
    op.create_table(
        "store_meta",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    keys = context.config.attributes.get("store_keys")
    if keys is not None:
        op.bulk_insert(
            sa.table("store_meta", sa.column("name", sa.String), sa.column("value", sa.String)),
            [{"name": "master_key_check", "value": keys.fingerprint}],
        )
    with op.batch_alter_table("certificate_authorities") as batch_op:
        batch_op.add_column(sa.Column("key_ref", sa.String(length=200), nullable=True))
    with op.batch_alter_table("ocsp_responders") as batch_op:
        batch_op.add_column(sa.Column("key_ref", sa.String(length=200), nullable=True))
    _rekey_audit_chain(conn)


def downgrade() -> None:
    raise NotImplementedError(
        "Numbers sealed at rest and the keyed audit chain cannot be turned back into clear text by a "
        "migration: restore a backup taken before the upgrade instead."
    )
