"""revocation at scale: the log of status changes that keeps every process's OCSP answers true
(written by a trigger on certificates, so that no statement changes a status unseen), and the
index of the per-municipality CRL partitions

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-28 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mynacard.db.types import BigSerial

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_SQLITE = [
    """CREATE TRIGGER trg_certificates_status_log AFTER UPDATE OF status ON certificates
       WHEN OLD.status IS NOT NEW.status
       BEGIN INSERT INTO revocation_changes (serial) VALUES (NEW.serial); END""",
    """CREATE TRIGGER trg_certificates_delete_log AFTER DELETE ON certificates
       BEGIN INSERT INTO revocation_changes (serial) VALUES (OLD.serial); END""",
]
_POSTGRES = [
    """CREATE FUNCTION mynacard_log_status() RETURNS trigger AS $$
       BEGIN
         INSERT INTO revocation_changes (serial) VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.serial
                                                              ELSE NEW.serial END);
         PERFORM pg_notify('mynacard_revocation', '');
         RETURN NULL;
       END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER trg_certificates_status_log AFTER UPDATE OF status ON certificates
       FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION mynacard_log_status()""",
    """CREATE TRIGGER trg_certificates_delete_log AFTER DELETE ON certificates
       FOR EACH ROW EXECUTE FUNCTION mynacard_log_status()""",
]


def upgrade() -> None:
    have = sa.inspect(op.get_bind())
    if have.has_table("revocation_changes"):
        return  # a store relabelled to an older revision (a restore, a test) already has it all
    op.create_table(
        "revocation_changes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("serial", BigSerial(length=50), nullable=False),
    )
    op.create_index("ix_certificates_kind_municipality_status", "certificates",
                    ["kind", "municipality_code", "status"])
    for stmt in _POSTGRES if op.get_bind().dialect.name == "postgresql" else _SQLITE:
        op.execute(stmt)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS trg_certificates_delete_log" +
               (" ON certificates" if op.get_bind().dialect.name == "postgresql" else ""))
    op.execute("DROP TRIGGER IF EXISTS trg_certificates_status_log" +
               (" ON certificates" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS mynacard_log_status()")
    op.drop_index("ix_certificates_kind_municipality_status", table_name="certificates")
    op.drop_table("revocation_changes")
