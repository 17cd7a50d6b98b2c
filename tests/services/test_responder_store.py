"""The delegated OCSP responders as the store keeps them (R_CERT_8): a certificate of 90 days from
the CA, its key sealed with the master key, found again by a later unit of work or another
process, renewed a week before its end, and every issue in the event log."""

from __future__ import annotations

from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from mynacard.db import repositories as repo
from mynacard.db.staff import OcspResponder
from mynacard.services import pki
from mynacard.services.revocation.responders import _load, responder
from tests.services.conftest import at

ISSUED = at("2026-04-01T09:30")
_SPKI = PublicFormat.SubjectPublicKeyInfo


def _stored(office, kind: str) -> OcspResponder:
    with office.work(at=ISSUED, actor="reader") as w:
        row = w.session.get(OcspResponder, kind)
        w.session.expunge(row)
        return row


def _issued_events(office) -> list[tuple[str, int]]:
    with office.work(at=ISSUED + timedelta(days=400), actor="reader") as w:
        return [
            (e.details["kind"], e.certificate_serial)
            for e in repo.events(w.session)
            if e.action == "ocsp_responder_issued"
        ]


def test_a_responder_is_certified_by_its_ca_for_ninety_days_and_stored_sealed_R_CERT_8(office):
    with office.work(at=ISSUED, actor="ocsp") as w:
        r = responder(w, "sign")
        ca = pki.authority(w, "sign").certificate
        key_der = r.key.public_key().public_bytes(Encoding.DER, format=_SPKI)
    r.certificate.verify_directly_issued_by(ca)
    assert r.certificate.not_valid_before_utc == ISSUED
    assert r.certificate.not_valid_after_utc == ISSUED + timedelta(days=90)
    assert r.certificate.public_key().public_bytes(Encoding.DER, format=_SPKI) == key_der
    row = _stored(office, "sign")
    assert row.certificate_der == r.certificate.public_bytes(Encoding.DER)
    assert row.not_after == r.certificate.not_valid_after_utc
    assert row.key_ref is None and len(row.sealed_key) > 0
    assert key_der not in row.sealed_key
    assert _issued_events(office) == [("sign", r.certificate.serial_number)]


def test_another_process_finds_the_stored_responder_and_its_key_signs_R_CERT_8(office):
    with office.work(at=ISSUED, actor="ocsp") as w:
        issued = responder(w, "auth").certificate
    _load.cache_clear()  # as a process that has not loaded it yet
    with office.work(at=ISSUED + timedelta(days=30), actor="ocsp") as w:
        r = responder(w, "auth")
    assert r.certificate == issued
    signature = r.key.sign(b"tbsResponseData", padding.PKCS1v15(), hashes.SHA256())
    issued.public_key().verify(signature, b"tbsResponseData", padding.PKCS1v15(), hashes.SHA256())
    assert _issued_events(office) == [("auth", issued.serial_number)]


def test_the_two_cas_have_responders_of_their_own_R_CERT_8(office):
    with office.work(at=ISSUED, actor="ocsp") as w:
        sign, auth = responder(w, "sign"), responder(w, "auth")
    _load.cache_clear()
    with office.work(at=ISSUED + timedelta(days=1), actor="ocsp") as w:
        assert responder(w, "sign").certificate == sign.certificate
        assert responder(w, "auth").certificate == auth.certificate
    assert sign.certificate.issuer != auth.certificate.issuer
    assert sign.certificate.public_key().public_numbers() != auth.certificate.public_key().public_numbers()


def test_a_responder_is_renewed_a_week_before_its_end_and_replaces_the_stored_one_R_CERT_8(office):
    with office.work(at=ISSUED, actor="ocsp") as w:
        first = responder(w, "sign").certificate
    due = first.not_valid_after_utc - timedelta(days=7)
    with office.work(at=due - timedelta(seconds=1), actor="ocsp") as w:
        assert responder(w, "sign").certificate == first
    with office.work(at=due, actor="ocsp") as w:
        second = responder(w, "sign").certificate
    assert second != first and second.not_valid_before_utc == due
    row = _stored(office, "sign")
    assert x509.load_der_x509_certificate(row.certificate_der) == second
    assert row.not_after == second.not_valid_after_utc
    assert _issued_events(office) == [("sign", first.serial_number), ("sign", second.serial_number)]


def test_a_renewal_is_seen_at_once_by_the_unit_of_work_that_made_it_R_CERT_8(office):
    """The stored row is replaced by a statement: the unit of work that already holds the row
    reads the new one, not what it had loaded."""
    with office.work(at=ISSUED, actor="ocsp") as w:
        first = responder(w, "sign").certificate
    due = first.not_valid_after_utc - timedelta(days=7)
    with office.work(at=due, actor="ocsp") as w:
        held = w.session.get(OcspResponder, "sign")
        assert held.not_after == first.not_valid_after_utc
        second = responder(w, "sign").certificate
        again = w.session.get(OcspResponder, "sign")
        assert x509.load_der_x509_certificate(again.certificate_der) == second
        assert again.not_after == second.not_valid_after_utc
