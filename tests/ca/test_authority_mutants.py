"""The CA's refusals and its certificates' criticality flags (ca/authority.py, ca/profile.py,
ca/municipality.py, R_CERT_1, R_CERT_2, R_CERT_9): what the registration side is told, field by
field. Written to kill mutants (docs/testing.md)."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtensionOID

from mynacard.ca import CaSettings, CertificateAuthority, CertKind, CertRequest
from mynacard.ca.errors import ProfileError
from mynacard.ca.municipality import check_municipality_code
from mynacard.timeutil import JST
from tests.ca.helpers import AT, MUNICIPALITY, auth_request, sign_request
from tests.keypool import pooled_key


def test_only_key_usage_and_certificate_policies_are_critical_in_a_holders_certificate_R_CERT_9(
    sign_ca, auth_ca, holder
):
    for cert in (sign_ca.issue(sign_request(holder), at=AT), auth_ca.issue(auth_request(), at=AT)):
        critical = {e.oid for e in cert.extensions if e.critical}
        assert critical == {ExtensionOID.KEY_USAGE, ExtensionOID.CERTIFICATE_POLICIES}
        assert len(cert.extensions) >= 7


def test_a_key_that_is_not_rsa_is_refused_as_a_ca_key_R_CERT_2(sign_ca):
    with pytest.raises(TypeError) as e:
        CertificateAuthority(CertKind.SIGN, sign_ca.certificate, ec.generate_private_key(ec.SECP256R1()))
    assert str(e.value) == "The CA key must be an RSA private key (R_CERT_2)."


def test_a_ca_key_must_match_its_certificate(sign_ca):
    with pytest.raises(ValueError) as e:
        CertificateAuthority(CertKind.SIGN, sign_ca.certificate, _other_key(sign_ca))
    assert str(e.value) == "The CA key does not match the CA certificate."


def _other_key(ca: CertificateAuthority) -> rsa.RSAPrivateKey:
    key = pooled_key()
    while key.public_key() == ca.certificate.public_key():
        key = pooled_key()
    return key


def test_a_holders_certificate_cannot_act_as_a_ca(sign_ca, holder):
    key = pooled_key()
    request = CertRequest(key.public_key(), AT, date(2030, 5, 10), MUNICIPALITY, holder)
    leaf = sign_ca.issue(request, at=AT)
    with pytest.raises(ValueError) as e:
        CertificateAuthority(CertKind.SIGN, leaf, key)
    assert str(e.value) == "The certificate is not a CA certificate (basicConstraints cA)."


def test_a_root_lasts_at_least_a_year_R_CERT_2():
    root = CertificateAuthority.generate(CertKind.AUTH, at=AT, key=pooled_key(), years=1)
    assert root.certificate.not_valid_after_utc.astimezone(JST).date() == date(2026, 3, 31)
    with pytest.raises(ValueError) as e:
        CertificateAuthority.generate(CertKind.AUTH, at=AT, key=pooled_key(), years=0)
    assert str(e.value) == "A root must be valid for at least one year."


def test_a_root_key_must_be_rsa_2048_R_CERT_2():
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(ValueError) as e:
        CertificateAuthority.generate(CertKind.SIGN, at=AT, key=small)
    assert str(e.value) == "The CA key must be RSA-2048 (R_CERT_2)."


def test_a_roots_last_day_is_counted_in_japan_time_whatever_the_machines_zone_R_CERT_2(monkeypatch):
    """08:00 JST on 1 April is still 31 March in UTC: the root ends on 31 March, 23:59:59 JST."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        root = CertificateAuthority.generate(
            CertKind.SIGN, at=datetime(2025, 4, 1, 8, 0, tzinfo=JST), key=pooled_key(), years=1
        )
    finally:
        monkeypatch.undo()
        time.tzset()
    assert root.certificate.not_valid_after_utc.astimezone(JST) == datetime(2026, 3, 31, 23, 59, 59, tzinfo=JST)


def refused(call) -> ProfileError:  # type: ignore[no-untyped-def]
    with pytest.raises(ProfileError) as e:
        call()
    return e.value


def test_the_request_must_fit_the_kind_of_certificate_R_CERT_1(sign_ca, auth_ca, holder):
    e = refused(lambda: sign_ca.issue(auth_request(), at=AT))
    assert e.fields == {"field": "subject"}
    assert e.message == "A signing certificate needs the basic four attributes (R_CERT_1)."
    assert e.message_ja == "署名用電子証明書には基本4情報が必要です。"
    e = refused(lambda: auth_ca.issue(sign_request(holder), at=AT))
    assert e.fields == {"field": "subject"}
    assert e.message == "An authentication certificate carries no personal data (R_CERT_1)."
    assert e.message_ja == "利用者証明用電子証明書には個人情報を記録しません。"
    with pytest.raises(TypeError) as t:
        sign_ca.issue("a request", at=AT)  # type: ignore[arg-type]
    assert str(t.value) == "request must be a CertRequest"


def test_a_certificate_that_would_end_before_it_starts_is_refused(auth_ca):
    e = refused(lambda: auth_ca.issue(auth_request(expires_on=date(2025, 3, 31)), at=AT))
    assert e.fields == {"field": "expires_on"}
    assert e.message == (
        "The certificate would expire (2025-03-31T23:59:59+09:00) before it starts (2025-04-01T10:30:15+09:00)."
    )
    assert e.message_ja == "有効期限が開始日より前です。"


def test_a_ca_issues_only_within_its_own_validity(auth_ca):
    early = auth_ca.certificate.not_valid_before_utc - timedelta(seconds=1)
    e = refused(lambda: auth_ca.issue(auth_request(), at=early))
    assert e.fields == {"field": "at"}
    assert e.message == f"The auth CA is not valid at {early.isoformat()}."
    assert e.message_ja == "認証局の有効期間外です。"


def test_a_certificate_may_end_with_its_ca_and_be_issued_at_the_last_second(auth_ca):
    end = auth_ca.certificate.not_valid_after_utc
    last_day = end.astimezone(JST).date()
    cert = auth_ca.issue(auth_request(expires_on=last_day), at=end)
    assert cert.not_valid_after_utc == end
    e = refused(lambda: auth_ca.issue(auth_request(expires_on=last_day + timedelta(days=1)), at=AT))
    assert e.fields == {"field": "expires_on"}
    assert e.message.startswith(f"The certificate would outlive its CA ({last_day + timedelta(days=1)} is after ")
    assert e.message_ja == "有効期限が認証局の有効期間を超えています。"


@pytest.mark.parametrize("code", ["011002", "131016", "471003"])
def test_municipality_codes_of_the_first_and_last_prefectures_are_accepted(code):
    assert check_municipality_code(code) == code


@pytest.mark.parametrize(
    ("code", "message", "message_ja"),
    [
        (
            "12345",
            "The municipality code must be 6 digits (JIS X 0402), got '12345'.",
            "地方公共団体コードは6桁の数字です。",
        ),
        (
            "001015",
            "The municipality code 001015 names no prefecture (01-47).",
            "地方公共団体コードの都道府県部分が正しくありません。",
        ),
        (
            "481001",
            "The municipality code 481001 names no prefecture (01-47).",
            "地方公共団体コードの都道府県部分が正しくありません。",
        ),
    ],
)
def test_a_wrong_municipality_code_is_refused_with_the_reason(code, message, message_ja):
    e = refused(lambda: check_municipality_code(code))
    assert (e.fields, e.message, e.message_ja) == ({"field": "municipality_code"}, message, message_ja)


def test_a_request_needs_an_rsa_2048_public_key_and_a_date_of_expiry_R_CERT_2():
    with pytest.raises(TypeError) as t:
        CertRequest(ec.generate_private_key(ec.SECP256R1()).public_key(), AT, date(2030, 1, 1), MUNICIPALITY)  # type: ignore[arg-type]
    assert str(t.value) == "public_key must be an RSA public key (R_CERT_2)"
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()
    e = refused(lambda: CertRequest(small, AT, date(2030, 1, 1), MUNICIPALITY))
    assert e.fields == {"field": "public_key"}
    assert e.message == "The key must be RSA-2048 (R_CERT_2), got 1024 bits."
    assert e.message_ja == "鍵長はRSA-2048である必要があります。"
    with pytest.raises(TypeError) as t:
        CertRequest(pooled_key().public_key(), AT, datetime(2030, 1, 1, tzinfo=JST), MUNICIPALITY)  # type: ignore[arg-type]
    assert str(t.value) == "expires_on must be a date"


def test_ca_settings_keep_the_base_url_as_given_less_its_trailing_slash():
    assert CaSettings(base_url="https://pki.example/SANDBOX/").base_url == "https://pki.example/SANDBOX"
    assert CaSettings(organization="O" * 64).organization == "O" * 64


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"country": "JPN"}, "country must be a 2-letter ISO 3166 code."),
        ({"organization": ""}, "organization must be 1 to 64 characters (ub-organization-name)."),
        ({"organization": "O" * 65}, "organization must be 1 to 64 characters (ub-organization-name)."),
    ],
)
def test_ca_settings_that_no_certificate_could_hold_are_refused(kwargs, message):
    with pytest.raises(ValueError) as e:
        CaSettings(**kwargs)
    assert str(e.value) == message


def test_a_certificate_must_last_at_least_a_second(auth_ca):
    """Valid from 23:59:59 JST of its last day is valid for no time at all: refused."""
    request = replace(
        auth_request(expires_on=date(2030, 5, 10)), not_before=datetime(2030, 5, 10, 23, 59, 59, tzinfo=JST)
    )
    e = refused(lambda: auth_ca.issue(request, at=AT))
    assert e.fields == {"field": "expires_on"}


def test_naive_times_are_refused_naming_the_argument():
    from mynacard.ca.profile import whole_seconds

    with pytest.raises(ValueError, match=r"^at must be timezone-aware \(got naive "):
        whole_seconds(datetime(2025, 4, 1, 10, 0))
    with pytest.raises(ValueError, match=r"^not_before must be timezone-aware \(got naive "):
        CertRequest(pooled_key().public_key(), datetime(2025, 4, 1, 10, 0), date(2030, 1, 1), MUNICIPALITY)
