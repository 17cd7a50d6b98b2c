"""CRLs: revocations and holds as relying parties download them (R_CERT_8)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import CRLEntryExtensionOID, SignatureAlgorithmOID

from mynacard.ca import RevocationEntry
from mynacard.timeutil import JST
from tests.ca.helpers import (
    AT,
    MUNICIPALITY,
    epoch,
    openssl,
    pkilint,
    sign_request,
    write_der,
    write_pem,
)

REVOKED_AT = AT - timedelta(hours=2)
HELD_AT = AT - timedelta(hours=1)


def reason_of(crl: x509.CertificateRevocationList, serial: int) -> x509.ReasonFlags | None:
    entry = crl.get_revoked_certificate_by_serial_number(serial)
    assert entry is not None, f"{serial} is not listed"
    try:
        return entry.extensions.get_extension_for_oid(CRLEntryExtensionOID.CRL_REASON).value.reason
    except x509.ExtensionNotFound:
        return None


@pytest.fixture
def entries() -> list[RevocationEntry]:
    return [
        RevocationEntry(1001, REVOKED_AT, x509.ReasonFlags.key_compromise),
        RevocationEntry(1002, HELD_AT, None, on_hold=True),
        RevocationEntry(1003, REVOKED_AT, x509.ReasonFlags.unspecified),
        RevocationEntry(1004, REVOKED_AT, None),
        RevocationEntry(1005, REVOKED_AT, x509.ReasonFlags.affiliation_changed),
    ]


def test_crl_is_v2_sha256_with_number_and_authority_key_R_CERT_8(sign_ca, entries):
    crl = sign_ca.build_crl(entries, at=AT, number=7)
    assert crl.signature_algorithm_oid == SignatureAlgorithmOID.RSA_WITH_SHA256
    assert crl.is_signature_valid(sign_ca.certificate.public_key())
    assert crl.issuer == sign_ca.certificate.subject
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 7
    aki = crl.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    ski = sign_ca.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert aki.key_identifier == ski.digest
    assert crl.tbs_certlist_bytes[4:7] == b"\x02\x01\x01"  # version v2 (INTEGER 1) comes first


def test_this_update_is_at_and_next_update_a_day_later_R_CERT_8(sign_ca, entries):
    crl = sign_ca.build_crl(entries, at=AT, number=1)
    assert crl.last_update_utc == AT.replace(microsecond=0)
    assert crl.next_update_utc == AT.replace(microsecond=0) + timedelta(days=1)
    later = AT + timedelta(hours=6)
    assert sign_ca.build_crl(entries, at=AT, number=1, next_update=later).next_update_utc == later.replace(
        microsecond=0
    )


def test_a_hold_is_listed_as_certificate_hold_R_CERT_8(sign_ca, entries):
    crl = sign_ca.build_crl(entries, at=AT, number=1)
    assert reason_of(crl, 1002) is x509.ReasonFlags.certificate_hold
    held = crl.get_revoked_certificate_by_serial_number(1002)
    assert held.revocation_date_utc == HELD_AT.replace(microsecond=0)


def test_a_revocation_carries_its_reason_R_CERT_8(sign_ca, entries):
    crl = sign_ca.build_crl(entries, at=AT, number=1)
    assert reason_of(crl, 1001) is x509.ReasonFlags.key_compromise
    assert reason_of(crl, 1005) is x509.ReasonFlags.affiliation_changed


def test_an_unspecified_reason_is_omitted_as_rfc_5280_recommends_R_CERT_8(sign_ca, entries):
    crl = sign_ca.build_crl(entries, at=AT, number=1)
    assert reason_of(crl, 1003) is None and reason_of(crl, 1004) is None


def test_a_municipality_crl_names_the_distribution_point_of_its_certificates_R_CERT_8(sign_ca, sign_cert, entries):
    crl = sign_ca.build_crl(entries, at=AT, number=1, municipality_code=MUNICIPALITY)
    idp = crl.extensions.get_extension_for_class(x509.IssuingDistributionPoint)
    assert idp.critical and idp.value.only_contains_user_certs
    dps = sign_cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert idp.value.full_name == dps[1].full_name  # the sandbox's HTTP point (the first is the real dirName)


def test_a_full_crl_has_no_distribution_point_R_CERT_8(sign_ca, entries):
    crl = sign_ca.build_crl(entries, at=AT, number=1)
    with pytest.raises(x509.ExtensionNotFound):
        crl.extensions.get_extension_for_class(x509.IssuingDistributionPoint)


def test_a_full_crl_with_deltas_names_them_in_freshest_crl_R_CERT_8(sign_ca, entries):
    crl = sign_ca.build_crl(entries, at=AT, number=1, municipality_code=MUNICIPALITY, with_delta=True)
    freshest = crl.extensions.get_extension_for_class(x509.FreshestCRL)
    assert not freshest.critical
    [point] = freshest.value
    assert point.full_name == [
        x509.UniformResourceIdentifier(f"http://127.0.0.1:8000/crl/sign/{MUNICIPALITY}-delta.crl")
    ]
    delta = sign_ca.build_crl([], at=AT, number=2, delta_of=1, municipality_code=MUNICIPALITY, with_delta=True)
    with pytest.raises(x509.ExtensionNotFound):  # a delta does not point to deltas
        delta.extensions.get_extension_for_class(x509.FreshestCRL)


def test_a_released_hold_is_removed_in_a_delta_crl_R_CERT_8(sign_ca):
    released = RevocationEntry(1002, HELD_AT, x509.ReasonFlags.remove_from_crl)
    delta = sign_ca.build_crl([released], at=AT, number=9, delta_of=8, municipality_code=MUNICIPALITY)
    indicator = delta.extensions.get_extension_for_class(x509.DeltaCRLIndicator)
    assert indicator.critical and indicator.value.crl_number == 8
    assert reason_of(delta, 1002) is x509.ReasonFlags.remove_from_crl


def test_remove_from_crl_is_refused_outside_a_delta_crl_R_CERT_8(sign_ca):
    released = RevocationEntry(1002, HELD_AT, x509.ReasonFlags.remove_from_crl)
    with pytest.raises(ValueError, match="delta"):
        sign_ca.build_crl([released], at=AT, number=9)


@pytest.mark.parametrize(("number", "delta_of"), [(8, 8), (8, 9)])
def test_a_delta_must_refer_to_an_earlier_base_crl(sign_ca, number, delta_of):
    with pytest.raises(ValueError, match="base CRL"):
        sign_ca.build_crl([], at=AT, number=number, delta_of=delta_of)


def test_a_hold_with_another_reason_is_refused_R_CERT_8():
    with pytest.raises(ValueError, match="certificateHold"):
        RevocationEntry(1, AT, x509.ReasonFlags.key_compromise, on_hold=True)


def test_a_certificate_is_listed_once(sign_ca):
    twice = [RevocationEntry(1, AT, None), RevocationEntry(1, AT, None, on_hold=True)]
    with pytest.raises(ValueError, match="only once"):
        sign_ca.build_crl(twice, at=AT, number=1)


def test_bad_times_and_numbers_are_refused(sign_ca):
    with pytest.raises(ValueError, match="timezone-aware"):
        sign_ca.build_crl([], at=datetime(2025, 4, 1), number=1)
    with pytest.raises(ValueError, match="timezone-aware"):
        RevocationEntry(1, datetime(2025, 4, 1), None)
    with pytest.raises(ValueError, match="next update"):
        sign_ca.build_crl([], at=AT, number=1, next_update=AT)
    with pytest.raises(ValueError, match="non-negative"):
        sign_ca.build_crl([], at=AT, number=-1)


def test_an_empty_crl_is_valid_R_CERT_8(auth_ca):
    crl = auth_ca.build_crl([], at=AT, number=0, municipality_code=MUNICIPALITY)
    assert len(crl) == 0 and crl.is_signature_valid(auth_ca.certificate.public_key())


# --- external judges -------------------------------------------------------------------------


def test_crls_pass_pkilint_R_CERT_8(tmp_path, sign_ca, auth_ca, entries):
    released = [RevocationEntry(1002, HELD_AT, x509.ReasonFlags.remove_from_crl)]
    crls = {
        "full": sign_ca.build_crl(entries, at=AT, number=1),
        "partition": sign_ca.build_crl(entries, at=AT, number=2, municipality_code=MUNICIPALITY),
        "with-delta": sign_ca.build_crl(entries, at=AT, number=4, with_delta=True),
        "delta": sign_ca.build_crl(released, at=AT, number=3, delta_of=2, municipality_code=MUNICIPALITY),
        "auth-empty": auth_ca.build_crl([], at=AT, number=1, municipality_code=MUNICIPALITY),
    }
    for name, crl in crls.items():
        path = write_der(tmp_path / f"{name}.crl", crl)
        assert pkilint("lint_crl", "-p", "PKIX", "-t", "CRL", path) == [], name


def test_openssl_sees_a_held_certificate_as_revoked_and_a_released_one_as_good_R_CERT_8(tmp_path, sign_ca, holder):
    """End to end: openssl matches the partition's IDP to the certificate's CRL DP."""
    cert = sign_ca.issue(sign_request(holder), at=AT)
    root = write_pem(tmp_path / "root.pem", sign_ca.certificate)
    leaf = write_pem(tmp_path / "leaf.pem", cert)
    when = epoch(AT + timedelta(hours=1))

    def verify(entries: list[RevocationEntry]) -> str:
        crl = sign_ca.build_crl(entries, at=AT, number=5, municipality_code=MUNICIPALITY)
        crl_path = write_der(tmp_path / "part.crl", crl)
        pem = openssl("crl", "-inform", "DER", "-in", crl_path, "-outform", "PEM", check=True)
        (tmp_path / "part.pem").write_text(pem.stdout)
        result = openssl(
            "verify", "-attime", when, "-crl_check", "-CAfile", root,
            "-CRLfile", tmp_path / "part.pem", leaf,
        )  # fmt: skip
        return result.stdout + result.stderr

    held = verify([RevocationEntry(cert.serial_number, AT, None, on_hold=True)])
    assert "certificate revoked" in held
    assert verify([]).strip().endswith(": OK")


def test_crl_signature_verifies_with_sha256(sign_ca):
    crl = sign_ca.build_crl([], at=AT, number=1)
    assert isinstance(crl.signature_hash_algorithm, hashes.SHA256)
    assert crl.last_update_utc.astimezone(JST).hour == 10
