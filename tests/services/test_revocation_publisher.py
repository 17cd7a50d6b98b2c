"""The publisher of revocation status answers OCSP requests (RFC 6960, R_CERT_8): signed by the
delegated responder, a signed ``unknown`` for a serial it has no record of, and never a stale
status, even when a status changed behind its back."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from sqlalchemy import select, text

from mynacard.ca.ocsp import RESPONSE_LIFETIME
from mynacard.db import repositories as repo
from mynacard.services import certificates, pki, revocation
from mynacard.services.revocation.ocsp import REFRESH_BEFORE
from tests.services.conftest import at, count_work, issued_card, new_resident, statements


def _leaf_and_ca(office, card_id, kind="auth"):
    with office.work(at=at("2025-05-10"), actor="t") as w:
        cert = repo.latest_certificate(w.session, card_id, kind)
        return x509.load_der_x509_certificate(cert.der), pki.authority(w, kind).certificate


def _ask(office, kind, req, when="2025-06-01"):
    return ocsp.load_der_ocsp_response(revocation.answer(office, kind, req.public_bytes(Encoding.DER), at=at(when)))


def _verify(resp):
    (responder,) = resp.certificates
    responder.public_key().verify(resp.signature, resp.tbs_response_bytes, padding.PKCS1v15(), hashes.SHA256())
    return responder


def test_unknown_serial_of_a_known_issuer_is_a_signed_unknown_R_CERT_8(office):
    leaf, ca = _leaf_and_ca(office, issued_card(office, new_resident(office)))
    good = ocsp.OCSPRequestBuilder().add_certificate(leaf, ca, hashes.SHA1()).build()
    unknown = ocsp.OCSPRequestBuilder().add_certificate_by_hash(
        good.issuer_name_hash, good.issuer_key_hash, leaf.serial_number + 1, hashes.SHA1()).build()
    resp = _ask(office, "auth", unknown)
    assert resp.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    assert resp.certificate_status == ocsp.OCSPCertStatus.UNKNOWN
    assert resp.serial_number == leaf.serial_number + 1
    assert _verify(resp).issuer == ca.subject
    # the same serial asked of the other CA, whose hashes it does not carry: not ours to answer
    assert _ask(office, "sign", good).response_status == ocsp.OCSPResponseStatus.UNAUTHORIZED


def test_a_status_changed_behind_the_publishers_back_is_never_served_stale_R_CERT_8(office):
    leaf, ca = _leaf_and_ca(office, issued_card(office, new_resident(office)))
    req = ocsp.OCSPRequestBuilder().add_certificate(leaf, ca, hashes.SHA1()).build()
    assert _ask(office, "auth", req).certificate_status == ocsp.OCSPCertStatus.GOOD  # now stored
    with office.store.engine.begin() as conn:  # not through a unit of work: nothing re-signs
        conn.execute(text("UPDATE certificates SET status='revoked', reason='key_compromise', "
                          "revoked_at='2025-05-31 01:00:00' WHERE serial=:s"), {"s": str(leaf.serial_number)})
    resp = _ask(office, "auth", req)
    assert resp.certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert resp.revocation_reason == x509.ReasonFlags.key_compromise
    _verify(resp)


def test_a_hold_in_a_unit_of_work_is_signed_before_its_commit_R_LOSS_1(office):
    from mynacard.db.staff import OcspCacheEntry
    from mynacard.services import loss

    card_id = issued_card(office, new_resident(office))
    leaf, _ = _leaf_and_ca(office, card_id)
    with office.work(at=at("2027-01-17T03:00"), actor="hotline") as w:
        loss.report_loss(w, card_id)
    with office.store.session() as s:
        row = s.get(OcspCacheEntry, leaf.serial_number)
    assert row is not None and row.status == "hold" and row.produced_at == at("2027-01-17T03:00")
    assert ocsp.load_der_ocsp_response(row.der).revocation_reason == x509.ReasonFlags.certificate_hold


# --- answers from the store and from this process's memory ---------------------------------------

T0 = at("2025-06-01T10:00")


def _request(office, card_id, kind="auth", algorithm=None) -> bytes:
    leaf, ca = _leaf_and_ca(office, card_id, kind)
    return ocsp.OCSPRequestBuilder().add_certificate(leaf, ca, algorithm or hashes.SHA1()).build().public_bytes(
        Encoding.DER)


def _lookups(ran: list[str]) -> list[str]:
    """The reads of a certificate's status (and stored response) among ``ran``."""
    return [s for s in ran if "FROM certificates" in s]


def test_a_repeated_request_is_answered_from_memory_until_its_response_is_due_for_refresh_R_CERT_8(
        office, monkeypatch):
    card_id = issued_card(office, new_resident(office))
    with office.work(at=T0, actor="clerk") as w:
        certificates.revoke(w, card_id, "sign")  # a status change: the change log is not empty
        signed = revocation.response_der(w, repo.latest_certificate(w.session, card_id, "auth"))
    req, (leaf, ca) = _request(office, card_id), _leaf_and_ca(office, card_id)
    opened = count_work(office, monkeypatch)
    # asked at the very second it was signed: the stored response, read without a unit of work
    assert revocation.answer(office, "auth", req, at=T0) == signed
    assert opened == []
    with statements(office) as ran:  # asked again: from memory
        assert revocation.answer(office, "auth", req, at=T0 + timedelta(hours=1)) == signed
    assert _lookups(ran) == [] and not [s for s in ran if "ocsp_responses" in s]
    due = T0 + RESPONSE_LIFETIME - REFRESH_BEFORE
    assert revocation.answer(office, "auth", req, at=due - timedelta(seconds=1)) == signed
    assert opened == []
    # due for refresh: signed again, and that one is served from then on
    resp = ocsp.load_der_ocsp_response(der := revocation.answer(office, "auth", req, at=due))
    assert opened == ["ocsp"]
    assert (resp.certificate_status, resp.this_update_utc, resp.next_update_utc, resp.produced_at_utc) == (
        ocsp.OCSPCertStatus.GOOD, due, due + RESPONSE_LIFETIME, due)
    assert resp.serial_number == leaf.serial_number and _verify(resp).issuer == ca.subject
    assert revocation.answer(office, "auth", req, at=due + timedelta(minutes=1)) == der
    assert opened == ["ocsp"]


def test_a_change_committed_while_a_response_is_read_is_not_kept_in_memory_R_CERT_8(office, monkeypatch):
    from mynacard.services.revocation import ocsp as publisher

    card_id = issued_card(office, new_resident(office))
    with office.work(at=T0, actor="t") as w:
        for c in repo.certificates_of_card(w.session, card_id):
            revocation.response_der(w, c)
        serial = repo.latest_certificate(w.session, card_id, "auth").serial
    with office.store.session() as s:
        assert s.execute(text("SELECT count(*) FROM revocation_changes")).scalar() == 0
    req, other = _request(office, card_id), _request(office, card_id, "sign")
    asked = T0 + timedelta(hours=1)
    revocation.answer(office, "sign", other, at=asked)  # a request this process knows
    real, raced = publisher._stored, []

    def stored_then_revoked(store, serial_):  # type: ignore[no-untyped-def]
        got = real(store, serial_)
        if not raced:  # revoked right after the read, behind the publisher's back ...
            raced.append(serial_)
            with office.store.engine.begin() as conn:
                conn.execute(text("UPDATE certificates SET status='revoked', reason='key_compromise', "
                                  "revoked_at='2025-06-01 01:30:00.000000' WHERE serial=:s"), {"s": str(serial)})
            time.sleep(0.002)  # ... and another request of this process notices the change meanwhile
            revocation.answer(office, "sign", other, at=asked)
        return got

    monkeypatch.setattr(publisher, "_stored", stored_then_revoked)
    assert ocsp.load_der_ocsp_response(
        revocation.answer(office, "auth", req, at=asked)).certificate_status == ocsp.OCSPCertStatus.GOOD
    assert raced == [serial]
    resp = ocsp.load_der_ocsp_response(revocation.answer(office, "auth", req, at=asked + timedelta(seconds=1)))
    assert resp.certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert resp.revocation_time_utc == datetime(2025, 6, 1, 1, 30, tzinfo=UTC)


def test_each_certificate_is_answered_with_its_own_response_R_CERT_8(office):
    cards = [issued_card(office, new_resident(office, name=n)) for n in ("能登 太郎", "能登 花子")]
    with office.work(at=T0, actor="t") as w:
        for card_id in cards:
            for c in repo.certificates_of_card(w.session, card_id):
                revocation.response_der(w, c)
    for card_id in cards:
        for kind in ("auth", "sign"):
            resp = ocsp.load_der_ocsp_response(
                revocation.answer(office, kind, _request(office, card_id, kind), at=T0 + timedelta(hours=1)))
            assert resp.serial_number == _leaf_and_ca(office, card_id, kind)[0].serial_number
            assert resp.certificate_status == ocsp.OCSPCertStatus.GOOD


def test_serials_no_certificate_can_have_are_answered_unknown_without_a_lookup_R_CERT_8(office):
    from cryptography.x509.oid import NameOID

    from mynacard.db.models import Certificate, Event

    card_id = issued_card(office, new_resident(office))
    leaf, ca = _leaf_and_ca(office, card_id)
    good = ocsp.OCSPRequestBuilder().add_certificate(leaf, ca, hashes.SHA1()).build()

    def ask(serial: int) -> tuple[ocsp.OCSPResponse, list[str]]:
        req = ocsp.OCSPRequestBuilder().add_certificate_by_hash(
            good.issuer_name_hash, good.issuer_key_hash, serial, hashes.SHA1()).build()
        with statements(office) as ran:
            resp = _ask(office, "auth", req)
        assert resp.serial_number == serial
        return resp, ran

    for serial in (0, 2**160):  # not a serial (RFC 5280 4.1.2.2): nothing to look up
        resp, ran = ask(serial)
        assert resp.certificate_status == ocsp.OCSPCertStatus.UNKNOWN and _lookups(ran) == []
    resp, ran = ask(leaf.serial_number + 1)  # a serial of no certificate: looked up once
    assert resp.certificate_status == ocsp.OCSPCertStatus.UNKNOWN and len(_lookups(ran)) == 1
    with office.store.session() as s:  # the first answer made the responder: the publisher's work
        made = s.scalars(select(Event).where(Event.action == "ocsp_responder_issued")).all()
    assert [(e.actor, e.details["kind"]) for e in made] == [("ocsp", "auth")]

    # the smallest serial there is
    with office.work(at=at("2025-05-10"), actor="t") as w:
        auth = pki.authority(w, "auth")
        mine = repo.latest_certificate(w.session, card_id, "auth")
        one = (x509.CertificateBuilder().serial_number(1).subject_name(
            x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "one")])).issuer_name(auth.certificate.subject)
            .public_key(leaf.public_key()).not_valid_before(at("2025-05-10")).not_valid_after(at("2030-01-01"))
            .sign(auth._key, hashes.SHA256()))
        w.session.add(Certificate(serial=1, kind="auth", card_id=card_id, resident_id=mine.resident_id,
                                  municipality_code=mine.municipality_code, status="good",
                                  not_before=at("2025-05-10"), expires_on=date(2030, 1, 1),
                                  der=one.public_bytes(Encoding.DER)))
    resp, _ = ask(1)
    assert resp.certificate_status == ocsp.OCSPCertStatus.GOOD


def test_requests_by_sha1_and_sha256_hashes_of_the_issuer_are_answered_R_CERT_8(office, monkeypatch):
    from types import SimpleNamespace

    from mynacard.services.revocation import ocsp as publisher

    card_id = issued_card(office, new_resident(office))
    leaf, ca = _leaf_and_ca(office, card_id)
    hashed: list[str] = []

    def counted(algorithm):  # type: ignore[no-untyped-def]
        hashed.append(algorithm.name)
        return hashes.Hash(algorithm)

    monkeypatch.setattr(publisher, "hashes", SimpleNamespace(Hash=counted))
    for algorithm in (hashes.SHA1(), hashes.SHA256()):
        req = ocsp.OCSPRequestBuilder().add_certificate(leaf, ca, algorithm).build()
        resp = _ask(office, "auth", req)
        assert resp.certificate_status == ocsp.OCSPCertStatus.GOOD
        # a client finds its status by the CertID it sent, hash algorithm included
        assert (resp.hash_algorithm.name, resp.issuer_name_hash, resp.issuer_key_hash, resp.serial_number) == (
            algorithm.name, req.issuer_name_hash, req.issuer_key_hash, req.serial_number)
        other = ocsp.OCSPRequestBuilder().add_certificate_by_hash(
            req.issuer_name_hash, req.issuer_key_hash, leaf.serial_number + 1, algorithm).build()
        assert _ask(office, "auth", other).certificate_status == ocsp.OCSPCertStatus.UNKNOWN
        wrong = ocsp.OCSPRequestBuilder().add_certificate_by_hash(
            req.issuer_key_hash, req.issuer_name_hash, leaf.serial_number, algorithm).build()
        assert _ask(office, "auth", wrong).response_status == ocsp.OCSPResponseStatus.UNAUTHORIZED
    # the CA's name and key are hashed once per algorithm in this process
    assert hashed == ["sha1", "sha1", "sha256", "sha256"]


def test_a_sha256_request_is_signed_for_itself_and_the_stored_sha1_response_stays_R_CERT_8(office):
    from mynacard.db.staff import OcspCacheEntry

    card_id = issued_card(office, new_resident(office))
    sha1 = _request(office, card_id)
    stored = revocation.answer(office, "auth", sha1, at=T0)
    nonce = x509.OCSPNonce(bytes(range(16)))
    leaf, ca = _leaf_and_ca(office, card_id)
    req = ocsp.OCSPRequestBuilder().add_certificate(leaf, ca, hashes.SHA256()).add_extension(nonce, False).build()
    first = revocation.answer(office, "auth", req.public_bytes(Encoding.DER), at=T0)
    resp = ocsp.load_der_ocsp_response(first)
    _verify(resp)
    assert isinstance(resp.hash_algorithm, hashes.SHA256) and resp.serial_number == leaf.serial_number
    assert resp.extensions.get_extension_for_class(x509.OCSPNonce).value == nonce  # signed for this request
    with office.store.session() as s:
        assert s.get(OcspCacheEntry, str(leaf.serial_number)).der == stored  # the SHA-1 one is kept
    assert revocation.answer(office, "auth", sha1, at=T0 + timedelta(minutes=1)) == stored
    with office.work(at=T0 + timedelta(minutes=2), actor="clerk") as w:
        certificates.revoke(w, card_id, "auth")
    again = ocsp.load_der_ocsp_response(
        revocation.answer(office, "auth", req.public_bytes(Encoding.DER), at=T0 + timedelta(minutes=3)))
    assert again.certificate_status == ocsp.OCSPCertStatus.REVOKED


def test_a_response_signed_meanwhile_by_another_worker_is_the_one_read_R_CERT_8(office):
    from mynacard.db.staff import OcspCacheEntry
    from mynacard.services.revocation.ocsp import sign_response

    card_id = issued_card(office, new_resident(office))
    with office.work(at=T0, actor="t") as w:
        signed = revocation.response_der(w, repo.latest_certificate(w.session, card_id, "auth"))
    later = T0 + timedelta(hours=1)
    with office.work(at=later, actor="t") as w:
        cert = repo.latest_certificate(w.session, card_id, "auth")
        assert revocation.response_der(w, cert) == signed  # current: the stored one, not signed again
        listed = w.session.get(OcspCacheEntry, cert.serial)  # this unit of work has it loaded
        assert listed is not None and listed.der == signed
        with office.work(at=later, actor="refresher") as other:
            again = sign_response(other, repo.latest_certificate(other.session, card_id, "auth"))
        assert again != signed
        assert revocation.response_der(w, cert) == again
