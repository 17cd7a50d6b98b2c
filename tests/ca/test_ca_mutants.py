"""The municipal seal certificates, the delegated OCSP responder and the ``unknown`` answer, as a
verifier reads them (ca/seal.py, ca/authority.py, ca/ocsp.py). Written to kill the mutants that
outlived the other CA tests (docs/testing.md).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from mynacard.ca import CaSettings, CertificateAuthority, CertStatus
from mynacard.ca.ocsp import RESPONSE_LIFETIME, build_unknown_response
from mynacard.ca.seal import ROOT_YEARS, SEAL_YEARS, seal_certificate, seal_root
from tests.ca.helpers import AT, sign_request
from tests.keypool import pooled_key

AT_UTC = AT.astimezone(UTC).replace(microsecond=0)


def signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> None:
    issuer.public_key().verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), hashes.SHA256())


def usage(cert: x509.Certificate) -> x509.Extension[x509.KeyUsage]:
    return cert.extensions.get_extension_for_class(x509.KeyUsage)


def test_seal_root_is_a_self_signed_ca_of_ten_years() -> None:
    key = pooled_key()
    root = seal_root(key, AT)
    assert root.subject == root.issuer
    assert root.subject.rfc4514_string() == "OU=Application CA (sandbox),O=mynacard sandbox LGPKI,C=JP"
    assert root.not_valid_before_utc == AT_UTC
    assert root.not_valid_after_utc == AT_UTC + timedelta(days=365 * ROOT_YEARS)
    basic = root.extensions.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical and basic.value.ca and basic.value.path_length == 0
    ku = usage(root)
    assert ku.critical
    assert ku.value.key_cert_sign and ku.value.crl_sign
    assert not ku.value.digital_signature and not ku.value.content_commitment and not ku.value.key_encipherment
    assert not ku.value.data_encipherment and not ku.value.key_agreement
    ski = root.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    assert not ski.critical and ski.value == x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    assert isinstance(root.signature_hash_algorithm, hashes.SHA256)
    signed_by(root, root)


def test_seal_of_a_municipal_head_is_certified_by_the_root() -> None:
    root_key, key = pooled_key(), pooled_key()
    root = seal_root(root_key, AT)
    seal = seal_certificate(root_key, root, key, municipality="中能登町", prefecture="石川県", at=AT)
    assert seal.issuer == root.subject
    subject = seal.subject
    assert subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "JP"
    assert subject.get_attributes_for_oid(NameOID.STATE_OR_PROVINCE_NAME)[0].value == "石川県"
    assert subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "中能登町"
    assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "中能登町長"
    assert [a.oid for a in subject] == [
        NameOID.COUNTRY_NAME,
        NameOID.STATE_OR_PROVINCE_NAME,
        NameOID.ORGANIZATION_NAME,
        NameOID.COMMON_NAME,
    ]
    assert seal.not_valid_before_utc == AT_UTC
    assert seal.not_valid_after_utc == AT_UTC + timedelta(days=365 * SEAL_YEARS)
    basic = seal.extensions.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical and not basic.value.ca and basic.value.path_length is None
    ku = usage(seal)
    assert ku.critical
    assert ku.value.digital_signature and ku.value.content_commitment
    assert not ku.value.key_cert_sign and not ku.value.crl_sign and not ku.value.key_encipherment
    ski = seal.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    assert not ski.critical and ski.value == x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    aki = seal.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)
    assert not aki.critical
    assert aki.value.key_identifier == root.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    assert seal.public_key() == key.public_key()
    assert isinstance(seal.signature_hash_algorithm, hashes.SHA256)
    signed_by(seal, root)


def test_a_seal_never_outlives_its_root() -> None:
    root_key = pooled_key()
    root = seal_root(root_key, AT)
    late = AT + timedelta(days=365 * ROOT_YEARS - 30)
    seal = seal_certificate(root_key, root, pooled_key(), municipality="輪島市", prefecture="石川県", at=late)
    assert seal.not_valid_after_utc == root.not_valid_after_utc


def test_seals_refuse_a_time_without_zone() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        seal_root(pooled_key(), AT.replace(tzinfo=None))
    root_key = pooled_key()
    root = seal_root(root_key, AT)
    with pytest.raises(ValueError, match="timezone-aware"):
        naive = AT.replace(tzinfo=None)
        seal_certificate(root_key, root, pooled_key(), municipality="輪島市", prefecture="石川県", at=naive)


def test_delegated_ocsp_responder_certificate_R_CERT_8(sign_ca: CertificateAuthority) -> None:
    key = pooled_key()
    cert = sign_ca.issue_ocsp_responder(key.public_key(), at=AT, lifetime=timedelta(days=7))
    assert cert.issuer == sign_ca.certificate.subject
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "sign CA OCSP responder"
    assert cert.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "JP"
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME) == (
        sign_ca.certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    )
    assert cert.not_valid_before_utc == AT_UTC
    assert cert.not_valid_after_utc == AT_UTC + timedelta(days=7)
    assert cert.public_key() == key.public_key()
    basic = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical and not basic.value.ca
    assert usage(cert).critical and usage(cert).value.digital_signature
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert not eku.critical and list(eku.value) == [ExtendedKeyUsageOID.OCSP_SIGNING]
    assert not cert.extensions.get_extension_for_class(x509.OCSPNoCheck).critical
    ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    assert not ski.critical and ski.value == x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)
    assert not aki.critical
    ca_ski = sign_ca.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert aki.value.key_identifier == ca_ski.digest
    signed_by(cert, sign_ca.certificate)


def test_ocsp_responder_is_capped_by_its_ca_and_refused_outside_it_R_CERT_8(sign_ca: CertificateAuthority) -> None:
    ca_end = sign_ca.certificate.not_valid_after_utc
    near_end = ca_end - timedelta(days=1)
    cert = sign_ca.issue_ocsp_responder(pooled_key().public_key(), at=near_end, lifetime=timedelta(days=7))
    assert cert.not_valid_after_utc == ca_end
    for outside in (ca_end, sign_ca.certificate.not_valid_before_utc - timedelta(seconds=1)):
        with pytest.raises(Exception, match="cannot certify an OCSP responder") as e:
            sign_ca.issue_ocsp_responder(pooled_key().public_key(), at=outside, lifetime=timedelta(days=7))
        assert e.value.field == "at"  # type: ignore[attr-defined]
        assert e.value.message_ja == "認証局の有効期間外のため、OCSPレスポンダ証明書を発行できません。"  # type: ignore[attr-defined]
    at_start = sign_ca.issue_ocsp_responder(
        pooled_key().public_key(), at=sign_ca.certificate.not_valid_before_utc, lifetime=timedelta(days=1)
    )
    assert at_start.not_valid_before_utc == sign_ca.certificate.not_valid_before_utc


def unknown_request(
    issuer: x509.Certificate, cert: x509.Certificate, algorithm: hashes.HashAlgorithm
) -> ocsp.OCSPRequest:
    return ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, algorithm).build()


@pytest.mark.parametrize("algorithm", [hashes.SHA1(), hashes.SHA256()])
def test_unknown_serial_gets_a_signed_unknown_with_the_requests_own_certid_R_CERT_8(
    sign_ca: CertificateAuthority, sign_cert: x509.Certificate, algorithm: hashes.HashAlgorithm
) -> None:
    key = pooled_key()
    responder = sign_ca.issue_ocsp_responder(key.public_key(), at=AT, lifetime=timedelta(days=7))
    req = unknown_request(sign_ca.certificate, sign_cert, algorithm)
    resp = build_unknown_response(
        issuer=sign_ca.certificate, request=req, at=AT, signer_certificate=responder, signer_key=key
    )
    assert resp.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL
    assert resp.certificate_status is ocsp.OCSPCertStatus.UNKNOWN
    assert resp.serial_number == req.serial_number
    assert resp.issuer_name_hash == req.issuer_name_hash
    assert resp.issuer_key_hash == req.issuer_key_hash
    assert resp.hash_algorithm.name == algorithm.name
    assert resp.this_update_utc == AT_UTC
    assert resp.next_update_utc == AT_UTC + RESPONSE_LIFETIME
    assert resp.produced_at_utc == AT_UTC
    assert resp.revocation_time_utc is None
    assert resp.certificates == [responder]
    responder.public_key().verify(resp.signature, resp.tbs_response_bytes, padding.PKCS1v15(), hashes.SHA256())
    assert not list(resp.extensions)  # no nonce was asked for


def test_unknown_answer_refuses_a_key_that_is_not_the_responders_R_CERT_8(
    sign_ca: CertificateAuthority, sign_cert: x509.Certificate
) -> None:
    responder = sign_ca.issue_ocsp_responder(pooled_key().public_key(), at=AT, lifetime=timedelta(days=7))
    other = pooled_key()
    while other.public_key() == responder.public_key():
        other = pooled_key()
    with pytest.raises(ValueError, match=r"^The responder key does not match the responder certificate\.$"):
        build_unknown_response(
            issuer=sign_ca.certificate,
            request=unknown_request(sign_ca.certificate, sign_cert, hashes.SHA1()),
            at=AT,
            signer_certificate=responder,
            signer_key=other,
        )


def test_times_are_read_in_utc_whatever_the_zone_R_CERT_8(
    sign_ca: CertificateAuthority, sign_cert: x509.Certificate
) -> None:
    key = pooled_key()
    responder = sign_ca.issue_ocsp_responder(key.public_key(), at=AT, lifetime=timedelta(days=7))
    resp = build_unknown_response(
        issuer=sign_ca.certificate,
        request=unknown_request(sign_ca.certificate, sign_cert, hashes.SHA1()),
        at=datetime(2025, 4, 1, 1, 30, 15, 999999, tzinfo=UTC),
        signer_certificate=responder,
        signer_key=key,
    )
    assert resp.this_update_utc == datetime(2025, 4, 1, 1, 30, 15, tzinfo=UTC)


def test_ocsp_status_refuses_contradictions_with_the_reason_R_CERT_8() -> None:
    with pytest.raises(ValueError, match=r"^A good certificate has no revocation time or reason\.$"):
        CertStatus("good", reason=x509.ReasonFlags.key_compromise)
    with pytest.raises(ValueError, match=r"^revoked_at must be"):
        CertStatus("revoked", AT.replace(tzinfo=None))


def test_ca_settings_explain_a_host_without_a_dot() -> None:
    with pytest.raises(ValueError, match=r"is not a dotted DNS name or IP address \(use e\.g\. 127\.0\.0\.1 instead"):
        CaSettings(base_url="http://localhost:8000")
    assert CaSettings(base_url="http://[::1]:8000/").base_url == "http://[::1]:8000"
    with pytest.raises(ValueError, match=r"^base_url must be an absolute http\(s\) URL"):
        CaSettings(base_url="http:///path")


def test_a_serial_given_by_the_caller_must_be_a_plain_int(
    sign_ca: CertificateAuthority, holder: object
) -> None:
    with pytest.raises(TypeError, match=r"^serial must be an int$"):
        sign_ca.issue(sign_request(holder), at=AT, serial=True)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^serial must be an int$"):
        sign_ca.issue(sign_request(holder), at=AT, serial="12")  # type: ignore[arg-type]
    assert sign_ca.issue(sign_request(holder), at=AT, serial=4242).serial_number == 4242


def test_jpki_root_key_usage_is_certificate_and_crl_signing_only(sign_ca: CertificateAuthority) -> None:
    ku = usage(sign_ca.certificate)
    assert ku.critical
    assert ku.value.key_cert_sign and ku.value.crl_sign
    assert not ku.value.digital_signature
    assert not ku.value.content_commitment
    assert not ku.value.key_encipherment
    assert not ku.value.data_encipherment
    assert not ku.value.key_agreement
