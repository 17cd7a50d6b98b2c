"""OCSP answers and the CA's smaller promises (ca/ocsp.py, ca/authority.py, ca/profile.py, R_CERT_8,
R_CERT_9): refusals with their reasons, the nonce's bounds, who a response carries, serials,
names and URLs. Written to kill mutants (docs/testing.md)."""

from __future__ import annotations

import re
import time
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from cryptography.x509.oid import NameOID

from mynacard.ca import CaSettings, CertificateAuthority, CertKind, CertStatus
from mynacard.ca import ocsp as ca_ocsp
from mynacard.ca.authority import _check_serial, root_serial
from mynacard.ca.profile import utf8_string_der
from mynacard.crypto import unseal_private_key
from mynacard.timeutil import JST
from tests.ca.helpers import AT, auth_request, sign_request
from tests.ca.test_signer import OpaqueKey
from tests.keypool import pooled_key

MASTER = bytes(range(32))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"state": "revoked", "revoked_at": AT, "reason": "keyCompromise"},
            TypeError,
            "reason must be an x509.ReasonFlags or None",
        ),
        (
            {"state": "revoked", "revoked_at": AT, "reason": x509.ReasonFlags.remove_from_crl},
            ValueError,
            "removeFromCRL is a CRL-only reason; a released hold is good.",
        ),
        (
            {"state": "hold", "revoked_at": AT, "reason": x509.ReasonFlags.key_compromise},
            ValueError,
            "A hold has reason certificateHold.",
        ),
    ],
)
def test_a_status_the_ocsp_answer_cannot_carry_is_refused_R_CERT_8(kwargs, error, message):
    with pytest.raises(error) as e:
        CertStatus(**kwargs)
    assert str(e.value) == message


def test_an_ocsp_answer_is_refused_for_what_it_cannot_vouch_for_R_CERT_8(sign_ca, auth_ca, holder):
    cert = sign_ca.issue(sign_request(holder), at=AT)
    with pytest.raises(TypeError) as t:
        sign_ca.build_ocsp_response(cert, "good", at=AT)  # type: ignore[arg-type]
    assert str(t.value) == "status must be a CertStatus"
    with pytest.raises(ValueError) as e:
        auth_ca.build_ocsp_response(cert, CertStatus("good"), at=AT)
    assert str(e.value) == "The certificate was not issued by this CA."
    with pytest.raises(ValueError) as e:
        sign_ca.build_ocsp_response(cert, CertStatus("good"), at=AT, responder_certificate=sign_ca.certificate)
    assert str(e.value) == "Give both the responder certificate and its key, or neither."
    other = pooled_key()
    while other.public_key() == sign_ca.certificate.public_key():
        other = pooled_key()
    with pytest.raises(ValueError) as e:
        sign_ca.build_ocsp_response(
            cert, CertStatus("good"), at=AT, responder_certificate=sign_ca.certificate, responder_key=other
        )
    assert str(e.value) == "The responder key does not match the responder certificate."


def test_a_successful_answer_is_not_made_as_an_error_answer():
    with pytest.raises(ValueError) as e:
        ca_ocsp.unsuccessful_response(ocsp.OCSPResponseStatus.SUCCESSFUL)
    assert str(e.value) == "A successful response must be built with build_ocsp_response."


@pytest.mark.parametrize("size", [1, 32])
def test_a_nonce_of_1_to_32_bytes_is_echoed_not_critical_RFC_8954(sign_ca, holder, size):
    cert = sign_ca.issue(sign_request(holder), at=AT)
    nonce = bytes(range(1, size + 1))
    resp = sign_ca.build_ocsp_response(cert, CertStatus("good"), at=AT, nonce=nonce)
    ext = resp.extensions.get_extension_for_class(x509.OCSPNonce)
    assert ext.value.nonce == nonce and ext.critical is False


def test_an_unknown_answer_signed_by_the_ca_carries_no_certificate_R_CERT_8(sign_ca, holder):
    cert = sign_ca.issue(sign_request(holder), at=AT)
    request = ocsp.OCSPRequestBuilder().add_certificate(cert, sign_ca.certificate, hashes.SHA256()).build()
    resp = ca_ocsp.build_unknown_response(
        issuer=sign_ca.certificate, request=request, at=AT,
        signer_certificate=sign_ca.certificate, signer_key=sign_ca._key,
    )  # fmt: skip
    assert resp.certificate_status is ocsp.OCSPCertStatus.UNKNOWN
    assert resp.certificates == []
    assert isinstance(resp.hash_algorithm, hashes.SHA256)  # the request's CertID, as it came
    assert (resp.issuer_name_hash, resp.serial_number) == (request.issuer_name_hash, cert.serial_number)


@pytest.mark.parametrize("serial", [1, 2**159 - 1])
def test_serials_from_1_to_159_bits_are_accepted_R_CERT_9(serial):
    assert _check_serial(serial) == serial


@pytest.mark.parametrize("serial", [0, 2**159])
def test_a_serial_out_of_range_says_the_rule(serial):
    with pytest.raises(ValueError) as e:
        _check_serial(serial)
    assert str(e.value) == "The serial number must be positive and not more than 159 bits."


def test_root_serials_are_random_31_bit_numbers_R_CERT_2():
    serials = [root_serial() for _ in range(64)]
    assert all(1 <= s < 2**31 for s in serials)
    assert max(serials) > 2**24 and len(set(serials)) == len(serials)


def test_a_ca_key_is_sealed_for_its_kind_as_earlier_stores_expect(sign_ca):
    """Stores made before keep ``ca:sign`` / ``ca:auth`` as the sealing context: they must still open."""
    sealed = sign_ca.sealed_key(MASTER)
    key = unseal_private_key(sealed, MASTER, context=b"ca:sign")
    assert key.public_key() == sign_ca.certificate.public_key()


def test_a_key_in_a_token_cannot_be_sealed(sign_ca):
    ca = CertificateAuthority.generate(CertKind.AUTH, at=AT, key=OpaqueKey(pooled_key()))  # type: ignore[arg-type]
    with pytest.raises(ValueError) as e:
        ca.sealed_key(MASTER)
    assert str(e.value) == "The CA key is held in a token: it never leaves it, so it cannot be sealed."


def test_a_loaded_ca_keeps_the_settings_it_is_given(sign_ca):
    settings = CaSettings(base_url="https://pki.example")
    der = sign_ca.certificate.public_bytes(serialization.Encoding.DER)
    ca = CertificateAuthority.load(CertKind.SIGN, der, sign_ca.sealed_key(MASTER), MASTER, settings)
    assert ca.settings == settings
    assert ca.ca_issuers_url() == "https://pki.example/ca/sign.cer"


def test_a_ca_shows_its_kind_and_subject(sign_ca):
    assert repr(sign_ca) == f"CertificateAuthority('sign', {sign_ca.certificate.subject.rfc4514_string()!r})"


def test_a_full_crl_names_its_deltas_only_when_asked_R_CERT_8(sign_ca):
    crl = sign_ca.build_crl([], at=AT, number=1)
    with pytest.raises(x509.ExtensionNotFound):
        crl.extensions.get_extension_for_class(x509.FreshestCRL)
    der = sign_ca.build_crl_der([], at=AT, number=2)
    with pytest.raises(x509.ExtensionNotFound):
        x509.load_der_x509_crl(der).extensions.get_extension_for_class(x509.FreshestCRL)


def test_certificate_policies_point_at_the_cps_of_their_kind_R_CERT_9(sign_ca, auth_ca, holder):
    for ca, cert in (
        (sign_ca, sign_ca.issue(sign_request(holder), at=AT)),
        (auth_ca, auth_ca.issue(auth_request(), at=AT)),
    ):
        [policy] = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
        assert policy.policy_qualifiers == [f"http://127.0.0.1:8000/cps/{ca.kind.value}"]


def test_a_signing_certificates_common_name_is_the_issue_date_and_16_upper_case_hex_digits(
    monkeypatch, sign_ca, holder
):
    """The date is Japan's: 08:00 JST on 1 April is still 31 March in UTC."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        request = replace(sign_request(holder), not_before=datetime(2025, 4, 1, 8, 0, tzinfo=JST))
        cert = sign_ca.issue(request, at=AT)
    finally:
        monkeypatch.undo()
        time.tzset()
    [cn] = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    assert re.fullmatch(r"20250401[0-9A-F]{16}", str(cn.value)), cn.value


def test_the_roots_name_says_who_runs_it(sign_ca):
    units = [a.value for a in sign_ca.certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)]
    assert units[-1] == "Japan Agency for Local Authority Information Systems (sandbox)"


@pytest.mark.parametrize(("n", "head"), [(127, "0c7f"), (128, "0c8180"), (255, "0c81ff"), (256, "0c820100")])
def test_utf8_strings_take_the_shortest_der_length(n, head):
    assert utf8_string_der("a" * n).hex().startswith(head)
    assert len(utf8_string_der("a" * n)) == len(bytes.fromhex(head)) + n


def test_the_ca_package_names_what_it_does_not_have():
    import mynacard.ca

    with pytest.raises(AttributeError) as e:
        mynacard.ca.no_such_thing  # noqa: B018
    assert str(e.value) == "module 'mynacard.ca' has no attribute 'no_such_thing'"
    assert mynacard.ca.CertStatus is CertStatus


def test_an_ocsp_responders_key_only_signs_R_CERT_8(sign_ca):
    responder = sign_ca.issue_ocsp_responder(pooled_key().public_key(), at=AT, lifetime=timedelta(days=7))
    usage = responder.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature
    assert not any(
        (usage.content_commitment, usage.key_encipherment, usage.data_encipherment, usage.key_agreement,
         usage.key_cert_sign, usage.crl_sign)
    )  # fmt: skip
