"""One publisher of revocation status (R_CERT_8): a status change made by another process (the
CLI) is what a running ``mynacard serve`` answers at once, over OCSP and the CRL, because the
CLI's own unit of work re-signed the response and marked the CRLs stale before it committed."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from sqlalchemy import select

from mynacard.crypto import load_or_create_master_key
from mynacard.db import repositories as repo
from mynacard.db.staff import OcspCacheEntry
from mynacard.db.store import Store
from mynacard.services import pki, residents
from mynacard.services.context import Office
from tests.conftest import skip_or_fail
from tests.keypool import pooled_key
from tests.services.conftest import at, issued_card, new_resident
from tests.web.live import free_port

pytestmark = pytest.mark.slow
MYNACARD = [sys.executable, "-m", "mynacard.cli.main"]
SERVE_AT = "2025-06-01T12:00"  # the service's frozen clock
CLI_AT = "2025-06-01T11:00"  # the clerk's command, an hour before


@pytest.fixture
def world(tmp_path):
    db = str(tmp_path / "town.db")
    store = Store(db)
    store.migrate()
    office = Office(store=store, master_key=load_or_create_master_key(Path(db + ".key")), keygen=pooled_key)
    with office.work(at=at("2020-01-01"), actor="setup") as w:
        residents.add_municipality(w, "174076", "中能登町", "石川県")
    card_id = issued_card(office, new_resident(office))
    with office.work(at=at("2025-05-10"), actor="t") as w:
        cert = repo.latest_certificate(w.session, card_id, "auth")
        ca = pki.authority(w, "auth").certificate
        leaf = x509.load_der_x509_certificate(cert.der)
    yield office, db, card_id, leaf, ca
    store.dispose()


def _serve(db: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MYNACARD_BASE_URL": f"http://127.0.0.1:{port}"}
    proc = subprocess.Popen([*MYNACARD, "--db", db, "--at", SERVE_AT, "serve", "--frozen", "--port", str(port),
                             "--workers", str(workers)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ca/auth.cer", timeout=2).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("mynacard serve did not start")


def _status(port: int, leaf: x509.Certificate, ca: x509.Certificate) -> ocsp.OCSPResponse:
    req = ocsp.OCSPRequestBuilder().add_certificate(leaf, ca, hashes.SHA1()).build().public_bytes(Encoding.DER)
    r = httpx.post(f"http://127.0.0.1:{port}/ocsp/auth", content=req, timeout=10)
    return ocsp.load_der_ocsp_response(r.content)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_revocation_from_the_cli_is_answered_by_a_running_serve_at_once_R_CERT_8(world, workers):
    office, db, card_id, leaf, ca = world
    port = free_port()
    proc = _serve(db, port, workers)
    try:
        # every worker has answered (and cached what it could) before the change
        for _ in range(2 * workers):
            assert _status(port, leaf, ca).certificate_status == ocsp.OCSPCertStatus.GOOD
        crl = x509.load_der_x509_crl(httpx.get(f"http://127.0.0.1:{port}/crl/auth.crl").content)
        assert crl.get_revoked_certificate_by_serial_number(leaf.serial_number) is None

        out = subprocess.run([*MYNACARD, "--db", db, "--at", CLI_AT, "cert", "revoke", card_id, "auth"],
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr

        # the CLI's unit of work signed the new response itself, at its own time
        with office.store.session() as s:
            row = s.scalars(select(OcspCacheEntry).where(OcspCacheEntry.serial == str(leaf.serial_number))).one()
        assert row.status == "revoked" and row.produced_at == at(CLI_AT)
        for _ in range(2 * workers):
            resp = _status(port, leaf, ca)
            assert resp.certificate_status == ocsp.OCSPCertStatus.REVOKED
            assert resp.produced_at_utc == at(CLI_AT)  # served as the CLI published it, not re-signed
        crl = x509.load_der_x509_crl(httpx.get(f"http://127.0.0.1:{port}/crl/auth.crl").content)
        assert crl.get_revoked_certificate_by_serial_number(leaf.serial_number) is not None
        part = x509.load_der_x509_crl(httpx.get(f"http://127.0.0.1:{port}/crl/auth/174076.crl").content)
        assert part.get_revoked_certificate_by_serial_number(leaf.serial_number) is not None
    finally:
        proc.terminate()
        proc.wait(30)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_revocation_from_the_cli_is_answered_by_a_running_serve_ocsp_at_once_R_CERT_8(world, workers):
    """The same for the lean responder (``serve-ocsp``): its workers answer from the same publisher."""
    try:
        import httptools  # noqa: F401
    except ImportError as e:
        skip_or_fail(f"serve-ocsp needs the fast extra (pip install -e '.[fast]'): {e}")
    _, db, card_id, leaf, ca = world
    port = free_port()
    proc = subprocess.Popen([*MYNACARD, "--db", db, "--at", SERVE_AT, "serve-ocsp", "--frozen", "--port", str(port),
                             "--workers", str(workers)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_for(port, proc)
        get = "/ocsp/auth/" + base64.urlsafe_b64encode(
            ocsp.OCSPRequestBuilder().add_certificate(leaf, ca, hashes.SHA1()).build().public_bytes(Encoding.DER)
        ).decode()
        for _ in range(2 * workers):
            assert _status(port, leaf, ca).certificate_status == ocsp.OCSPCertStatus.GOOD
            got = ocsp.load_der_ocsp_response(httpx.get(f"http://127.0.0.1:{port}{get}", timeout=10).content)
            assert got.certificate_status == ocsp.OCSPCertStatus.GOOD

        out = subprocess.run([*MYNACARD, "--db", db, "--at", CLI_AT, "cert", "revoke", card_id, "auth"],
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr

        for _ in range(2 * workers):
            resp = _status(port, leaf, ca)
            assert resp.certificate_status == ocsp.OCSPCertStatus.REVOKED
            assert resp.produced_at_utc == at(CLI_AT)  # served as the CLI published it
            got = ocsp.load_der_ocsp_response(httpx.get(f"http://127.0.0.1:{port}{get}", timeout=10).content)
            assert got.certificate_status == ocsp.OCSPCertStatus.REVOKED
        crl = x509.load_der_x509_crl(httpx.get(f"http://127.0.0.1:{port}/crl/auth.crl").content)
        assert crl.get_revoked_certificate_by_serial_number(leaf.serial_number) is not None

        killed = _children(proc.pid)
        for pid in killed:  # workers that die are forked again
            os.kill(pid, signal.SIGKILL)
        _wait_for(port, proc)
        assert _status(port, leaf, ca).certificate_status == ocsp.OCSPCertStatus.REVOKED
        # the supervisor reaps the dead one by one, half a second apart, and forks each one again
        assert _replaced(proc.pid, killed), f"children before {killed}, now {_children(proc.pid)}"
    finally:
        proc.terminate()
        assert proc.wait(30) == 0  # the supervisor stops its workers and ends cleanly


def _replaced(pid: int, killed: list[int], within: float = 30) -> bool:
    deadline = time.monotonic() + within
    while set(killed) & set(now := _children(pid)) or len(now) != len(killed):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def _wait_for(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"serve-ocsp exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/crl/auth.crl", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("mynacard serve-ocsp did not start")
