"""Signature timestamps (RFC 3161 tokens): what time a valid token from a trusted TSA proves.

The token's message imprint must be the hash of what it stamps (the CMS signature value, or
the canonical ``ds:SignatureValue`` of XAdES), the TSA must have signed the TSTInfo, and the
TSA certificate must be a time-stamping certificate under a trusted TSA root.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import cms, core, tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from mynacard.verify.integrity import signer_info_intact
from mynacard.verify.path import Trust


@dataclass(frozen=True)
class TimestampCheck:
    """``time`` when the token proves one; otherwise ``problem`` says why (and ``altered``
    whether the token contradicts what it stamps, rather than coming from an unknown TSA)."""

    time: datetime | None
    problem: str = ""
    altered: bool = False
    tsa: str = ""


def _digest(algo: str, data: bytes) -> bytes:
    try:
        hash_algorithm = get_pyca_cryptography_hash(algo)
    except AttributeError:  # an OID cryptography has no hash for
        raise ValueError(f"Unsupported digest algorithm in the timestamp token: {algo}.") from None
    h = hashes.Hash(hash_algorithm)
    h.update(data)
    return h.finalize()


def signer_certificate(signed_data: cms.SignedData, signer_info: cms.SignerInfo) -> cms.Certificate | None:
    """The certificate ``signer_info``'s sid names, among those ``signed_data`` carries."""
    sid = signer_info["sid"]
    for choice in signed_data["certificates"] or []:
        if choice.name != "certificate":
            continue
        c = choice.chosen
        if sid.name == "issuer_and_serial_number":
            ias = sid.chosen
            if c.serial_number == ias["serial_number"].native and (
                c.issuer.dump() == ias["issuer"].dump() or c.issuer == ias["issuer"]
            ):
                return c
        elif sid.name == "subject_key_identifier" and c.key_identifier == sid.chosen.native:
            return c
    return None


def check_token(token: cms.ContentInfo, stamped: bytes, trust: Trust) -> TimestampCheck:
    """Check a timestamp token over ``stamped`` (raises ``ValueError`` etc. when malformed)."""
    if token["content_type"].native != "signed_data":
        return TimestampCheck(None, "The timestamp token is not CMS SignedData.", altered=True)
    sd: cms.SignedData = token["content"]
    eci = sd["encap_content_info"]
    if eci["content_type"].native != "tst_info":
        return TimestampCheck(None, "The timestamp token does not hold a TSTInfo.", altered=True)
    if isinstance(eci["content"], core.Void):
        return TimestampCheck(None, "The timestamp token holds no TSTInfo.", altered=True)
    raw = eci["content"].parsed
    info = raw if isinstance(raw, tsp.TSTInfo) else tsp.TSTInfo.load(eci["content"].contents)
    imprint = info["message_imprint"]
    algo = imprint["hash_algorithm"]["algorithm"].native
    if not hmac.compare_digest(_digest(algo, stamped), imprint["hashed_message"].native):
        return TimestampCheck(None, "The timestamp was made over another signature.", altered=True)
    si = sd["signer_infos"][0]
    cert = signer_certificate(sd, si)
    if cert is None:
        return TimestampCheck(None, "The timestamp token does not carry its TSA certificate.")
    tst_bytes = eci["content"].contents
    cert_der = cert.dump()
    tsa = x509.load_der_x509_certificate(cert_der)
    ok, _ = signer_info_intact(
        si, tsa, cert_der, "tst_info", _digest(si["digest_algorithm"]["algorithm"].native, tst_bytes)
    )
    if not ok:
        return TimestampCheck(None, "The timestamp token's signature does not verify.", altered=True)
    gen_time: datetime = info["gen_time"].native
    if trust.check_tsa(tsa) is None:
        return TimestampCheck(None, f"The timestamp is from an untrusted TSA ({tsa.subject.rfc4514_string()}).")
    if not (tsa.not_valid_before_utc <= gen_time <= tsa.not_valid_after_utc):
        return TimestampCheck(None, "The timestamp lies outside its TSA certificate's validity.")
    return TimestampCheck(gen_time, tsa=tsa.subject.rfc4514_string())


def load_token(der: bytes) -> cms.ContentInfo:
    return cms.ContentInfo.load(der, strict=True)
