"""The delegated OCSP signing certificate of each CA (RFC 6960 4.2.2.2).

Issued by the CA with extendedKeyUsage id-kp-OCSPSigning and id-pkix-ocsp-nocheck (so that
clients do not ask for its own status), stored with its key sealed under the master key, and
re-issued when the (possibly simulated) time leaves its validity.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding

from mynacard.ca import CertKind
from mynacard.crypto import seal_private_key, unseal_private_key
from mynacard.db.staff import OcspResponder
from mynacard.services import pki
from mynacard.services.context import Work

LIFETIME = timedelta(days=90)
RENEW_BEFORE = timedelta(days=7)


@dataclass(frozen=True)
class Responder:
    certificate: x509.Certificate
    key: rsa.RSAPrivateKey


def _context(kind: str) -> bytes:
    return b"ocsp-responder:" + kind.encode()


def responder(w: Work, kind: CertKind | str) -> Responder:
    """The responder of ``kind`` at ``w.at``, issued (or re-issued) when needed."""
    kind = CertKind(kind)
    row = w.session.get(OcspResponder, kind.value)
    if row is None:  # first use: one transaction issues it, the others wait and load it
        w.serialize(f"ocsp-responder:{kind.value}")
        row = w.session.get(OcspResponder, kind.value, populate_existing=True)
    if row is not None:
        cert = x509.load_der_x509_certificate(row.certificate_der)
        if cert.not_valid_before_utc <= w.at < cert.not_valid_after_utc - RENEW_BEFORE:
            key = unseal_private_key(row.sealed_key, w.office.master_key, context=_context(kind.value))
            return Responder(cert, key)
    ca = pki.authority(w, kind)
    key = w.office.keygen()
    cert = ca.issue_ocsp_responder(key.public_key(), at=w.at, lifetime=LIFETIME)
    sealed = seal_private_key(key, w.office.master_key, context=_context(kind.value))
    if row is None:
        row = OcspResponder(kind=kind.value, certificate_der=b"", sealed_key=b"", not_after=w.at)
        w.session.add(row)
    row.certificate_der = cert.public_bytes(Encoding.DER)
    row.sealed_key = sealed
    row.not_after = cert.not_valid_after_utc
    w.log("ocsp_responder_issued", kind=kind.value, serial=cert.serial_number)
    return Responder(cert, key)
