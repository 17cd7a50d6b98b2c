"""Reading a signature: CMS (attached or detached), PAdES and XAdES / XMLDSig.

Each reader returns an ``Extracted``: the signer's certificate, whether the signature still
matches what it covers, the claimed signing time and the signature timestamp, if any. Anything
that does not parse raises ``Malformed``.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO
from typing import Any

from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from pyhanko.sign.validation.generic_cms import validate_sig_integrity
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

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


def _digest(algo: str, data: bytes) -> bytes:
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


def cms_attribute(attrs: cms.CMSAttributes, name: str) -> list[Any]:
    """The values of the attribute ``name`` (empty when absent)."""
    if attrs is None or attrs.native is None:
        return []
    for attr in attrs:
        if attr["type"].native == name:
            return list(attr["values"])
    return []


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
    der = _pem_body(data) if data.lstrip().startswith(b"-----BEGIN") else data
    ci = cms.ContentInfo.load(der, strict=True)
    if ci["content_type"].native != "signed_data":
        raise Malformed(f"The CMS content type is {ci['content_type'].native}, not signed data.")
    sd: cms.SignedData = ci["content"]
    si, cert = _signer(sd)
    eci = sd["encap_content_info"]
    attached = eci["content"].native is not None
    if attached:
        if content is not None and content != eci["content"].contents:
            return Extracted("cms", _x509(cert), False, "The given content differs from the attached content.")
        payload = eci["content"].contents
    elif content is None:
        raise Malformed("This is a detached signature: give the signed document too (--content).")
    else:
        payload = content
    algo = si["digest_algorithm"]["algorithm"].native
    intact, valid = validate_sig_integrity(si, cert, eci["content_type"].native, _digest(algo, payload))
    problem = (
        ""
        if intact and valid
        else ("The document does not match the signature." if not intact else "The signature value does not verify.")
    )
    return Extracted(
        "cms" if attached else "cms-detached",
        _x509(cert),
        intact and valid,
        problem,
        signing_time=_signing_time(si),
        timestamp=_tst_of(si),
    )


def _x509(cert: cms.Certificate) -> x509.Certificate:
    return x509.load_der_x509_certificate(cert.dump())


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
    intact, valid = validate_sig_integrity(si, cert, "data", digest)
    fmt = "pades"
    if not (intact and valid):
        return Extracted(fmt, _x509(cert), False, "The document does not match the signature.")
    coverage = emb.evaluate_signature_coverage()
    if coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        return Extracted(fmt, _x509(cert), False, "The signature does not cover its revision of the document.")
    details: dict[str, Any] = {"signatures": len(sigs), "field": emb.field_name}
    if coverage != SignatureCoverageLevel.ENTIRE_FILE:
        from pyhanko.sign.diff_analysis.policy_api import ModificationLevel

        diff = emb.evaluate_modifications()
        level = getattr(diff, "modification_level", ModificationLevel.OTHER)
        if level not in (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES):
            return Extracted(fmt, _x509(cert), False, "The document was changed after it was signed.")
        details["later_updates"] = str(level.name).lower()
    return Extracted(fmt, _x509(cert), True, signing_time=_signing_time(si), timestamp=_tst_of(si), details=details)


def same_bytes(a: bytes, b: bytes) -> bool:
    return hmac.compare_digest(a, b)
