"""OCSP from a streaming replica while the window writes to the primary (MYNACARD_DB_READ).

Two PostgreSQL clusters on this machine, made for the test: a primary (initdb) and a hot standby
copied from it (pg_basebackup -R), on two free ports, run as the ``postgres`` user when the test
runs as root. Skipped (failed in CI) when the PostgreSQL 15 server binaries are missing.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from datetime import date, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import DBAPIError

from mynacard.db import repositories as repo
from mynacard.db.store import Store
from mynacard.ids import IndividualNumber
from mynacard.services import loss, pki, residents, revocation
from mynacard.services.context import Office
from tests.conftest import skip_or_fail
from tests.keypool import pooled_key
from tests.services.conftest import MASTER_KEY, NAKANOTO, at, issued_card, new_resident

BIN = os.environ.get("MYNACARD_PG_BIN", "/usr/lib/postgresql/15/bin")
pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(args: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return args
    return ["runuser", "-u", "postgres", "--", *args]


def _run(args: list[str]) -> None:
    done = subprocess.run(_as_postgres(args), capture_output=True, text=True, timeout=180)
    if done.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed: {done.stderr or done.stdout}")


@pytest.fixture(scope="module")
def clusters(tmp_path_factory):
    """(primary URL, replica URL) of two clusters made for this module, stopped afterwards."""
    if not all(os.path.exists(f"{BIN}/{b}") for b in ("initdb", "pg_ctl", "pg_basebackup")):
        skip_or_fail(f"PostgreSQL server binaries not found in {BIN} (apt-get install postgresql)")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        skip_or_fail("running as root without runuser: cannot start PostgreSQL as the postgres user")
    base = tmp_path_factory.mktemp("replica")
    os.chmod(base, 0o777)
    for p in (base, *base.parents):
        if str(p) in ("/", "/tmp"):
            break
        os.chmod(p, os.stat(p).st_mode | 0o711)  # the postgres user must reach its data folders
    primary, replica, sock = base / "primary", base / "replica", base / "sock"
    sock.mkdir()
    os.chmod(sock, 0o777)
    p1, p2 = _free_port(), _free_port()
    _run([f"{BIN}/initdb", "-D", str(primary), "-U", "postgres", "--auth=trust", "-E", "UTF8"])
    with open(primary / "postgresql.conf", "a") as f:
        f.write(f"port = {p1}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{sock}'\n"
                "wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\nfsync = off\n")
    started = []
    try:
        _run([f"{BIN}/pg_ctl", "-D", str(primary), "-w", "-l", str(base / "primary.log"), "start"])
        started.append(primary)
        _run([f"{BIN}/pg_basebackup", "-h", "127.0.0.1", "-p", str(p1), "-U", "postgres", "-D", str(replica),
              "-R", "-X", "stream"])
        with open(replica / "postgresql.conf", "a") as f:
            f.write(f"port = {p2}\n")
        _run([f"{BIN}/pg_ctl", "-D", str(replica), "-w", "-l", str(base / "replica.log"), "start"])
        started.append(replica)
        admin = create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{p1}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text("CREATE DATABASE mynacard"))
        admin.dispose()
        yield (f"postgresql+psycopg://postgres@127.0.0.1:{p1}/mynacard",
               f"postgresql+psycopg://postgres@127.0.0.1:{p2}/mynacard")
    finally:
        for d in reversed(started):
            subprocess.run(_as_postgres([f"{BIN}/pg_ctl", "-D", str(d), "-m", "immediate", "stop"]),
                           capture_output=True, timeout=60)


def _caught_up(store: Store, timeout: float = 30) -> None:
    """Wait until the replica has replayed everything the primary has written."""
    with store.engine.connect() as c:
        lsn = c.execute(text("SELECT pg_current_wal_lsn()")).scalar()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with store.read_engine.connect() as c:
            if c.execute(text("SELECT pg_last_wal_replay_lsn() >= CAST(:l AS pg_lsn)"), {"l": lsn}).scalar():
                return
        time.sleep(0.05)
    raise AssertionError("the replica did not catch up")


def _statements(engine) -> list[str]:  # type: ignore[no-untyped-def]
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


def _request(office: Office, card_id: str) -> bytes:
    with office.work(at=at("2025-06-01"), actor="t") as w:
        cert = x509.load_der_x509_certificate(repo.current_certificate(w.session, card_id, "auth").der)
        ca = pki.authority(w, "auth").certificate
    return ocsp.OCSPRequestBuilder().add_certificate(cert, ca, hashes.SHA1()).build().public_bytes(Encoding.DER)


def test_ocsp_answers_from_the_replica_while_the_window_writes_R_CERT_8(clusters):
    primary_url, replica_url = clusters
    store = Store(primary_url, read_db=replica_url)
    store.migrate()
    office = Office(store=store, master_key=MASTER_KEY, keygen=pooled_key)
    with office.work(at=at("2025-01-01"), actor="setup") as w:
        residents.add_municipality(w, NAKANOTO, "中能登町", "石川県")
    rid = new_resident(office, name="複製 花子", birth=date(1985, 3, 3))
    card_id = issued_card(office, rid)
    req = _request(office, card_id)
    when = at("2025-06-01T12:00")
    first = ocsp.load_der_ocsp_response(revocation.answer(office, "auth", req, at=when))
    assert first.certificate_status == ocsp.OCSPCertStatus.GOOD  # signed on the primary, stored
    _caught_up(store)

    # the replica refuses writes: it is a read-only session on a hot standby
    with pytest.raises(DBAPIError), store.read_session() as s:
        s.execute(text("DELETE FROM certificates"))

    on_primary, on_replica = _statements(store.engine), _statements(store.read_engine)
    stop, written, errors = threading.Event(), [], []

    def window() -> None:  # the window registers residents on the primary meanwhile
        i = 0
        while not stop.is_set() and i < 200:
            try:
                with office.work(at=at("2025-06-01T13:00"), actor="clerk") as w:
                    r = residents.register(w, individual_number=str(IndividualNumber.generate()), name=f"窓口 {i}",
                                           address="石川県鹿島郡中能登町1", birth_date=date(1970, 1, 1) + timedelta(i),
                                           sex="2", municipality_code=NAKANOTO)
                    written.append(r.id)
            except Exception as e:  # reported below, never hidden
                errors.append(e)
                return
            i += 1

    t = threading.Thread(target=window)
    t.start()
    try:
        answers = [revocation.answer(office, "auth", req, at=when + timedelta(minutes=k)) for k in range(20)]
    finally:
        stop.set()
        t.join()
    assert not errors and written, errors
    assert all(ocsp.load_der_ocsp_response(a).certificate_status == ocsp.OCSPCertStatus.GOOD for a in answers)
    assert any("certificates" in s for s in on_replica)  # the look-ups went to the replica
    assert not any("certificates" in s or "ocsp" in s.lower() for s in on_primary), on_primary[:3]
    assert any("INSERT INTO residents" in s for s in on_primary)  # while the window wrote to the primary

    # a hold on the primary reaches relying parties through the replica once replayed (R_LOSS_1)
    with office.work(at=at("2025-06-02"), actor="hotline") as w:
        loss.hotline_suspend(w, name="複製 花子", birth_date=date(1985, 3, 3))
    _caught_up(store)
    held = ocsp.load_der_ocsp_response(revocation.answer(office, "auth", req, at=at("2025-06-02T01:00")))
    assert held.certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert held.revocation_reason == x509.ReasonFlags.certificate_hold
    store.dispose()


def test_without_a_replica_reads_go_to_the_primary(tmp_path, monkeypatch):
    monkeypatch.delenv("MYNACARD_DB_READ", raising=False)
    store = Store(str(tmp_path / "one.db"))
    assert store.read_engine is store.engine and store.read_url is None
    store.dispose()


def test_a_sqlite_read_store_is_opened_read_only(tmp_path):
    store = Store(str(tmp_path / "p.db"), read_db=str(tmp_path / "p.db"))
    store.migrate()
    with pytest.raises(DBAPIError), store.read_session() as s:
        s.execute(text("DELETE FROM store_meta"))
    store.dispose()
