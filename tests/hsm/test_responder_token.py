"""A delegated OCSP responder whose key is in the PKCS#11 token: a later unit of work (another
request, another worker) finds the key in the token again from the stored reference."""

from __future__ import annotations

import re

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from mynacard import hsm
from mynacard.ca import CertStatus as OcspStatus
from mynacard.db import repositories as repo
from mynacard.db.staff import OcspResponder
from mynacard.services import pki
from mynacard.services.ceremony import ceremony
from mynacard.services.revocation.responders import _load, responder
from tests.services.conftest import at, issued_card, new_resident


def test_a_stored_token_responder_signs_again_in_a_later_unit_of_work_R_CERT_8(softhsm, office):
    _, token_label, _ = softhsm
    with office.work(at=at("2025-01-06T10:00"), actor="ceremony") as w:
        ceremony(w, token=hsm.open_token(token_label))
    card_id = issued_card(office, new_resident(office))
    with office.work(at=at("2025-06-01"), actor="ocsp") as w:
        issued = responder(w, "auth").certificate
        row = w.session.get(OcspResponder, "auth")
        assert row.sealed_key == b""  # nothing of the key in the store: only where it is
        assert re.fullmatch(r"pkcs11:token=[^;]+;object=mynacard-auth-ocsp-[0-9a-f]{8};type=private", row.key_ref)
    _load.cache_clear()  # as a worker process that has not loaded it yet
    with office.work(at=at("2025-06-02"), actor="ocsp") as w:
        r = responder(w, "auth")
        assert r.certificate == issued
        assert isinstance(r.key, hsm.TokenKey)
        cert = repo.latest_certificate(w.session, card_id, "auth")

        resp = pki.authority(w, "auth").build_ocsp_response(
            x509.load_der_x509_certificate(cert.der),
            OcspStatus("good"),
            at=w.at,
            responder_certificate=r.certificate,
            responder_key=r.key,
        )
    issued.public_key().verify(resp.signature, resp.tbs_response_bytes, padding.PKCS1v15(), hashes.SHA256())
