"""The signer seam: a key that only exposes ``sign`` and ``public_key`` (as a key in a token
does) signs certificates, CRLs and OCSP responses that verify like those of a file key (R_CERT_2)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from mynacard.ca import CertificateAuthority, CertKind, CertRequest
from mynacard.ca import CertStatus as OcspStatus
from mynacard.timeutil import JST
from tests.keypool import pooled_key

AT = datetime(2025, 1, 6, 10, 0, tzinfo=JST)


class OpaqueKey:
    """Holds an RSA key but, like a token, offers only what signing needs."""

    def __init__(self, key: rsa.RSAPrivateKey) -> None:
        self._key = key
        self.calls = 0

    @property
    def key_size(self) -> int:
        return self._key.key_size

    def public_key(self) -> rsa.RSAPublicKey:
        return self._key.public_key()

    def sign(self, data, padding_, algorithm):
        self.calls += 1
        return self._key.sign(data, padding_, algorithm)


def test_an_opaque_signer_signs_roots_leaves_crls_and_ocsp():
    key = OpaqueKey(pooled_key())
    ca = CertificateAuthority.generate(CertKind.AUTH, at=AT, key=key)
    ca.certificate.verify_directly_issued_by(ca.certificate)
    leaf = ca.issue(CertRequest(public_key=pooled_key().public_key(), not_before=AT, expires_on=date(2030, 1, 6),
                                municipality_code="174076"), at=AT)
    leaf.verify_directly_issued_by(ca.certificate)
    crl = ca.build_crl([], at=AT, number=1, next_update=AT + timedelta(days=1))
    assert crl.is_signature_valid(ca.certificate.public_key())
    resp = ca.build_ocsp_response(leaf, OcspStatus("good"), at=AT)
    ca.certificate.public_key().verify(resp.signature, resp.tbs_response_bytes, padding.PKCS1v15(), hashes.SHA256())
    assert key.calls == 4
    # the same TBS a file key would have produced: only the signature was computed elsewhere
    assert leaf.signature_algorithm_oid == x509.SignatureAlgorithmOID.RSA_WITH_SHA256
    with pytest.raises(ValueError, match="held in a token"):
        ca.sealed_key(b"k" * 32)


def test_a_non_rsa_signer_is_refused_R_CERT_2():
    ca = CertificateAuthority.generate(CertKind.AUTH, at=AT, key=pooled_key())
    with pytest.raises(TypeError, match="RSA"):
        CertificateAuthority(CertKind.AUTH, ca.certificate, ec.generate_private_key(ec.SECP256R1()))
