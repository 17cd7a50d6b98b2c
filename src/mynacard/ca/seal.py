"""Electronic seals of municipalities (電子公印) for the documents they issue.

In Japan the municipal head's seal on an electronically issued document is certified by the
local government PKI (LGPKI, 地方公共団体組織認証基盤), not by JPKI. The sandbox has its own
LGPKI-like root and one seal certificate per municipality, made with the same rules as its other
CAs: the time is an argument, RSA-2048, sha256WithRSAEncryption.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from mynacard.ca.authority import random_serial
from mynacard.timeutil import require_aware

ROOT_YEARS = 10
SEAL_YEARS = 3


def root_name() -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mynacard sandbox LGPKI"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Application CA (sandbox)"),
        ]
    )


def seal_root(key: rsa.RSAPrivateKey, at: datetime) -> x509.Certificate:
    """The self-signed root that certifies municipal seals."""
    at = require_aware(at).replace(microsecond=0)
    name = root_name()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(random_serial())
        .not_valid_before(at)
        .not_valid_after(at + timedelta(days=365 * ROOT_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )


def seal_certificate(
    root_key: rsa.RSAPrivateKey,
    root: x509.Certificate,
    key: rsa.RSAPrivateKey,
    *,
    municipality: str,
    prefecture: str,
    at: datetime,
) -> x509.Certificate:
    """The seal of a municipality's head (e.g. 中能登町長), certified by the root."""
    at = require_aware(at).replace(microsecond=0)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, prefecture),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, municipality),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{municipality}長"),
        ]
    )
    end = min(at + timedelta(days=365 * SEAL_YEARS), root.not_valid_after_utc)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(random_serial())
        .not_valid_before(at)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(ca=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
        .sign(root_key, hashes.SHA256())
    )


def _usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=not ca,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )
