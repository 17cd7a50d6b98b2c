"""The publisher of revocation status answers OCSP requests (RFC 6960, R_CERT_8): signed by the
delegated responder, a signed ``unknown`` for a serial it has no record of, and never a stale
status, even when a status changed behind its back."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from sqlalchemy import text

from mynacard.db import repositories as repo
from mynacard.services import pki, revocation
from tests.services.conftest import at, issued_card, new_resident


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
