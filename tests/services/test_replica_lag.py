"""OCSP over a replica that has not caught up (MYNACARD_DB_READ, R_CERT_8): a CA or a certificate
not on the replica yet is asked of the primary, never answered "unauthorized" or "unknown"."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp

from mynacard.db import repositories as repo
from mynacard.services import pki, revocation
from mynacard.services.context import Office
from tests.keypool import pooled_key
from tests.services.conftest import MASTER_KEY, at, issued_card, new_resident
from tests.storetemplate import migrated_store


def test_a_replica_without_the_ca_and_the_certificate_yet_is_not_the_last_word_R_CERT_8(office, tmp_path):
    card_id = issued_card(office, new_resident(office))
    with office.work(at=at("2025-06-01"), actor="t") as w:
        cert = x509.load_der_x509_certificate(repo.current_certificate(w.session, card_id, "auth").der)
        ca = pki.authority(w, "auth").certificate
    request = ocsp.OCSPRequestBuilder().add_certificate(cert, ca, hashes.SHA1()).build().public_bytes(Encoding.DER)
    lagging = migrated_store(tmp_path / "replica.db")  # a replica that has replayed nothing yet
    primary = office.store
    primary.read_engine = lagging.engine
    try:
        behind = Office(store=primary, master_key=MASTER_KEY, keygen=pooled_key)
        answer = ocsp.load_der_ocsp_response(revocation.answer(behind, "auth", request, at=at("2025-06-01T12:00")))
    finally:
        primary.read_engine = primary.engine
        lagging.dispose()
    assert answer.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    assert (answer.serial_number, answer.certificate_status) == (cert.serial_number, ocsp.OCSPCertStatus.GOOD)
