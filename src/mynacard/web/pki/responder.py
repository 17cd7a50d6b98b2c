"""The delegated OCSP signing certificate of each CA (RFC 6960 4.2.2.2).

Issued by the CA with extendedKeyUsage id-kp-OCSPSigning and id-pkix-ocsp-nocheck (so that
clients do not ask for its own status), stored with its key sealed under the master key, and
re-issued when the (possibly simulated) time leaves its validity.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from mynacard.ca import CertificateAuthority, CertKind, random_serial
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


def _ca_key(ca: CertificateAuthority) -> rsa.RSAPrivateKey:
    # The CA offers no API to certify a responder yet (tests/ca/test_ocsp.py makes one by hand
    # the same way); the key stays in this process and is never stored unsealed.
    return ca._key


def build_responder_certificate(ca: CertificateAuthority, key: rsa.RSAPrivateKey,
                                at: datetime) -> x509.Certificate:
    """A responder certificate for ``ca`` valid from ``at`` for LIFETIME (capped by the CA)."""
    start = at.replace(microsecond=0)
    end = min(start + LIFETIME, ca.certificate.not_valid_after_utc)
    org = ca.certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
        *([org[0]] if org else []),
        x509.NameAttribute(NameOID.COMMON_NAME, f"{ca.kind.value} CA OCSP responder"),
    ])
    ski = ca.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(random_serial())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                     key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, key_cert_sign=False, crl_sign=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=False)
        .add_extension(x509.OCSPNoCheck(), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski),
                       critical=False)
        .sign(_ca_key(ca), hashes.SHA256())
    )


def responder(w: Work, kind: CertKind | str) -> Responder:
    """The responder of ``kind`` at ``w.at``, issued (or re-issued) when needed."""
    kind = CertKind(kind)
    row = w.session.get(OcspResponder, kind.value)
    if row is not None:
        cert = x509.load_der_x509_certificate(row.certificate_der)
        if cert.not_valid_before_utc <= w.at < cert.not_valid_after_utc - RENEW_BEFORE:
            key = unseal_private_key(row.sealed_key, w.office.master_key, context=_context(kind.value))
            return Responder(cert, key)
    ca = pki.authority(w, kind)
    key = w.office.keygen()
    cert = build_responder_certificate(ca, key, w.at)
    sealed = seal_private_key(key, w.office.master_key, context=_context(kind.value))
    if row is None:
        row = OcspResponder(kind=kind.value, certificate_der=b"", sealed_key=b"", not_after=w.at)
        w.session.add(row)
    row.certificate_der = cert.public_bytes(Encoding.DER)
    row.sealed_key = sealed
    row.not_after = cert.not_valid_after_utc
    w.log("ocsp_responder_issued", kind=kind.value, serial=cert.serial_number)
    return Responder(cert, key)
