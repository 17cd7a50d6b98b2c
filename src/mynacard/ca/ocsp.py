"""OCSP responses of a JPKI CA (RFC 6960, R_CERT_8).

A response answers for one certificate: good, or revoked with its reason; a hold (一時保留)
is revoked with reason certificateHold, as RFC 6960 2.2 prescribes, and turns good again when
released. The CertID is hashed with SHA-1 (what OpenSSL and most clients send by default) unless
the request used another algorithm, which the response then uses too (a client matches the
CertID, algorithm included, against its request). thisUpdate and producedAt are ``at``,
nextUpdate one day later, and a request nonce is echoed (RFC 8954).
The responder is identified by key hash; by default the CA signs its responses itself, a
delegated responder (certificate with id-kp-OCSPSigning and its key) may be passed instead.

The response is assembled with asn1crypto rather than ``cryptography``'s builder because that
builder stamps producedAt with the machine clock; the sandbox's time is passed in (``at``), so
that a response made in a replayed or time-travelled world is consistent with itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from asn1crypto import ocsp as asn1_ocsp  # type: ignore[import-untyped]
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.x509 import ocsp

from mynacard.ca.profile import whole_seconds
from mynacard.crypto import Signer

RESPONSE_LIFETIME = timedelta(days=1)
MAX_NONCE_BYTES = 32  # RFC 8954 section 2.1


@dataclass(frozen=True)
class CertStatus:
    """What the CA's records say about one certificate at the time of the response."""

    state: Literal["good", "hold", "revoked"]
    revoked_at: datetime | None = None
    reason: x509.ReasonFlags | None = None

    def __post_init__(self) -> None:
        if self.state not in ("good", "hold", "revoked"):
            raise ValueError(f"state must be good, hold or revoked, not {self.state!r}.")
        if self.state == "good":
            if self.revoked_at is not None or self.reason is not None:
                raise ValueError("A good certificate has no revocation time or reason.")
            return
        if self.revoked_at is None:
            raise ValueError(f"A certificate on {self.state} needs revoked_at.")
        whole_seconds(self.revoked_at, "revoked_at")
        if self.reason is not None and not isinstance(self.reason, x509.ReasonFlags):
            raise TypeError("reason must be an x509.ReasonFlags or None")
        if self.reason is x509.ReasonFlags.remove_from_crl:
            raise ValueError("removeFromCRL is a CRL-only reason; a released hold is good.")
        if self.state == "hold" and self.reason not in (None, x509.ReasonFlags.certificate_hold):
            raise ValueError("A hold has reason certificateHold.")

    @property
    def ocsp_reason(self) -> x509.ReasonFlags | None:
        """The revocationReason to send (omitted when unspecified, as in the CRL)."""
        if self.state == "hold":
            return x509.ReasonFlags.certificate_hold
        if self.reason is x509.ReasonFlags.unspecified:
            return None
        return self.reason


def _utc(at: datetime) -> datetime:
    return at.astimezone(UTC)


def _cert_id(certificate: x509.Certificate, issuer: x509.Certificate,
             algorithm: hashes.HashAlgorithm) -> asn1_ocsp.CertId:
    # Let cryptography compute the hashes exactly as OpenSSL does.
    req = ocsp.OCSPRequestBuilder().add_certificate(certificate, issuer, algorithm).build()
    return asn1_ocsp.CertId(
        {
            "hash_algorithm": {"algorithm": algorithm.name},  # sha1, sha256...: asn1crypto's names too
            "issuer_name_hash": req.issuer_name_hash,
            "issuer_key_hash": req.issuer_key_hash,
            "serial_number": certificate.serial_number,
        }
    )


def _cert_status(status: CertStatus) -> asn1_ocsp.CertStatus:
    if status.state == "good":
        return asn1_ocsp.CertStatus(name="good", value=None)
    assert status.revoked_at is not None  # checked by CertStatus
    info: dict[str, object] = {"revocation_time": _utc(whole_seconds(status.revoked_at))}
    reason = status.ocsp_reason
    if reason is not None:
        info["revocation_reason"] = reason.name
    return asn1_ocsp.CertStatus(name="revoked", value=info)


def build_ocsp_response(
    *,
    issuer: x509.Certificate,
    certificate: x509.Certificate,
    status: CertStatus,
    at: datetime,
    signer_certificate: x509.Certificate,
    signer_key: Signer,
    nonce: bytes | None = None,
    hash_algorithm: hashes.HashAlgorithm | None = None,
) -> ocsp.OCSPResponse:
    """A successful, signed OCSP response for ``certificate`` issued by ``issuer``, its CertID
    hashed with ``hash_algorithm`` (the request's; SHA-1 when not given)."""
    this_update = _utc(whole_seconds(at))
    if not isinstance(status, CertStatus):
        raise TypeError("status must be a CertStatus")
    try:
        certificate.verify_directly_issued_by(issuer)
    except Exception as exc:
        raise ValueError("The certificate was not issued by this CA.") from exc
    if signer_key.public_key() != signer_certificate.public_key():
        raise ValueError("The responder key does not match the responder certificate.")
    single = {
        "cert_id": _cert_id(certificate, issuer, hash_algorithm or hashes.SHA1()),
        "cert_status": _cert_status(status),
        "this_update": this_update,
        "next_update": this_update + RESPONSE_LIFETIME,
    }
    return _signed(single, issuer, this_update, signer_certificate, signer_key, nonce)


def build_unknown_response(
    *,
    issuer: x509.Certificate,
    request: ocsp.OCSPRequest,
    at: datetime,
    signer_certificate: x509.Certificate,
    signer_key: Signer,
) -> ocsp.OCSPResponse:
    """A signed ``unknown`` answer (RFC 6960 2.2) for a serial this CA has no record of; the
    CertID is the request's own, so that the client matches it."""
    this_update = _utc(whole_seconds(at))
    if signer_key.public_key() != signer_certificate.public_key():
        raise ValueError("The responder key does not match the responder certificate.")
    cert_id = asn1_ocsp.CertId(
        {
            "hash_algorithm": {"algorithm": request.hash_algorithm.name},
            "issuer_name_hash": request.issuer_name_hash,
            "issuer_key_hash": request.issuer_key_hash,
            "serial_number": request.serial_number,
        }
    )
    single = {
        "cert_id": cert_id,
        "cert_status": asn1_ocsp.CertStatus(name="unknown", value=None),
        "this_update": this_update,
        "next_update": this_update + RESPONSE_LIFETIME,
    }
    return _signed(single, issuer, this_update, signer_certificate, signer_key, None)


def _signed(
    single: dict[str, object],
    issuer: x509.Certificate,
    this_update: datetime,
    signer_certificate: x509.Certificate,
    signer_key: Signer,
    nonce: bytes | None,
) -> ocsp.OCSPResponse:
    extensions = []
    if nonce is not None:
        if not isinstance(nonce, bytes) or not 1 <= len(nonce) <= MAX_NONCE_BYTES:
            raise ValueError(f"The nonce must be 1 to {MAX_NONCE_BYTES} bytes (RFC 8954).")
        extensions.append({"extn_id": "nonce", "critical": False, "extn_value": nonce})
    signer_spki = asn1_x509.PublicKeyInfo.load(
        signer_certificate.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    data: dict[str, object] = {
        "version": "v1",
        "responder_id": asn1_ocsp.ResponderId(name="by_key", value=signer_spki.sha1),
        "produced_at": this_update,
        "responses": [single],
    }
    if extensions:
        data["response_extensions"] = extensions
    tbs = asn1_ocsp.ResponseData(data)
    signature = signer_key.sign(tbs.dump(), padding.PKCS1v15(), hashes.SHA256())
    basic: dict[str, object] = {
        "tbs_response_data": tbs,
        "signature_algorithm": {"algorithm": "sha256_rsa"},
        "signature": signature,
    }
    if signer_certificate != issuer:  # a delegated responder sends its certificate along
        basic["certs"] = [asn1_x509.Certificate.load(signer_certificate.public_bytes(serialization.Encoding.DER))]
    response = asn1_ocsp.OCSPResponse(
        {
            "response_status": "successful",
            "response_bytes": {
                "response_type": "basic_ocsp_response",
                "response": asn1_ocsp.BasicOCSPResponse(basic),
            },
        }
    )
    return ocsp.load_der_ocsp_response(response.dump())


def unsuccessful_response(status: ocsp.OCSPResponseStatus) -> ocsp.OCSPResponse:
    """An unsigned error response (RFC 6960 2.3): malformedRequest, unauthorized, tryLater..."""
    if status is ocsp.OCSPResponseStatus.SUCCESSFUL:
        raise ValueError("A successful response must be built with build_ocsp_response.")
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status)


def malformed_request_response() -> ocsp.OCSPResponse:
    """The answer to a request that cannot be parsed."""
    return unsuccessful_response(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)


def unauthorized_response() -> ocsp.OCSPResponse:
    """The answer to a request about a certificate this CA did not issue (RFC 6960 2.3)."""
    return unsuccessful_response(ocsp.OCSPResponseStatus.UNAUTHORIZED)
