"""OCSP answered from each worker's memory (or Redis) stays true (RFC 6960, R_CERT_8): a status
changed through the CLI, or by plain SQL, is answered at once; unknown serials of a known issuer
get a signed ``unknown``, another issuer ``unauthorized``, garbage ``malformedRequest``; GET with
the base64 request in the URL answers the same as POST; the refresher signs old responses again."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from typer.testing import CliRunner

from mynacard.cli.main import app as cli
from mynacard.db import repositories as repo
from mynacard.db.staff import OcspCacheEntry
from mynacard.services import pki
from mynacard.services.revocation import cache
from mynacard.web.app import create_app
from mynacard.web.clock import Clock
from tests.conftest import skip_or_fail
from tests.services.conftest import at, issued_card, new_resident

NOW = "2025-06-01T10:00"


def _leaf_and_ca(office, card_id, kind="auth"):
    with office.work(at=at("2025-05-10"), actor="t") as w:
        cert = repo.latest_certificate(w.session, card_id, kind)
        return x509.load_der_x509_certificate(cert.der), pki.authority(w, kind).certificate


def _request(leaf, ca, nonce: bytes | None = None) -> bytes:
    b = ocsp.OCSPRequestBuilder().add_certificate(leaf, ca, hashes.SHA1())
    if nonce is not None:
        b = b.add_extension(x509.OCSPNonce(nonce), critical=False)
    return b.build().public_bytes(Encoding.DER)


def _verified(body: bytes) -> ocsp.OCSPResponse:
    resp = ocsp.load_der_ocsp_response(body)
    assert resp.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    (responder,) = resp.certificates
    responder.public_key().verify(resp.signature, resp.tbs_response_bytes, padding.PKCS1v15(), hashes.SHA256())
    return resp


def _cli(office, *args: str, when: str):
    db = office.store.engine.url.database
    env = {"MYNACARD_MASTER_KEY": base64.b64encode(office.master_key).decode()}
    result = CliRunner().invoke(cli, ["--db", db, "--at", when, "--json", *args], env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def client(office):
    with TestClient(create_app(office, clock=Clock(at(NOW), advance=False))) as c:
        yield c


def test_a_revocation_through_the_cli_is_answered_at_once_from_memory_R_CERT_8(office, client):
    card_id = issued_card(office, new_resident(office))
    leaf, ca = _leaf_and_ca(office, card_id)
    req = _request(leaf, ca)
    first = client.post("/ocsp/auth", content=req)
    assert _verified(first.content).certificate_status == ocsp.OCSPCertStatus.GOOD
    again = client.post("/ocsp/auth", content=req)
    assert again.content == first.content
    assert leaf.serial_number in cache.answers(office.store).entries  # kept in this process's memory

    _cli(office, "cert", "revoke", card_id, "auth", when=NOW)  # another Store, as another process

    resp = _verified(client.post("/ocsp/auth", content=req).content)
    assert resp.certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert resp.serial_number == leaf.serial_number


def test_a_status_changed_by_plain_sql_is_not_served_from_memory_R_CERT_8(office, client):
    card_id = issued_card(office, new_resident(office))
    leaf, ca = _leaf_and_ca(office, card_id)
    req = _request(leaf, ca)
    client.post("/ocsp/auth", content=req)
    assert _verified(client.post("/ocsp/auth", content=req).content).certificate_status == ocsp.OCSPCertStatus.GOOD
    with office.store.engine.begin() as conn:  # no unit of work: only the trigger's change log tells
        conn.execute(text("UPDATE certificates SET status='revoked', reason='key_compromise', "
                          "revoked_at='2025-05-31 01:00:00' WHERE serial=:s"), {"s": str(leaf.serial_number)})
    resp = _verified(client.post("/ocsp/auth", content=req).content)
    assert resp.certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert resp.revocation_reason == x509.ReasonFlags.key_compromise


def test_get_with_the_base64_request_in_the_url_answers_as_post_R_CERT_8(office, client):
    leaf, ca = _leaf_and_ca(office, issued_card(office, new_resident(office)))
    req = _request(leaf, ca)
    posted = client.post("/ocsp/auth", content=req)
    got = client.get("/ocsp/auth/" + quote(base64.b64encode(req).decode(), safe=""))
    assert got.status_code == 200 and got.headers["content-type"] == "application/ocsp-response"
    assert got.content == posted.content
    url_safe = client.get("/ocsp/auth/" + base64.urlsafe_b64encode(req).decode().rstrip("="))
    assert url_safe.content == posted.content


def test_unknown_serial_unknown_issuer_garbage_and_a_nonce_R_CERT_8(office, client):
    leaf, ca = _leaf_and_ca(office, issued_card(office, new_resident(office)))
    good = ocsp.load_der_ocsp_request(_request(leaf, ca))
    unknown = ocsp.OCSPRequestBuilder().add_certificate_by_hash(
        good.issuer_name_hash, good.issuer_key_hash, leaf.serial_number + 1, hashes.SHA1()).build()
    for _ in range(2):  # the second time too: an unknown is never served from a stale memory
        resp = _verified(client.post("/ocsp/auth", content=unknown.public_bytes(Encoding.DER)).content)
        assert resp.certificate_status == ocsp.OCSPCertStatus.UNKNOWN
        assert resp.serial_number == leaf.serial_number + 1
    # asked of the signing CA, whose hashes the request does not carry: not ours to answer
    other = ocsp.load_der_ocsp_response(client.post("/ocsp/sign", content=_request(leaf, ca)).content)
    assert other.response_status == ocsp.OCSPResponseStatus.UNAUTHORIZED
    for body in (b"", b"\x30\x03\x02\x01\x01", b"not ocsp" * 10):
        r = client.post("/ocsp/auth", content=body)
        assert r.status_code == 200
        assert ocsp.load_der_ocsp_response(r.content).response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    bad_get = client.get("/ocsp/auth/%%%not-base64")
    assert ocsp.load_der_ocsp_response(bad_get.content).response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    # a nonce is allowed; the pre-signed answer carries none (RFC 8954 2.1), with the right status
    with_nonce = _verified(client.post("/ocsp/auth", content=_request(leaf, ca, nonce=b"\x01" * 16)).content)
    assert with_nonce.certificate_status == ocsp.OCSPCertStatus.GOOD
    assert not any(isinstance(e.value, x509.OCSPNonce) for e in with_nonce.extensions)


def test_the_refresher_signs_again_what_nears_its_next_update_R_CERT_8(office, client):
    leaf, ca = _leaf_and_ca(office, issued_card(office, new_resident(office)))
    client.post("/ocsp/auth", content=_request(leaf, ca))
    with office.store.session() as s:
        before = s.get(OcspCacheEntry, leaf.serial_number)
        assert before is not None
    early = _cli(office, "ocsp", "refresh", when="2025-06-01T12:00")  # 22 hours left: nothing due
    assert early["signed_again"] == 0
    late = _cli(office, "ocsp", "refresh", when="2025-06-02T05:00")  # 5 hours before nextUpdate
    assert late["signed_again"] >= 1
    with office.store.session() as s:
        after = s.get(OcspCacheEntry, leaf.serial_number)
    assert after.produced_at == at("2025-06-02T05:00") and after.next_update > before.next_update
    assert ocsp.load_der_ocsp_response(after.der).certificate_status == ocsp.OCSPCertStatus.GOOD


@pytest.fixture
def redis_env(monkeypatch):
    url = "redis://127.0.0.1:6379/0"
    monkeypatch.setenv(cache.REDIS_ENV, url)
    cache._redis_clients.clear()
    try:
        client = cache.redis_client()
        assert client is not None
        client.ping()
    except Exception as e:
        skip_or_fail(f"Redis not reachable at 127.0.0.1:6379: {type(e).__name__}: {e}")
    yield client
    cache._redis_clients.clear()


def test_redis_keeps_one_answer_for_all_workers_and_follows_a_cli_revocation_R_CERT_8(redis_env, office, client):
    card_id = issued_card(office, new_resident(office))
    leaf, ca = _leaf_and_ca(office, card_id)
    key = f"mynacard:ocsp:{leaf.serial_number}"
    try:
        req = _request(leaf, ca)
        first = client.post("/ocsp/auth", content=req)
        assert _verified(first.content).certificate_status == ocsp.OCSPCertStatus.GOOD
        stored = redis_env.get(key)
        assert stored is not None and stored.endswith(first.content)  # in Redis, not in the process
        assert not cache.answers(office.store).entries
        redis_env.set(key, stored[:-len(first.content)] + b"stale marker: served from Redis")
        assert client.post("/ocsp/auth", content=req).content == b"stale marker: served from Redis"

        _cli(office, "cert", "revoke", card_id, "auth", when=NOW)

        after = redis_env.get(key)
        resp = _verified(client.post("/ocsp/auth", content=req).content)
        assert resp.certificate_status == ocsp.OCSPCertStatus.REVOKED
        assert after is not None and after.endswith(resp.public_bytes(Encoding.DER))  # written by the CLI
    finally:
        redis_env.delete(key)


@pytest.mark.postgres
def test_on_postgresql_a_change_reaches_memory_by_notify_R_CERT_8(pg_url):
    import time

    from mynacard.db.store import Store
    from mynacard.services import residents
    from mynacard.services.context import Office
    from tests.keypool import pooled_key
    from tests.services.conftest import MASTER_KEY, NAKANOTO

    store = Store(pg_url)
    store.migrate()
    office = Office(store=store, master_key=MASTER_KEY, keygen=pooled_key)
    with office.work(at=at("2020-01-01"), actor="setup") as w:
        residents.add_municipality(w, NAKANOTO, "中能登町", "石川県")
    try:
        leaf, ca = _leaf_and_ca(office, issued_card(office, new_resident(office)))
        req = _request(leaf, ca)
        with TestClient(create_app(office, clock=Clock(at(NOW), advance=False))) as client:
            client.post("/ocsp/auth", content=req)
            assert _verified(client.post("/ocsp/auth", content=req).content).certificate_status == (
                ocsp.OCSPCertStatus.GOOD)
            assert leaf.serial_number in cache.answers(store).entries
            with store.engine.begin() as conn:
                conn.execute(text("UPDATE certificates SET status='revoked', reason='key_compromise', "
                                  "revoked_at='2025-05-31 01:00:00' WHERE serial=:s"), {"s": str(leaf.serial_number)})
            deadline = time.monotonic() + 2  # NOTIFY arrives on the listener's connection at the commit
            while True:
                status = _verified(client.post("/ocsp/auth", content=req).content).certificate_status
                if status == ocsp.OCSPCertStatus.REVOKED or time.monotonic() > deadline:
                    break
                time.sleep(0.01)
            assert status == ocsp.OCSPCertStatus.REVOKED
    finally:
        store.dispose()


def test_the_refresher_keeps_only_the_last_changes_of_the_log(office, monkeypatch):
    from mynacard.db.staff import RevocationChange
    from mynacard.services.revocation.refresh import refresh

    leaf, _ = _leaf_and_ca(office, issued_card(office, new_resident(office)))
    with office.store.engine.begin() as conn:
        for status in ("hold", "good", "hold", "good", "hold"):  # five changes, five log rows
            conn.execute(text("UPDATE certificates SET status=:st WHERE serial=:s"),
                         {"st": status, "s": str(leaf.serial_number)})
        conn.execute(text("UPDATE certificates SET status='hold' WHERE serial=:s"),  # no change, no row
                     {"s": str(leaf.serial_number)})
    with office.store.session() as s:
        ids = s.scalars(select(RevocationChange.id).order_by(RevocationChange.id)).all()
    assert len(ids) >= 5
    monkeypatch.setattr(cache, "KEEP_CHANGES", 3)
    assert refresh(office, at=at(NOW)).pruned == len(ids) - 3
    with office.store.session() as s:
        assert s.scalars(select(RevocationChange.id).order_by(RevocationChange.id)).all() == ids[-3:]
