"""OCSP: the status of one certificate, answered to a relying party (R_CERT_8)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from mynacard.ca import CertStatus, malformed_request_response, unauthorized_response
from mynacard.ca.ocsp import unsuccessful_response
from tests.ca.helpers import AT, auth_request, epoch, openssl, pkilint, write_der, write_pem
from tests.keypool import pooled_key

REVOKED_AT = AT - timedelta(hours=3)
NONCE = bytes(range(16))


def verify_signature(response: ocsp.OCSPResponse, signer: x509.Certificate) -> None:
    signer.public_key().verify(
        response.signature, response.tbs_response_bytes, padding.PKCS1v15(), hashes.SHA256()
    )


def test_good_certificate_R_CERT_8(sign_ca, sign_cert):
    resp = sign_ca.build_ocsp_response(sign_cert, CertStatus("good"), at=AT)
    assert resp.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL
    assert resp.certificate_status is ocsp.OCSPCertStatus.GOOD
    assert resp.serial_number == sign_cert.serial_number
    verify_signature(resp, sign_ca.certificate)


def test_revoked_certificate_with_its_reason_R_CERT_8(sign_ca, sign_cert):
    status = CertStatus("revoked", REVOKED_AT, x509.ReasonFlags.affiliation_changed)
    resp = sign_ca.build_ocsp_response(sign_cert, status, at=AT)
    assert resp.certificate_status is ocsp.OCSPCertStatus.REVOKED
    assert resp.revocation_time_utc == REVOKED_AT.replace(microsecond=0)
    assert resp.revocation_reason is x509.ReasonFlags.affiliation_changed


def test_a_hold_is_revoked_with_reason_certificate_hold_R_CERT_8(auth_ca, auth_cert):
    resp = auth_ca.build_ocsp_response(auth_cert, CertStatus("hold", REVOKED_AT), at=AT)
    assert resp.certificate_status is ocsp.OCSPCertStatus.REVOKED
    assert resp.revocation_reason is x509.ReasonFlags.certificate_hold


def test_a_released_hold_answers_good_again_R_CERT_8(auth_ca, auth_cert):
    held = auth_ca.build_ocsp_response(auth_cert, CertStatus("hold", REVOKED_AT), at=AT)
    later = AT + timedelta(hours=2)
    released = auth_ca.build_ocsp_response(auth_cert, CertStatus("good"), at=later)
    assert held.certificate_status is ocsp.OCSPCertStatus.REVOKED
    assert released.certificate_status is ocsp.OCSPCertStatus.GOOD


def test_an_unspecified_reason_is_omitted_R_CERT_8(sign_ca, sign_cert):
    status = CertStatus("revoked", REVOKED_AT, x509.ReasonFlags.unspecified)
    resp = sign_ca.build_ocsp_response(sign_cert, status, at=AT)
    assert resp.certificate_status is ocsp.OCSPCertStatus.REVOKED
    assert resp.revocation_reason is None


def test_times_are_at_and_a_day_later_not_the_machine_clock_R_CERT_8(sign_ca, sign_cert):
    resp = sign_ca.build_ocsp_response(sign_cert, CertStatus("good"), at=AT)
    assert resp.produced_at_utc == AT.replace(microsecond=0)
    assert resp.this_update_utc == AT.replace(microsecond=0)
    assert resp.next_update_utc == AT.replace(microsecond=0) + timedelta(days=1)


@pytest.mark.parametrize("algorithm", [None, hashes.SHA1(), hashes.SHA256(), hashes.SHA384(), hashes.SHA512()])
def test_cert_id_is_hashed_as_the_request_asked_sha1_by_default_R_CERT_8(sign_ca, sign_cert, algorithm):
    # OpenSSL finds a response's status by the CertID it sent, hash algorithm included
    resp = sign_ca.build_ocsp_response(sign_cert, CertStatus("good"), at=AT, hash_algorithm=algorithm)
    asked = algorithm or hashes.SHA1()
    req = ocsp.OCSPRequestBuilder().add_certificate(sign_cert, sign_ca.certificate, asked).build()
    assert resp.hash_algorithm.name == asked.name
    assert (resp.issuer_name_hash, resp.issuer_key_hash, resp.serial_number) == (
        req.issuer_name_hash, req.issuer_key_hash, req.serial_number)


def test_responder_is_the_ca_by_key_hash_R_CERT_8(sign_ca, sign_cert):
    resp = sign_ca.build_ocsp_response(sign_cert, CertStatus("good"), at=AT)
    ski = sign_ca.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert resp.responder_key_hash == ski.digest and resp.responder_name is None
    assert resp.certificates == []


def test_the_nonce_is_echoed_R_CERT_8(sign_ca, sign_cert):
    resp = sign_ca.build_ocsp_response(sign_cert, CertStatus("good"), at=AT, nonce=NONCE)
    assert resp.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == NONCE
    without = sign_ca.build_ocsp_response(sign_cert, CertStatus("good"), at=AT)
    assert len(without.extensions) == 0


@pytest.mark.parametrize("nonce", [b"", bytes(33)])
def test_a_nonce_outside_1_to_32_bytes_is_refused(sign_ca, sign_cert, nonce):
    with pytest.raises(ValueError, match="RFC 8954"):
        sign_ca.build_ocsp_response(sign_cert, CertStatus("good"), at=AT, nonce=nonce)


def test_a_certificate_of_the_other_ca_is_refused(sign_ca, auth_cert):
    with pytest.raises(ValueError, match="not issued by this CA"):
        sign_ca.build_ocsp_response(auth_cert, CertStatus("good"), at=AT)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("revoked",), "needs revoked_at"),
        (("hold", REVOKED_AT, x509.ReasonFlags.key_compromise), "certificateHold"),
        (("revoked", REVOKED_AT, x509.ReasonFlags.remove_from_crl), "CRL-only"),
        (("good", REVOKED_AT), "no revocation"),
        (("unknown",), "good, hold or revoked"),
        (("revoked", datetime(2025, 4, 1)), "timezone-aware"),
    ],
)
def test_inconsistent_statuses_are_refused_R_CERT_8(args, message):
    with pytest.raises(ValueError, match=message):
        CertStatus(*args)


def test_error_responses_are_unsigned_statuses():
    assert malformed_request_response().response_status is ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    assert unauthorized_response().response_status is ocsp.OCSPResponseStatus.UNAUTHORIZED
    with pytest.raises(ValueError):
        unsuccessful_response(ocsp.OCSPResponseStatus.SUCCESSFUL)


def responder_for(ca) -> tuple[x509.Certificate, object]:
    """A delegated OCSP responder certificate issued by the CA."""
    key = pooled_key()
    return ca.issue_ocsp_responder(key.public_key(), at=AT, lifetime=timedelta(days=30)), key


def test_responder_certificate_profile_RFC6960(sign_ca):
    cert, _ = responder_for(sign_ca)
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.OCSP_SIGNING]
    cert.extensions.get_extension_for_class(x509.OCSPNoCheck)
    assert cert.issuer == sign_ca.certificate.subject


def test_no_responder_certificate_outside_the_ca_validity(sign_ca):
    from mynacard.ca import ProfileError

    late = sign_ca.certificate.not_valid_after_utc + timedelta(days=1)
    with pytest.raises(ProfileError, match="not valid"):
        sign_ca.issue_ocsp_responder(pooled_key().public_key(), at=late, lifetime=timedelta(days=30))


def test_a_delegated_responder_signs_and_sends_its_certificate(sign_ca, sign_cert):
    cert, key = responder_for(sign_ca)
    resp = sign_ca.build_ocsp_response(
        sign_cert, CertStatus("good"), at=AT, responder_certificate=cert, responder_key=key
    )
    verify_signature(resp, cert)
    assert resp.certificates == [cert]
    with pytest.raises(ValueError, match="both"):
        sign_ca.build_ocsp_response(sign_cert, CertStatus("good"), at=AT, responder_key=key)


# --- external judges -------------------------------------------------------------------------


def test_responses_pass_pkilint_R_CERT_8(tmp_path, sign_ca, auth_ca, sign_cert, auth_cert):
    responses = {
        "good": sign_ca.build_ocsp_response(sign_cert, CertStatus("good"), at=AT, nonce=NONCE),
        "hold": auth_ca.build_ocsp_response(auth_cert, CertStatus("hold", REVOKED_AT), at=AT),
        "revoked": sign_ca.build_ocsp_response(
            sign_cert, CertStatus("revoked", REVOKED_AT, x509.ReasonFlags.key_compromise), at=AT
        ),
        "malformed": malformed_request_response(),
    }
    for name, resp in responses.items():
        path = write_der(tmp_path / f"{name}.ocsp", resp)
        assert pkilint("lint_ocsp_response", path) == [], name


def test_openssl_accepts_the_response_to_its_own_request_R_CERT_8(tmp_path, auth_ca):
    """openssl makes a request (with a nonce), we answer, openssl checks signature and nonce."""
    cert = auth_ca.issue(auth_request(), at=AT)
    root = write_pem(tmp_path / "root.pem", auth_ca.certificate)
    leaf = write_pem(tmp_path / "leaf.pem", cert)
    req_path = tmp_path / "req.der"
    openssl("ocsp", "-issuer", root, "-cert", leaf, "-reqout", req_path, check=True)
    request = ocsp.load_der_ocsp_request(req_path.read_bytes())
    assert request.serial_number == cert.serial_number
    nonce = request.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce

    resp = auth_ca.build_ocsp_response(cert, CertStatus("hold", AT), at=AT, nonce=nonce)
    resp_path = write_der(tmp_path / "resp.der", resp)
    # The chain is checked at AT; openssl compares thisUpdate/nextUpdate with its own clock,
    # so the tolerance (-validity_period) is widened to a century instead of faking "now".
    common = ["-respin", resp_path, "-CAfile", root, "-attime", epoch(AT + timedelta(minutes=5)),
              "-validity_period", str(100 * 365 * 86400)]  # fmt: skip
    # 1. signature and nonce against the saved request (the CA signed: it is the signer).
    checked = openssl("ocsp", *common, "-reqin", req_path, "-verify_other", root)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Response verify OK" in checked.stderr
    # 2. the status openssl reads for the certificate (-cert builds a new request: no nonce).
    status = openssl("ocsp", *common, "-issuer", root, "-cert", leaf, "-no_nonce")
    assert status.returncode == 0, status.stdout + status.stderr
    assert f"{leaf}: revoked" in status.stdout and "Reason: certificateHold" in status.stdout
    assert "WARNING" not in status.stdout + status.stderr


def test_response_bytes_round_trip(sign_ca, sign_cert):
    resp = sign_ca.build_ocsp_response(sign_cert, CertStatus("good"), at=AT)
    der = resp.public_bytes(serialization.Encoding.DER)
    assert ocsp.load_der_ocsp_response(der).serial_number == sign_cert.serial_number
