"""First publications under concurrency (R_CERT_8): many threads and many processes asking at
once for the first CRL, delta CRL and OCSP response of a CA, on SQLite and PostgreSQL, all get
the same valid answer; nobody gets a duplicate key."""

from __future__ import annotations

import base64
import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp

from mynacard.db import repositories as repo
from mynacard.db.store import Store
from mynacard.services import certificates, loss, pki, residents
from mynacard.services.context import Office
from mynacard.services.revocation import answer, crls
from tests.keypool import pooled_key
from tests.services.conftest import at, issued_card, new_resident

pytestmark = pytest.mark.slow
KEY = base64.b64encode(b"k" * 32).decode()
N = 6


def _world(url: str, when: str) -> tuple[Office, bytes, int]:
    """Two new cards, one held and one with its signing certificate revoked, a day before ``when``
    (the PostgreSQL database is the module's: the second test adds to the first one's world)."""
    store = Store(url)
    store.migrate()
    office = Office(store=store, master_key=base64.b64decode(KEY), keygen=pooled_key)
    with office.work(at=at("2020-01-01"), actor="setup") as w:
        residents.add_municipality(w, "174076", "中能登町", "石川県")
    held = issued_card(office, new_resident(office))
    revoked = issued_card(office, new_resident(office))
    with office.work(at=at(when) - timedelta(days=1), actor="t") as w:
        loss.report_loss(w, held)
        certificates.revoke(w, revoked, "sign")
        cert = repo.latest_certificate(w.session, revoked, "auth")
        req = ocsp.OCSPRequestBuilder().add_certificate(
            x509.load_der_x509_certificate(cert.der), pki.authority(w, "auth").certificate, hashes.SHA1()).build()
        listed = len(repo.certificates(w.session, kind="sign", statuses=["revoked", "hold"]))
    return office, req.public_bytes(Encoding.DER), listed


def _ask(office: Office, what: str, req: bytes, when: str) -> bytes:
    if what == "ocsp":
        return answer(office, "auth", req, at=at(when))
    scope = "174076" if what.startswith("part") else ""
    return crls.serve(office, "sign", scope, what.endswith("delta"), at=at(when))


WHAT = ("full", "delta", "part", "part-delta", "ocsp")


def _check(results: dict[str, list[bytes]], when: str, listed: int) -> None:
    for what, ders in results.items():
        assert len(set(ders)) == 1, f"{what}: {len(set(ders))} different answers, one publication expected"
        if what == "ocsp":
            assert ocsp.load_der_ocsp_response(ders[0]).certificate_status == ocsp.OCSPCertStatus.GOOD
        else:
            crl = x509.load_der_x509_crl(ders[0])
            assert crl.last_update_utc == at(when)
            assert len(crl) == (0 if what.endswith("delta") else listed), what


def _process(url: str, req: bytes, when: str, barrier: threading.Barrier, queue: multiprocessing.Queue) -> None:
    office = Office(store=Store(url), master_key=base64.b64decode(KEY))
    barrier.wait(60)
    try:
        queue.put({what: _ask(office, what, req, when) for what in WHAT})
    except Exception as e:  # pragma: no cover - reported to the parent
        queue.put(repr(e))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request, tmp_path):
    if request.param == "sqlite":
        return str(tmp_path / "c.db")
    return request.getfixturevalue("pg_url")


def test_threads_publish_each_first_crl_and_response_once(url):
    when = "2025-06-01T10:00"
    office, req, listed = _world(url, when)
    barrier = threading.Barrier(N)

    def one(_: int) -> dict[str, bytes]:
        barrier.wait(30)
        return {what: _ask(office, what, req, when) for what in WHAT}

    with ThreadPoolExecutor(N) as pool:
        got = list(pool.map(one, range(N)))
    _check({what: [g[what] for g in got] for what in WHAT}, when, listed)
    office.store.dispose()


def test_processes_publish_each_first_crl_and_response_once(url):
    when = "2025-07-01T10:00"
    office, req, listed = _world(url, when)
    office.store.dispose()
    ctx = multiprocessing.get_context("spawn")
    barrier, queue = ctx.Barrier(N), ctx.Queue()
    procs = [ctx.Process(target=_process, args=(url, req, when, barrier, queue)) for _ in range(N)]
    for p in procs:
        p.start()
    got = [queue.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(30)
    assert all(isinstance(g, dict) for g in got), got
    _check({what: [g[what] for g in got] for what in WHAT}, when, listed)


def test_delta_crl_lists_a_released_hold_as_remove_from_crl_R_CERT_8(url):
    when = "2025-08-01T10:00"
    office, _, _ = _world(url, when)
    card_id = issued_card(office, new_resident(office))
    with office.work(at=at(when), actor="t") as w:
        loss.report_loss(w, card_id)
        serial = repo.latest_certificate(w.session, card_id, "sign").serial
    base = x509.load_der_x509_crl(crls.serve(office, "sign", "", False, at=at(when) + timedelta(minutes=1)))
    assert base.get_revoked_certificate_by_serial_number(serial) is not None
    with office.work(at=at(when) + timedelta(hours=1), actor="t") as w:
        loss.found(w, card_id)
    delta = x509.load_der_x509_crl(crls.serve(office, "sign", "", True, at=at(when) + timedelta(hours=2)))
    entry = delta.get_revoked_certificate_by_serial_number(serial)
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason == x509.ReasonFlags.remove_from_crl
    number = base.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    assert delta.extensions.get_extension_for_class(x509.DeltaCRLIndicator).value.crl_number == number
    assert len(delta) == 1
    full = x509.load_der_x509_crl(crls.serve(office, "sign", "", False, at=at(when) + timedelta(hours=2)))
    assert full.get_revoked_certificate_by_serial_number(serial) is None
    office.store.dispose()
