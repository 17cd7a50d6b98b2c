"""A request's nonce (RFC 8954) in a response signed for that request (R_CERT_8): a nonce of 1 to
32 octets comes back in the signed response; one outside that range is not echoed, and the request
is still answered (RFC 8954 2.1 lets a responder leave a nonce it does not accept out)."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp

from mynacard.services import revocation
from tests.services.conftest import issued_card, new_resident
from tests.services.test_revocation_publisher import T0, _leaf_and_ca, _verify


def _asked_with(office, nonce: bytes) -> ocsp.OCSPResponse:
    card_id = issued_card(office, new_resident(office))
    leaf, ca = _leaf_and_ca(office, card_id)
    # a SHA-256 CertID: the answer is signed for this request, not read from the stored SHA-1 one
    req = (ocsp.OCSPRequestBuilder().add_certificate(leaf, ca, hashes.SHA256())
           .add_extension(x509.OCSPNonce(nonce), False).build())
    resp = ocsp.load_der_ocsp_response(revocation.answer(office, "auth", req.public_bytes(Encoding.DER), at=T0))
    assert resp.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    _verify(resp)
    assert resp.serial_number == leaf.serial_number and resp.certificate_status == ocsp.OCSPCertStatus.GOOD
    return resp


@pytest.mark.parametrize("size", [1, 2, 31, 32])
def test_a_nonce_of_1_to_32_octets_comes_back_signed_R_CERT_8(office, size):
    nonce = bytes(range(7, 7 + size))
    resp = _asked_with(office, nonce)
    assert resp.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == nonce


@pytest.mark.parametrize("size", [0, 33, 64])
def test_a_nonce_outside_1_to_32_octets_is_left_out_and_the_request_answered_R_CERT_8(office, size):
    resp = _asked_with(office, b"\x5a" * size)
    with pytest.raises(x509.ExtensionNotFound):
        resp.extensions.get_extension_for_class(x509.OCSPNonce)
