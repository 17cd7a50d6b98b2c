"""The CA itself: roots, sealing its key at rest, and what it refuses to certify."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from mynacard.ca import (
    CaSettings,
    CertificateAuthority,
    CertKind,
    CertRequest,
    ProfileError,
    SigningSubject,
    random_serial,
)
from mynacard.errors import MynaError, ValidationError
from mynacard.timeutil import JST
from tests.ca.helpers import AT, MUNICIPALITY, auth_request, sign_request
from tests.keypool import pooled_key

MASTER = bytes(range(32))


# --- roots -----------------------------------------------------------------------------------


def test_root_is_a_self_signed_ca_for_certificates_and_crls_R_CERT_2(sign_ca):
    cert = sign_ca.certificate
    assert cert.issuer == cert.subject
    cert.verify_directly_issued_by(cert)  # self-signed, sha256WithRSA
    bc = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert bc.critical and bc.value.ca
    ku = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert ku.critical and ku.value.key_cert_sign and ku.value.crl_sign
    assert not ku.value.digital_signature
    cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)


def test_roots_say_sandbox_and_tell_the_two_kinds_apart(sign_ca, auth_ca):
    def units(ca):
        return [a.value for a in ca.certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)]

    assert units(sign_ca)[0] == "JPKI for digital signature (sandbox)"
    assert units(auth_ca)[0] == "JPKI for user authentication (sandbox)"
    for ca in (sign_ca, auth_ca):
        assert not ca.certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)  # as J-LIS's: no CN
        units = [
            a.value
            for a in ca.certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
        ]
        assert all("sandbox" in u for u in units)
        assert (
            "sandbox"
            in ca.certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value
        )


def test_root_is_valid_10_years_to_the_end_of_the_day_before_the_anniversary():
    """As J-LIS's roots: made 2015-10-20 12:08 JST, valid through 2025-10-19 23:59:59 JST."""
    ca = CertificateAuthority.generate(CertKind.AUTH, at=AT, key=pooled_key())
    assert ca.certificate.not_valid_before_utc == AT.replace(microsecond=0)
    last = AT.astimezone(JST).date().replace(year=AT.year + 10) - timedelta(days=1)
    assert ca.certificate.not_valid_after_utc == datetime(last.year, last.month, last.day, 23, 59, 59, tzinfo=JST)


def test_root_made_on_29_february_ends_on_27_february():
    leap = datetime(2024, 2, 29, 9, 0, tzinfo=JST)
    ca = CertificateAuthority.generate(CertKind.SIGN, at=leap, key=pooled_key(), years=5)
    assert ca.certificate.not_valid_after_utc.astimezone(JST).date() == date(2029, 2, 27)


def test_root_fields_follow_the_j_lis_roots(sign_ca, auth_ca):
    """Small serial, keyUsage / subjectAltName / basicConstraints (no pathLen) /
    cRLDistributionPoints (its own name) / SKI in that order, and no AKI."""
    for ca in (sign_ca, auth_ca):
        cert = ca.certificate
        assert 0 < cert.serial_number < 2**31
        assert [e.oid._name for e in cert.extensions] == [
            "keyUsage", "subjectAltName", "basicConstraints", "cRLDistributionPoints", "subjectKeyIdentifier"
        ]
        assert [e.critical for e in cert.extensions] == [True, False, True, False, False]
        assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.path_length is None
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert [n.value.rfc4514_string() for n in san] == ["O=公的個人認証サービス (sandbox),C=JP"]
        dps = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
        assert [n.value for dp in dps for n in dp.full_name] == [cert.subject]


def test_generate_rejects_a_naive_time():
    with pytest.raises(ValueError, match="timezone-aware"):
        CertificateAuthority.generate(CertKind.SIGN, at=datetime(2025, 4, 1), key=pooled_key())


# --- the key at rest -------------------------------------------------------------------------


def test_sealed_key_round_trip_issues_certificates_the_root_verifies(sign_ca, holder):
    sealed = sign_ca.sealed_key(MASTER)
    der = sign_ca.certificate.public_bytes(Encoding.DER)
    assert b"PRIVATE" not in sealed
    loaded = CertificateAuthority.load(CertKind.SIGN, der, sealed, MASTER, sign_ca.settings)
    assert loaded.certificate == sign_ca.certificate
    loaded.issue(sign_request(holder), at=AT).verify_directly_issued_by(sign_ca.certificate)


def test_load_with_the_wrong_master_key_fails(sign_ca):
    sealed = sign_ca.sealed_key(MASTER)
    der = sign_ca.certificate.public_bytes(Encoding.DER)
    with pytest.raises(ValueError, match="unseal"):
        CertificateAuthority.load(CertKind.SIGN, der, sealed, os.urandom(32))


def test_a_sealed_signing_key_does_not_load_as_the_authentication_ca(sign_ca):
    """The kind is bound into the seal (context b"ca:sign"), so keys cannot be swapped."""
    sealed = sign_ca.sealed_key(MASTER)
    der = sign_ca.certificate.public_bytes(Encoding.DER)
    with pytest.raises(ValueError, match="unseal"):
        CertificateAuthority.load(CertKind.AUTH, der, sealed, MASTER)


def test_a_key_that_does_not_match_the_certificate_is_refused(sign_ca, auth_ca):
    sealed = auth_ca.sealed_key(MASTER)
    der = sign_ca.certificate.public_bytes(Encoding.DER)
    with pytest.raises(ValueError, match="does not match"):
        CertificateAuthority.load(CertKind.AUTH, der, sealed, MASTER)


# --- what the CA refuses -----------------------------------------------------------------------


def test_signing_request_without_the_basic_four_attributes_is_refused_R_CERT_1(sign_ca):
    with pytest.raises(ProfileError) as err:
        sign_ca.issue(auth_request(), at=AT)
    assert isinstance(err.value, ValueError) and isinstance(err.value, ValidationError)
    assert err.value.field == "subject"


def test_authentication_request_with_personal_data_is_refused_R_CERT_1(auth_ca, holder):
    with pytest.raises(ProfileError, match="no personal data"):
        auth_ca.issue(sign_request(holder), at=AT)


def test_naive_times_are_refused(sign_ca, holder):
    with pytest.raises(ValueError, match="timezone-aware"):
        sign_ca.issue(sign_request(holder), at=datetime(2025, 4, 1, 10, 0))
    with pytest.raises(ValueError, match="not_before"):
        CertRequest(pooled_key().public_key(), datetime(2025, 4, 1), date(2030, 1, 1), MUNICIPALITY)


def test_expiry_before_the_start_is_refused(auth_ca):
    with pytest.raises(ProfileError, match="before it starts"):
        auth_ca.issue(auth_request(expires_on=date(2025, 3, 31)), at=AT)


def test_a_certificate_may_not_outlive_its_ca(auth_ca):
    with pytest.raises(ProfileError, match="outlive"):
        auth_ca.issue(auth_request(expires_on=date(2046, 1, 1)), at=AT)


def test_the_ca_does_not_issue_before_it_exists(auth_ca):
    with pytest.raises(ProfileError, match="not valid"):
        auth_ca.issue(auth_request(), at=AT - timedelta(days=1))


@pytest.mark.parametrize("code", ["13101", "1310166", "13101a", "481011", "001015"])
def test_municipality_code_must_be_six_digits_of_a_prefecture(code):
    with pytest.raises(ProfileError) as err:
        CertRequest(pooled_key().public_key(), AT, date(2030, 1, 1), code)
    assert err.value.field == "municipality_code"
    assert isinstance(err.value, MynaError) and err.value.message_ja


def test_wrong_argument_types_are_type_errors():
    with pytest.raises(TypeError):
        CertRequest(pooled_key(), AT, date(2030, 1, 1), MUNICIPALITY)  # private key, not public
    with pytest.raises(TypeError):
        SigningSubject("名前", "住所", datetime(2000, 1, 1, tzinfo=JST), "1")


# --- serials ---------------------------------------------------------------------------------


def test_random_serials_are_positive_and_at_most_159_bits():
    serials = {random_serial() for _ in range(200)}
    assert len(serials) == 200
    assert all(0 < s < 2**159 for s in serials)


def test_an_explicit_serial_is_used(auth_ca):
    assert auth_ca.issue(auth_request(), at=AT, serial=4242).serial_number == 4242


@pytest.mark.parametrize("serial", [0, -1, 2**159])
def test_a_serial_out_of_range_is_refused(auth_ca, serial):
    with pytest.raises(ValueError, match="159 bits"):
        auth_ca.issue(auth_request(), at=AT, serial=serial)


# --- settings and URLs -----------------------------------------------------------------------


def test_urls_follow_the_base_url():
    ca = CertificateAuthority.generate(
        CertKind.SIGN,
        at=AT,
        key=pooled_key(),
        settings=CaSettings(base_url="https://jpki.example.jp/"),
    )
    assert ca.crl_url(MUNICIPALITY) == "https://jpki.example.jp/crl/sign/131016.crl"
    assert ca.crl_url() == "https://jpki.example.jp/crl/sign.crl"
    assert ca.ocsp_url() == "https://jpki.example.jp/ocsp/sign"


@pytest.mark.parametrize(
    "url", ["http://localhost:8000", "ftp://127.0.0.1", "127.0.0.1:8000", "http://x.jp/?a=1"]
)
def test_base_urls_linters_or_clients_would_reject_are_refused(url):
    with pytest.raises(ValueError, match="base_url"):
        CaSettings(base_url=url)


def test_a_sandbox_may_use_its_own_policy_arc_R_CERT_9(holder):
    settings = CaSettings(signing_policy_oid="1.3.6.1.4.1.55555.1.1")
    ca = CertificateAuthority.generate(CertKind.SIGN, at=AT, key=pooled_key(), settings=settings)
    cert = ca.issue(sign_request(holder), at=AT)
    policies = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
    assert [p.policy_identifier.dotted_string for p in policies] == ["1.3.6.1.4.1.55555.1.1"]


REFERENCE = __import__("pathlib").Path("/work/shared/reference/jpki-ca")


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="the real J-LIS CA certificates are not on this machine")
def test_roots_have_the_shape_of_the_real_j_lis_roots(sign_ca, auth_ca):
    """Field by field against J-LIS's public CA certificates (read where they lie, never copied):
    the same subject attribute types, extensions, order and criticality, the same kind of
    subjectAltName and CRL distribution point, a 10-year validity ending 23:59:59 JST."""

    def shape(cert):
        return (
            [a.oid for a in cert.subject],
            [(e.oid, e.critical) for e in cert.extensions],
            cert.extensions.get_extension_for_class(x509.BasicConstraints).value.path_length,
            type(cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value[0]),
            cert.not_valid_after_utc.astimezone(JST).time(),
            cert.not_valid_after_utc.year - cert.not_valid_before_utc.year,
        )

    for kind, ca in (("sign", sign_ca), ("auth", auth_ca)):
        for pem in sorted(REFERENCE.glob(f"{kind}_ca_*.pem")):
            real = x509.load_pem_x509_certificate(pem.read_bytes())
            assert shape(ca.certificate) == shape(real), pem.name
            assert real.serial_number < 2**31 and ca.certificate.serial_number < 2**31
