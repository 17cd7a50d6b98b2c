"""Bulk data for the revocation benchmarks: a store with the two CAs and N revoked or held
certificates of one municipality, inserted in bulk (executemany on SQLite, COPY on PostgreSQL),
and the same entries as an OpenSSL ``index.txt`` so that ``openssl ca -gencrl`` and
``openssl ocsp`` work over the same CA and the same revocations.

The certificate rows carry a placeholder DER: a CRL needs only serial, status, reason and dates.
"""

from __future__ import annotations

import base64
import os
import random
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from mynacard.db.store import Store
from mynacard.services import pki, residents
from mynacard.services.context import Office
from mynacard.timeutil import JST

T0 = datetime(2026, 4, 1, 10, 0, tzinfo=JST)
MASTER_KEY = base64.b64decode(base64.b64encode(b"bench-master-key-32-bytes-long!!"))
MUNICIPALITY = "174076"
REASONS = ["key_compromise", "affiliation_changed", "superseded", "cessation_of_operation", "unspecified"]


@dataclass
class World:
    office: Office
    ca_pem: Path
    key_pem: Path
    index: Path
    serials: list[int]


def _sqlite_time(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def build(db: str, n: int, workdir: Path, *, seed: int = 1) -> World:
    """Create the store ``db`` (migrated) with N revoked (90%) or held (10%) signing certificates."""
    store = Store(db)
    store.migrate()
    office = Office(store=store, master_key=MASTER_KEY)
    with office.work(at=T0 - timedelta(days=400), actor="bench") as w:
        residents.add_municipality(w, MUNICIPALITY, "中能登町", "石川県")
        ca = pki.authority(w, "sign")
        pki.authority(w, "auth")
    rng = random.Random(seed)
    serials = sorted(rng.sample(range(2**62, 2**63), n))
    t = time.perf_counter()
    rows = []
    index_lines = []
    for i, serial in enumerate(serials):
        revoked = T0 - timedelta(seconds=rng.randrange(300 * 86400))
        hold = i % 10 == 0
        reason = "certificate_hold" if hold else REASONS[i % len(REASONS)]
        rows.append((str(serial), "sign", "C1", 1, MUNICIPALITY, "hold" if hold else "revoked",
                     revoked - timedelta(days=30), date(2030, 6, 15), revoked, reason))
        r = revoked.astimezone(UTC).strftime("%y%m%d%H%M%SZ")
        ossl_reason = {"key_compromise": "keyCompromise", "affiliation_changed": "affiliationChanged",
                       "superseded": "superseded", "cessation_of_operation": "cessationOfOperation",
                       "certificate_hold": "certificateHold", "unspecified": "unspecified"}[reason]
        index_lines.append(f"R\t300615000000Z\t{r},{ossl_reason}\t{serial:X}\tunknown\t/CN=c{i}\n")
    _insert(store, rows)
    print(f"data: {n:,} revoked/held certificates inserted in {time.perf_counter() - t:.1f} s")
    workdir.mkdir(parents=True, exist_ok=True)
    index = workdir / "index.txt"
    index.write_text("".join(index_lines))
    (workdir / "index.txt.attr").write_text("unique_subject = no\n")
    ca_pem, key_pem = workdir / "ca.pem", workdir / "ca.key"
    ca_pem.write_bytes(ca.certificate.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(ca._key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()))
    return World(office, ca_pem, key_pem, index, serials)


def _insert(store: Store, rows: list[tuple]) -> None:
    blob = "x'00'" if store.is_sqlite else "decode('00', 'hex')"
    with store.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO residents (id, number_sealed, number_hash, name, address, birth_date, sex, municipality_code, "
            "nationality, adult_ward, dv_protected, moving_out_filed, created_at) VALUES "
            f"(1, {blob}, '{'0' * 64}', 'bench', 'bench', '1990-01-01', '1', '{MUNICIPALITY}', 'JP', false, false, "
            "false, '2020-01-01 00:00:00')")
        conn.exec_driver_sql(
            "INSERT INTO cards (id, resident_id, application_id, state, notes) VALUES "
            "('C1', 1, '0', 'issued', '[]')")
    raw = store.engine.raw_connection()
    try:
        cur = raw.cursor()
        if store.is_sqlite:
            cur.executemany(
                "INSERT INTO certificates (serial, kind, card_id, resident_id, municipality_code, status, "
                "not_before, expires_on, revoked_at, reason, der) VALUES (?,?,?,?,?,?,?,?,?,?,x'00')",
                [(*r[:6], _sqlite_time(r[6]), r[7].isoformat(), _sqlite_time(r[8]), r[9]) for r in rows])
        else:
            with cur.copy("COPY certificates (serial, kind, card_id, resident_id, municipality_code, status, "
                          "not_before, expires_on, revoked_at, reason, der) FROM STDIN") as copy:
                for r in rows:
                    copy.write_row((*r[:6], r[6].astimezone(UTC).replace(tzinfo=None), r[7],
                                    r[8].astimezone(UTC).replace(tzinfo=None), r[9], b"\x00"))
        raw.commit()
    finally:
        raw.close()


def openssl_conf(workdir: Path, world: World) -> Path:
    conf = workdir / "openssl.cnf"
    conf.write_text(f"""[ ca ]
default_ca = bench
[ bench ]
database = {world.index}
certificate = {world.ca_pem}
private_key = {world.key_pem}
default_md = sha256
default_crl_days = 1
crlnumber = {workdir / "crlnumber"}
crl_extensions = crl_ext
[ crl_ext ]
authorityKeyIdentifier = keyid
""")
    (workdir / "crlnumber").write_text("01\n")
    return conf


def fresh_db(url: str | None, tmp: Path) -> str:
    """A new SQLite file in ``tmp``, or a new database on the PostgreSQL server of ``url``."""
    if not url:
        return str(tmp / "bench.db")
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"mynacard_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    os.environ.setdefault("MYNACARD_BENCH_DROP", "")
    os.environ["MYNACARD_BENCH_DROP"] += f" {name}"
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def drop_dbs(url: str | None) -> None:
    if not url:
        return
    from sqlalchemy import create_engine, text

    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        for name in os.environ.get("MYNACARD_BENCH_DROP", "").split():
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
