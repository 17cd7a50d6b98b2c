"""The certificate profile: what a relying party reads in a certificate (R_CERT_2, R_CERT_9)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from asn1crypto.core import UTF8String
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtensionOID, NameOID, SignatureAlgorithmOID
from hypothesis import given
from hypothesis import strategies as st

from mynacard.ca import CertificateAuthority, CertKind, CertRequest, ProfileError, SigningSubject
from mynacard.ca.era import jpki_birth_date
from mynacard.ca.profile import (
    AUTH_POLICY_OID,
    OID_ADDRESS,
    OID_ADDRESS_SUBSTITUTES,
    OID_BIRTH_DATE,
    OID_NAME,
    OID_NAME_SUBSTITUTES,
    OID_SEX,
    SIGNING_POLICY_OID,
    utf8_string_der,
)
from mynacard.timeutil import JST
from tests.ca.helpers import (
    ADDRESS,
    AT,
    MUNICIPALITY,
    auth_request,
    epoch,
    openssl,
    pkilint,
    sign_request,
    write_pem,
)
from tests.keypool import pooled_key


def other_names(cert: x509.Certificate) -> dict[str, str]:
    """The otherName values of subjectAltName, each decoded as the UTF8String it must be."""
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    values = {}
    for name in san.get_values_for_type(x509.OtherName):
        assert name.value[0] == 0x0C, f"{name.type_id.dotted_string} is not a UTF8String"
        values[name.type_id.dotted_string] = UTF8String.load(name.value).native
    return values


# --- R_CERT_2: algorithms and keys ---------------------------------------------------------


def test_certificates_are_sha256_with_rsa_over_rsa_2048_R_CERT_2(sign_ca, sign_cert, auth_cert):
    for cert in (sign_ca.certificate, sign_cert, auth_cert):
        assert cert.signature_algorithm_oid == SignatureAlgorithmOID.RSA_WITH_SHA256
        assert cert.version is x509.Version.v3
        key = cert.public_key()
        assert isinstance(key, rsa.RSAPublicKey) and key.key_size == 2048


def test_leaf_signature_verifies_with_the_ca_key_R_CERT_2(sign_ca, sign_cert):
    sign_ca.certificate.public_key().verify(
        sign_cert.signature,
        sign_cert.tbs_certificate_bytes,
        padding.PKCS1v15(),
        hashes.SHA256(),
    )


def test_a_key_other_than_rsa_2048_is_refused_R_CERT_2():
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(ProfileError, match="RSA-2048"):
        CertRequest(small.public_key(), AT, date(2030, 1, 1), MUNICIPALITY)


# --- R_CERT_9: validity ----------------------------------------------------------------------


def test_not_after_is_23_59_59_jst_of_the_expiry_date_R_CERT_9(sign_cert, auth_cert):
    for cert in (sign_cert, auth_cert):
        assert cert.not_valid_after_utc == datetime(2030, 5, 10, 23, 59, 59, tzinfo=JST)
        assert cert.not_valid_after_utc.astimezone(JST).time().isoformat() == "23:59:59"


def test_not_before_is_the_issuance_time_in_whole_seconds_R_CERT_9(sign_cert):
    assert sign_cert.not_valid_before_utc == AT.replace(microsecond=0)


# --- R_CERT_9: the basic four attributes -----------------------------------------------------


@pytest.mark.parametrize(
    ("born", "expected", "why"),
    [
        (date(1990, 5, 10), "419900510", "平成2年"),
        (date(1985, 1, 1), "319850101", "昭和60年"),
        (date(2019, 5, 1), "520190501", "令和 begins"),
        (date(2019, 4, 30), "420190430", "last day of 平成"),
        (date(1989, 1, 7), "319890107", "last day of 昭和"),
        (date(1989, 1, 8), "419890108", "平成 begins"),
        (date(1926, 12, 24), "219261224", "last day of 大正"),
        (date(1926, 12, 25), "319261225", "昭和 begins"),
        (date(1912, 7, 29), "119120729", "last day of 明治"),
        (date(1912, 7, 30), "219120730", "大正 begins"),
        (date(1868, 1, 25), "118680125", "明治元年"),
    ],
)
def test_birth_date_is_era_digit_and_gregorian_date_R_CERT_9(born, expected, why):
    assert jpki_birth_date(born) == expected, why


def test_birth_date_before_meiji_has_no_era_R_CERT_9():
    with pytest.raises(ValueError, match="Meiji"):
        jpki_birth_date(date(1868, 1, 24))


@given(st.dates(min_value=date(1868, 1, 25), max_value=date(2100, 12, 31)))
def test_birth_date_keeps_the_gregorian_date_and_eras_only_advance_R_CERT_9(born):
    value = jpki_birth_date(born)
    assert len(value) == 9 and value[1:] == born.strftime("%Y%m%d")
    assert value[0] in "12345"
    assert jpki_birth_date(born + timedelta(days=1))[0] >= value[0]


def test_signing_certificate_carries_the_basic_four_attributes_R_CERT_9(sign_cert):
    values = other_names(sign_cert)
    assert values == {
        OID_NAME.dotted_string: "山田　太郎",
        OID_BIRTH_DATE.dotted_string: "419900510",
        OID_SEX.dotted_string: "1",
        OID_ADDRESS.dotted_string: ADDRESS,
        OID_NAME_SUBSTITUTES.dotted_string: "00000",
        OID_ADDRESS_SUBSTITUTES.dotted_string: "0" * 13,
    }


def test_other_names_are_in_the_order_real_cards_use_R_CERT_9(sign_cert):
    san = sign_cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [n.type_id.dotted_string[-1] for n in san] == ["1", "4", "3", "5", "2", "6"]


def test_long_address_is_encoded_with_a_long_form_length_R_CERT_9(sign_ca):
    address = "北海道" + "札幌市中央区北一条西" * 19 + "一丁目"  # 196 chars, 588 UTF-8 bytes
    subject = SigningSubject("佐藤　花子", address, date(2001, 2, 3), "2")
    cert = sign_ca.issue(sign_request(subject), at=AT)
    assert other_names(cert)[OID_ADDRESS.dotted_string] == address


@given(st.text(min_size=0, max_size=300))
def test_utf8_string_der_round_trips_R_CERT_9(text):
    assert UTF8String.load(utf8_string_der(text)).native == text


@pytest.mark.parametrize(("given", "written"), [("1", "1"), ("2", "2"), ("3", "3"), ("9", "3")])
def test_sex_code_is_written_as_real_certificates_write_it_R_CERT_9(sign_ca, given, written):
    """Real certificates write 1 male, 2 female, 3 not known (J-LIS CPS 3.1.7): the register's
    9 (not applicable, RULES.md's code) is written as 3, following the real card."""
    cert = sign_ca.issue(sign_request(SigningSubject("名前", "住所", date(2000, 1, 1), given)), at=AT)
    assert other_names(cert)[OID_SEX.dotted_string] == written


@pytest.mark.parametrize("code", ["0", "4", "", "男"])
def test_other_sex_codes_are_refused_R_CERT_9(code):
    with pytest.raises(ProfileError) as err:
        SigningSubject("名前", "住所", date(2000, 1, 1), code)
    assert err.value.field == "sex"


def test_address_longer_than_200_characters_is_refused_R_CERT_9():
    with pytest.raises(ProfileError, match="200"):
        SigningSubject("名前", "あ" * 201, date(2000, 1, 1), "1")


def test_substitute_positions_mark_characters_outside_jis_R_CERT_9(sign_ca):
    # 𠮷 (U+20BB7) is in neither JIS X 0208 nor 0212: real JPKI writes a substitute for it.
    subject = SigningSubject(
        "𠮷田　一郎", "東京都千代田区", date(1970, 1, 1), "1", name_substituted=True
    )
    cert = sign_ca.issue(sign_request(subject), at=AT)
    assert other_names(cert)[OID_NAME_SUBSTITUTES.dotted_string] == "10000"


def test_substitute_positions_may_be_given_explicitly_R_CERT_9(sign_ca):
    subject = SigningSubject(
        "髙橋　一郎", "東京都", date(1970, 1, 1), "1", name_substituted="10000"
    )
    cert = sign_ca.issue(sign_request(subject), at=AT)
    assert other_names(cert)[OID_NAME_SUBSTITUTES.dotted_string] == "10000"


@pytest.mark.parametrize("flag", [True, "1", "100002", "1000x"])
def test_substitute_flag_that_cannot_be_placed_is_refused_R_CERT_9(flag):
    # True needs a character outside JIS to mark; a string needs one 0/1 per character.
    with pytest.raises(ProfileError) as err:
        SigningSubject("山田　太郎", "東京都", date(1970, 1, 1), "1", name_substituted=flag)
    assert err.value.field == "name_substituted"


def test_signing_subject_names_the_place_not_the_person_R_CERT_9(sign_cert):
    subject = sign_cert.subject
    assert subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "JP"
    localities = [a.value for a in subject.get_attributes_for_oid(NameOID.LOCALITY_NAME)]
    assert localities == ["Tokyo-to", MUNICIPALITY]
    cn = subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert cn.startswith("20250401") and "山田" not in cn


def test_signing_key_usage_is_digital_signature_and_non_repudiation_R_CERT_9(sign_cert):
    ext = sign_cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert ext.critical
    assert ext.value.digital_signature and ext.value.content_commitment
    assert not ext.value.key_encipherment and not ext.value.key_cert_sign


# --- R_CERT_1 / R_CERT_9: the authentication certificate carries no personal data ------------


def test_authentication_certificate_has_no_personal_data_R_CERT_9(auth_cert, holder):
    oids = {ext.oid for ext in auth_cert.extensions}
    assert ExtensionOID.SUBJECT_ALTERNATIVE_NAME not in oids
    attrs = {a.oid for a in auth_cert.subject}
    assert attrs == {NameOID.COUNTRY_NAME, NameOID.COMMON_NAME}
    cn = auth_cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert re.fullmatch(r"[A-Z0-9]{23}", cn)  # as on real cards
    der = auth_cert.tbs_certificate_bytes
    for secret in (holder.name, holder.address, "19900510"):
        assert secret.encode() not in der


def test_authentication_key_usage_is_digital_signature_only_R_CERT_9(auth_cert):
    ext = auth_cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert ext.critical and ext.value.digital_signature and not ext.value.content_commitment


def test_two_authentication_certificates_get_different_subjects_R_CERT_9(auth_ca):
    a, b = (auth_ca.issue(auth_request(), at=AT) for _ in range(2))
    assert a.subject != b.subject and a.serial_number != b.serial_number


# --- R_CERT_9: policies and where to check status ---------------------------------------------


def test_policy_oid_of_each_kind_R_CERT_9(sign_cert, auth_cert):
    def policies(cert):
        ext = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
        return [p.policy_identifier.dotted_string for p in ext]

    assert policies(sign_cert) == [SIGNING_POLICY_OID] == ["1.2.392.200149.8.5.1.1.20"]
    assert policies(auth_cert) == [AUTH_POLICY_OID] == ["1.2.392.200149.8.5.1.3.30"]


def test_crl_distribution_point_is_the_real_directory_name_first_R_CERT_8(sign_cert, auth_cert):
    """A parser of real cards reads the first point: a directory name ``…, OU=CRL Distribution
    Points, OU=<prefecture>, CN=<municipality>``; the sandbox's HTTP partition comes second."""
    for cert, label in ((sign_cert, "digital signature"), (auth_cert, "user authentication")):
        dps = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
        first = dps[0].full_name
        assert len(first) == 1 and isinstance(first[0], x509.DirectoryName)
        assert first[0].value.rfc4514_string() == (
            f"CN={MUNICIPALITY},OU=Tokyo-to,OU=CRL Distribution Points,OU=JPKI for {label} (sandbox),"
            "O=mynacard sandbox JPKI,C=JP"
        )


def test_certificate_policies_are_critical_as_on_real_leaves_R_CERT_9(sign_cert, auth_cert):
    for cert in (sign_cert, auth_cert):
        assert cert.extensions.get_extension_for_class(x509.CertificatePolicies).critical


def test_without_http_locations_a_leaf_has_the_real_form_only_R_CERT_8(sign_ca):
    from dataclasses import replace

    settings = replace(sign_ca.settings, http_locations=False)
    real = CertificateAuthority(CertKind.SIGN, sign_ca.certificate, sign_ca._key, settings)
    cert = real.issue(sign_request(SigningSubject("名前", "住所", date(2000, 1, 1), "1")), at=AT)
    dps = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert len(dps) == 1 and isinstance(dps[0].full_name[0], x509.DirectoryName)
    with pytest.raises(x509.ExtensionNotFound):
        cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess)


def test_status_urls_point_at_the_municipality_crl_and_the_kind_ocsp_R_CERT_8(sign_cert, auth_cert):
    for cert, kind in ((sign_cert, "sign"), (auth_cert, "auth")):
        dps = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
        assert [n.value for n in dps[1].full_name] == [f"http://127.0.0.1:8000/crl/{kind}/{MUNICIPALITY}.crl"]
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
        assert {d.access_method._name: d.access_location.value for d in aia} == {
            "OCSP": f"http://127.0.0.1:8000/ocsp/{kind}",
            "caIssuers": f"http://127.0.0.1:8000/ca/{kind}.cer",
        }


def test_key_identifiers_chain_leaf_to_root_R_CERT_9(sign_ca, sign_cert):
    ski = sign_ca.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    aki = sign_cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)
    assert aki.value.key_identifier == ski.value.digest


# --- external judges: pkilint and openssl ---------------------------------------------------


def test_certificates_pass_pkilint_R_CERT_9(tmp_path, sign_ca, auth_ca, sign_cert, auth_cert):
    files = {
        "sign-root": sign_ca.certificate,
        "auth-root": auth_ca.certificate,
        "sign-leaf": sign_cert,
        "auth-leaf": auth_cert,
    }
    for name, cert in files.items():
        assert pkilint("lint_pkix_cert", write_pem(tmp_path / f"{name}.pem", cert)) == [], name
    for kind in ("sign", "auth"):
        root, leaf = tmp_path / f"{kind}-root.pem", tmp_path / f"{kind}-leaf.pem"
        assert pkilint("lint_pkix_signer_signee_cert_chain", root, leaf) == [], kind


def test_openssl_verifies_the_leaf_against_the_root_R_CERT_2(
    tmp_path, sign_ca, auth_ca, sign_cert, auth_cert
):
    for kind, ca, leaf in (("sign", sign_ca, sign_cert), ("auth", auth_ca, auth_cert)):
        root_pem = write_pem(tmp_path / f"{kind}-root.pem", ca.certificate)
        leaf_pem = write_pem(tmp_path / f"{kind}-leaf.pem", leaf)
        result = openssl(
            "verify", "-attime", epoch(AT + timedelta(days=1)), "-CAfile", root_pem, leaf_pem
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.strip().endswith(": OK")


def test_openssl_rejects_the_leaf_after_its_expiry_R_CERT_9(tmp_path, sign_ca, sign_cert):
    root_pem = write_pem(tmp_path / "root.pem", sign_ca.certificate)
    leaf_pem = write_pem(tmp_path / "leaf.pem", sign_cert)
    # OpenSSL already counts notAfter itself as expired (RFC 5280 includes it), so the
    # last instant checked here is one second before it.
    evening = datetime(2030, 5, 10, 23, 59, 58, tzinfo=JST)
    next_day = datetime(2030, 5, 11, 0, 0, 0, tzinfo=JST)
    ok = openssl("verify", "-attime", epoch(evening), "-CAfile", root_pem, leaf_pem)
    late = openssl("verify", "-attime", epoch(next_day), "-CAfile", root_pem, leaf_pem)
    assert ok.returncode == 0, ok.stderr
    assert late.returncode != 0 and "expired" in late.stdout + late.stderr


def test_a_fresh_request_with_another_pool_key_is_issued(sign_ca, holder):
    """Issuing does not depend on the key: any RSA-2048 public key is certified (R_CERT_2)."""
    request = CertRequest(pooled_key().public_key(), AT, date(2026, 1, 1), "271004", holder)
    cert = sign_ca.issue(request, at=AT)
    assert cert.subject.get_attributes_for_oid(NameOID.LOCALITY_NAME)[0].value == "Osaka-fu"
