"""Reading a signature: CMS (attached or detached), PAdES and XAdES / XMLDSig.

Each reader returns an ``Extracted``: the signer's certificate, whether the signature still
matches what it covers, the claimed signing time and the signature timestamp, if any. Anything
that does not parse raises ``Malformed``.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO
from typing import Any

from asn1crypto import cms
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from mynacard.verify import der as fastder
from mynacard.verify.integrity import attribute, signer_info_intact
from mynacard.verify.path import Trust
from mynacard.verify.timestamps import TimestampCheck, check_token, signer_certificate


class Malformed(Exception):
    """Input that is not a signature we can read."""


@dataclass
class Extracted:
    format: str
    cert: x509.Certificate
    intact: bool
    problem: str = ""
    signing_time: datetime | None = None
    timestamp: Callable[[Trust], TimestampCheck] | None = None
    details: dict[str, Any] = field(default_factory=dict)
    cert_der: bytes = b""

    def __post_init__(self) -> None:
        if not self.cert_der:
            self.cert_der = self.cert.public_bytes(Encoding.DER)


def _digest(algo: str, data: bytes) -> bytes:
    if algo in ("sha256", "sha384", "sha512", "sha1"):
        return hashlib.new(algo, data).digest()
    h = hashes.Hash(get_pyca_cryptography_hash(algo))
    h.update(data)
    return h.finalize()


def _pem_body(data: bytes) -> bytes:
    text = data.decode("ascii", "strict")
    lines = [ln.strip() for ln in text.strip().splitlines()]
    if not lines or not lines[0].startswith("-----BEGIN ") or not lines[-1].startswith("-----END "):
        raise Malformed("A PEM file must start with -----BEGIN and end with -----END.")
    try:
        return base64.b64decode("".join(lines[1:-1]), validate=True)
    except binascii.Error as e:
        raise Malformed("The PEM body is not base64.") from e


cms_attribute = attribute


def _signing_time(si: cms.SignerInfo) -> datetime | None:
    values = cms_attribute(si["signed_attrs"], "signing_time")
    return values[0].native if values else None


def _tst_of(si: cms.SignerInfo) -> Callable[[Trust], TimestampCheck] | None:
    tokens = cms_attribute(si["unsigned_attrs"], "signature_time_stamp_token")
    if not tokens:
        return None
    token = tokens[0]
    stamped = si["signature"].native
    return lambda trust: check_token(token, stamped, trust)


def _signer(sd: cms.SignedData) -> tuple[cms.SignerInfo, cms.Certificate]:
    infos = sd["signer_infos"]
    if len(infos) != 1:
        raise Malformed(f"Expected one signer, found {len(infos)}.")
    si = infos[0]
    cert = signer_certificate(sd, si)
    if cert is None:
        raise Malformed("The signature does not carry the signer's certificate.")
    return si, cert


def read_cms(data: bytes, content: bytes | None) -> Extracted:
    """A CMS SignedData (DER or PEM), with its content attached or given as ``content``."""
    der = _pem_body(data) if data[:64].lstrip().startswith(b"-----BEGIN") else data
    try:
        sd = fastder.signed_data(der)
    except fastder.NotDer:
        return _read_cms_general(der, content)
    except fastder.DerError as e:
        raise Malformed(f"Not a CMS SignedData: {e}.") from e
    if len(sd.signer_infos) != 1:
        raise Malformed(f"Expected one signer, found {len(sd.signer_infos)}.")
    si = sd.signer_infos[0]
    cert, cert_der = _fast_signer(sd, si)
    attached = sd.content is not None
    fmt = "cms" if attached else "cms-detached"
    if attached:
        if content is not None and content != sd.content:
            return Extracted(fmt, cert, False, "The given content differs from the attached content.")
        payload = sd.content
    elif content is None:
        raise Malformed("This is a detached signature: give the signed document too (--content).")
    else:
        payload = content
    assert payload is not None
    ok, problem = fast_intact(si, cert, cert_der, sd.content_type, _digest(si.digest_algorithm, payload))
    times = si.attrs.get(fastder.OID_SIGNING_TIME) or []
    signing_time = None
    if len(times) == 1:
        signing_time = fastder.utc_time(times[0]) or cms.Time.load(times[0]).native
    tokens = si.unsigned.get(fastder.OID_TST) or []
    stamp = None
    if tokens:
        token = cms.ContentInfo.load(tokens[0])
        signature = si.signature

        def stamp(trust: Trust) -> TimestampCheck:
            return check_token(token, signature, trust)

    return Extracted(fmt, cert, ok, problem, signing_time=signing_time, timestamp=stamp, cert_der=cert_der)


def _fast_signer(sd: fastder.SignedData, si: fastder.SignerInfo) -> tuple[x509.Certificate, bytes]:
    for der in sd.certificates:
        if si.sid_serial is not None:
            if fastder.issuer_and_serial(der) == (si.sid_issuer, si.sid_serial):
                return _x509(der), der
        elif si.sid_ski is not None:
            cert = _x509(der)
            try:
                ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
            except x509.ExtensionNotFound:
                continue
            if ski == si.sid_ski:
                return cert, der
    raise Malformed("The signature does not carry the signer's certificate.")


_HASHES: dict[str, hashes.HashAlgorithm] = {
    "sha256": hashes.SHA256(),
    "sha384": hashes.SHA384(),
    "sha512": hashes.SHA512(),
}


@functools.lru_cache(maxsize=256)
def _cert_hash(algo: str, cert_der: bytes) -> bytes:
    return _digest(algo, cert_der)


def _octets(value: bytes) -> bytes:
    t = fastder.expect(fastder.tlv(value, 0, len(value)), 0x04, "octet string")
    return value[t[1] : t[2]]


def _ess_cert_hash(si: fastder.SignerInfo) -> tuple[str, bytes] | None:
    """``(hash algorithm, certificate hash)`` of the ESS signing-certificate attribute, if any."""
    for oid in (fastder.OID_SIGNING_CERT_V2, fastder.OID_SIGNING_CERT):
        values = si.attrs.get(oid)
        if values:
            return _ess_cert_id(oid, values[0])
    return None


@functools.lru_cache(maxsize=1024)
def _ess_cert_id(oid: bytes, v: bytes) -> tuple[str, bytes]:
    """The first ESSCertID(v2) of a SigningCertificate(V2) value: a pure function of its bytes,
    remembered (a signer's signatures carry the same value); a bad value raises every time."""
    outer = fastder.expect(fastder.tlv(v, 0, len(v)), 0x30, "SigningCertificate")
    certs = fastder.expect(fastder.tlv(v, outer[1], outer[2]), 0x30, "certs")
    first = fastder.expect(fastder.tlv(v, certs[1], certs[2]), 0x30, "ESSCertID")
    parts = fastder.children(v, first[1], first[2])
    algo = "sha256" if oid == fastder.OID_SIGNING_CERT_V2 else "sha1"
    if parts and parts[0][0] == 0x30 and oid == fastder.OID_SIGNING_CERT_V2:
        algo = fastder.HASHES.get(fastder._algorithm(v, parts[0]), "")
        parts = parts[1:]
    if not parts or not algo:
        raise fastder.DerError("ESSCertID")
    h = fastder.expect(parts[0], 0x04, "certHash")
    return algo, v[h[1] : h[2]]


def fast_intact(
    si: fastder.SignerInfo, cert: x509.Certificate, cert_der: bytes, content_type: bytes, digest: bytes
) -> tuple[bool, str]:
    """As ``integrity.signer_info_intact``, on the strict DER reader's SignerInfo."""
    key = cert.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        return False, "The signer's key is not RSA."
    name = si.signature_hash or si.digest_algorithm
    algo = _HASHES.get(name) or get_pyca_cryptography_hash(name)
    try:
        if si.signed_attrs is None:
            key.verify(si.signature, digest, padding.PKCS1v15(), Prehashed(algo))
            return True, ""
        md = si.attrs.get(fastder.OID_MESSAGE_DIGEST) or []
        ct = si.attrs.get(fastder.OID_CONTENT_TYPE) or []
        if len(md) != 1 or len(ct) != 1:
            return False, "The signed attributes lack the message digest or the content type."
        ct_t = fastder.expect(fastder.tlv(ct[0], 0, len(ct[0])), 0x06, "content type")
        if ct[0][ct_t[1] : ct_t[2]] != content_type:
            return False, "The signed content type differs from the content."
        if not hmac.compare_digest(_octets(md[0]), digest):
            return False, "The document does not match the signature."
        ess = _ess_cert_hash(si)
        if ess is not None and not hmac.compare_digest(ess[1], _cert_hash(ess[0], cert_der)):
            return False, "The signed attributes name another signing certificate."
        key.verify(si.signature, si.signed_attrs, padding.PKCS1v15(), algo)
    except InvalidSignature:
        return False, "The signature value does not verify."
    return True, ""


def _read_cms_general(der: bytes, content: bytes | None) -> Extracted:
    """The general path (asn1crypto): BER encodings the strict DER reader leaves aside."""
    ci = cms.ContentInfo.load(der, strict=True)
    if ci["content_type"].native != "signed_data":
        raise Malformed(f"The CMS content type is {ci['content_type'].native}, not signed data.")
    sd: cms.SignedData = ci["content"]
    si, cert = _signer(sd)
    eci = sd["encap_content_info"]
    attached = eci["content"].native is not None
    if attached:
        if content is not None and content != eci["content"].contents:
            return Extracted("cms", _x509(cert.dump()), False, "The given content differs from the attached content.")
        payload = eci["content"].contents
    elif content is None:
        raise Malformed("This is a detached signature: give the signed document too (--content).")
    else:
        payload = content
    algo = si["digest_algorithm"]["algorithm"].native
    cert_der = cert.dump()
    signer = _x509(cert_der)
    ok, problem = signer_info_intact(si, signer, cert_der, eci["content_type"].native, _digest(algo, payload))
    return Extracted(
        "cms" if attached else "cms-detached",
        signer,
        ok,
        problem,
        signing_time=_signing_time(si),
        timestamp=_tst_of(si),
    )


@functools.lru_cache(maxsize=256)
def _x509(der: bytes) -> x509.Certificate:
    return x509.load_der_x509_certificate(der)


def read_pdf(data: bytes) -> Extracted:
    """The newest signature of a PDF (PAdES), and whether it covers the document."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    reader = PdfFileReader(BytesIO(data), strict=False)
    sigs = reader.embedded_regular_signatures
    if not sigs:
        raise Malformed("The PDF has no signature.")
    emb = sigs[-1]
    si = emb.signer_info
    cert = emb.signer_cert
    digest = emb.compute_digest()
    cert_der = cert.dump()
    fmt = "pades"
    ok, problem = signer_info_intact(si, _x509(cert_der), cert_der, "data", digest)
    if not ok:
        return Extracted(fmt, _x509(cert_der), False, problem)
    coverage = emb.evaluate_signature_coverage()
    if coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        return Extracted(fmt, _x509(cert.dump()), False, "The signature does not cover its revision of the document.")
    details: dict[str, Any] = {"signatures": len(sigs), "field": emb.field_name}
    if coverage != SignatureCoverageLevel.ENTIRE_FILE:
        from pyhanko.sign.diff_analysis.policy_api import ModificationLevel

        diff = emb.evaluate_modifications()
        level = getattr(diff, "modification_level", ModificationLevel.OTHER)
        if level not in (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES):
            return Extracted(fmt, _x509(cert.dump()), False, "The document was changed after it was signed.")
        details["later_updates"] = str(level.name).lower()
    return Extracted(
        fmt, _x509(cert.dump()), True, signing_time=_signing_time(si), timestamp=_tst_of(si), details=details
    )


def same_bytes(a: bytes, b: bytes) -> bool:
    return hmac.compare_digest(a, b)
