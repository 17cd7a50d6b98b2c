"""PostgreSQL: certificates partitioned by municipality, events by time (SQLite: no change)

National scale (docs/scale.md): ~200 million certificates and billions of events. On
PostgreSQL the two largest tables become partitioned tables, rows copied over in the same
transaction (nothing is lost; the upgrade is all or nothing):

* ``certificates``: ``PARTITION BY HASH (municipality_code)``, 16 partitions. A municipality's
  certificates (its CRL shard, R_CERT_8) live in one partition; the primary key becomes
  ``(serial, municipality_code)``, since PostgreSQL wants the partition key in every unique
  index (serials are 159 random bits: unique all the same). An OCSP look-up by serial probes the
  16 partitions' primary-key indexes.
* ``events``: ``PARTITION BY RANGE (at)``, one partition a year from 2000 to 2059 and a default
  one; the primary key becomes ``(id, at)``. Old years can be detached and archived whole.

SQLite keeps plain tables: the upgrade does nothing there. The downgrade turns the tables
back into plain ones (rows copied back).

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-28 02:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

CERT_PARTITIONS = 16
EVENT_YEARS = range(2000, 2060)

_CERT_INDEXES = [
    ("ix_certificates_kind_status", "kind, status"),
    ("ix_certificates_kind_revoked_at", "kind, revoked_at"),
    ("ix_certificates_status_expires_on", "status, expires_on"),
    ("ix_certificates_card_id", "card_id"),
    ("ix_certificates_resident_id", "resident_id"),
    ("ix_certificates_municipality_code", "municipality_code"),
]
_EVENT_INDEXES = [
    ("ix_events_at", "at"),
    ("ix_events_resident_id", "resident_id"),
    ("ix_events_card_id", "card_id"),
]


def _is_pg() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _is_partitioned(table: str) -> bool:
    return bool(op.get_bind().exec_driver_sql(
        "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
        f"WHERE c.relname = '{table}' AND c.relnamespace = current_schema()::regnamespace").first())


def _indexes(table: str, indexes: list[tuple[str, str]]) -> None:
    for name, cols in indexes:
        op.execute(f"CREATE INDEX {name} ON {table} ({cols})")


def upgrade() -> None:
    if not _is_pg():
        return  # SQLite: plain tables
    if not _is_partitioned("certificates"):
        op.execute("ALTER TABLE certificates RENAME TO certificates_plain")
        op.execute("CREATE TABLE certificates (LIKE certificates_plain INCLUDING DEFAULTS) "
                   "PARTITION BY HASH (municipality_code)")
        for i in range(CERT_PARTITIONS):
            op.execute(f"CREATE TABLE certificates_p{i:02d} PARTITION OF certificates "
                       f"FOR VALUES WITH (MODULUS {CERT_PARTITIONS}, REMAINDER {i})")
        op.execute("INSERT INTO certificates SELECT * FROM certificates_plain")
        op.execute("DROP TABLE certificates_plain")
        op.execute("ALTER TABLE certificates ADD CONSTRAINT certificates_pkey PRIMARY KEY (serial, municipality_code)")
        op.execute("ALTER TABLE certificates ADD CONSTRAINT certificates_card_id_fkey "
                   "FOREIGN KEY (card_id) REFERENCES cards (id)")
        op.execute("ALTER TABLE certificates ADD CONSTRAINT certificates_resident_id_fkey "
                   "FOREIGN KEY (resident_id) REFERENCES residents (id)")
        _indexes("certificates", _CERT_INDEXES)
    if not _is_partitioned("events"):
        op.execute("ALTER TABLE events RENAME TO events_plain")
        op.execute("ALTER SEQUENCE events_id_seq OWNED BY NONE")  # kept: the new table numbers on
        op.execute("CREATE TABLE events (LIKE events_plain INCLUDING DEFAULTS) PARTITION BY RANGE (at)")
        for y in EVENT_YEARS:
            op.execute(f"CREATE TABLE events_y{y} PARTITION OF events "
                       f"FOR VALUES FROM ('{y}-01-01') TO ('{y + 1}-01-01')")
        op.execute("CREATE TABLE events_other PARTITION OF events DEFAULT")
        op.execute("INSERT INTO events SELECT * FROM events_plain")
        op.execute("DROP TABLE events_plain")
        op.execute("ALTER SEQUENCE events_id_seq OWNED BY events.id")
        op.execute("ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY (id, at)")
        _indexes("events", _EVENT_INDEXES)
    op.execute("ANALYZE certificates")
    op.execute("ANALYZE events")


def downgrade() -> None:
    if not _is_pg():
        return
    if _is_partitioned("certificates"):
        op.execute("ALTER TABLE certificates RENAME TO certificates_parted")
        op.execute("CREATE TABLE certificates (LIKE certificates_parted INCLUDING DEFAULTS)")
        op.execute("INSERT INTO certificates SELECT * FROM certificates_parted")
        op.execute("DROP TABLE certificates_parted")  # drops its partitions
        op.execute("ALTER TABLE certificates ADD CONSTRAINT certificates_pkey PRIMARY KEY (serial)")
        op.execute("ALTER TABLE certificates ADD CONSTRAINT certificates_card_id_fkey "
                   "FOREIGN KEY (card_id) REFERENCES cards (id)")
        op.execute("ALTER TABLE certificates ADD CONSTRAINT certificates_resident_id_fkey "
                   "FOREIGN KEY (resident_id) REFERENCES residents (id)")
        _indexes("certificates", _CERT_INDEXES)
    if _is_partitioned("events"):
        op.execute("ALTER TABLE events RENAME TO events_parted")
        op.execute("ALTER SEQUENCE events_id_seq OWNED BY NONE")
        op.execute("CREATE TABLE events (LIKE events_parted INCLUDING DEFAULTS)")
        op.execute("INSERT INTO events SELECT * FROM events_parted")
        op.execute("DROP TABLE events_parted")
        op.execute("ALTER SEQUENCE events_id_seq OWNED BY events.id")
        op.execute("ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY (id)")
        _indexes("events", _EVENT_INDEXES)
