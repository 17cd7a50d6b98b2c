"""Whether a CMS SignerInfo still matches what it signed (RFC 5652 5.4, 5.6).

The content's digest must equal the messageDigest attribute, the contentType attribute must
name the encapsulated type, an ESS signing-certificate(-v2) attribute (RFC 5035) must name the
signer's certificate, and the RSA signature must verify over the DER of the signed attributes
as they were received (re-tagged as a SET). Done here with ``cryptography`` directly: the
generic path through pyHanko compares names with LDAP string preparation and is the
bottleneck of a verification.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from asn1crypto import cms
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from pyhanko_certvalidator.util import get_pyca_cryptography_hash


def der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def digest(algo: str, data: bytes) -> bytes:
    h = hashes.Hash(get_pyca_cryptography_hash(algo))
    h.update(data)
    return h.finalize()


def attribute(attrs: Any, name: str) -> list[Any]:
    """The values of the CMS attribute ``name`` (empty when absent)."""
    if not isinstance(attrs, cms.CMSAttributes):
        return []
    for attr in attrs:
        if attr["type"].native == name:
            return list(attr["values"])
    return []


def _ess_matches(signed_attrs: cms.CMSAttributes, cert_der: bytes) -> bool:
    v2 = attribute(signed_attrs, "signing_certificate_v2")
    if v2:
        ids = v2[0]["certs"]
        if not len(ids):
            return False
        first = ids[0]
        algo = first["hash_algorithm"]["algorithm"].native
        return hmac.compare_digest(first["cert_hash"].native, digest(algo, cert_der))
    v1 = attribute(signed_attrs, "signing_certificate")
    if v1:
        ids = v1[0]["certs"]
        return bool(len(ids)) and hmac.compare_digest(ids[0]["cert_hash"].native, hashlib.sha1(cert_der).digest())
    return True


def signer_info_intact(
    si: cms.SignerInfo, cert: x509.Certificate, cert_der: bytes, content_type: str, content_digest: bytes
) -> tuple[bool, str]:
    """``(True, "")``, or ``(False, why)`` when the signature no longer matches."""
    signed_attrs = si["signed_attrs"]
    # the bytes as received, taken before any attribute is parsed (asn1crypto re-encodes parsed values)
    body = signed_attrs.contents if isinstance(signed_attrs, cms.CMSAttributes) else b""
    sig_algo = si["signature_algorithm"]
    if sig_algo.signature_algo != "rsassa_pkcs1v15":
        return False, f"Unsupported signature algorithm {sig_algo['algorithm'].native}."
    digest_algo = si["digest_algorithm"]["algorithm"].native
    try:
        hash_name = sig_algo.hash_algo
    except ValueError:
        hash_name = digest_algo
    if isinstance(signed_attrs, cms.CMSAttributes) and len(signed_attrs):
        md = attribute(signed_attrs, "message_digest")
        ct = attribute(signed_attrs, "content_type")
        if len(md) != 1 or len(ct) != 1:
            return False, "The signed attributes lack the message digest or the content type."
        if ct[0].native != content_type:
            return False, "The signed content type differs from the content."
        if not hmac.compare_digest(md[0].native, content_digest):
            return False, "The document does not match the signature."
        if not _ess_matches(signed_attrs, cert_der):
            return False, "The signed attributes name another signing certificate."
        signed = b"\x31" + der_length(len(body)) + body
        prehashed = False
    else:
        signed = content_digest  # no signed attributes: the signature is over the content itself
        prehashed = True
    key = cert.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        return False, "The signer's key is not RSA."
    algo = get_pyca_cryptography_hash(hash_name)
    try:
        if prehashed:
            from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

            key.verify(si["signature"].native, signed, padding.PKCS1v15(), Prehashed(algo))
        else:
            key.verify(si["signature"].native, signed, padding.PKCS1v15(), algo)
    except (InvalidSignature, ValueError):
        return False, "The signature value does not verify."
    return True, ""
