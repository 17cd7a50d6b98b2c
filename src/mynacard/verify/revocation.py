"""Revocation status at a moment: OCSP first, the CRL when OCSP gives no usable answer.

Sources hand over DER (an OCSP response, a CRL); this module checks that the CA (or its
delegated OCSP responder, id-kp-OCSPSigning, issued by the CA) signed it and that it is fresh
at the validation time, then reads the status *at the moment asked about*: a certificate
revoked after a signature timestamp was good when the timestamp was made. A hold
(certificateHold) is reported as ``hold``. Parsed answers are cached until their nextUpdate.
"""

from __future__ import annotations

import threading
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID

from mynacard.verify.verdict import RevocationStatus

CLOCK_SKEW = timedelta(minutes=5)
MAX_FETCH_BYTES = 4 * 1024 * 1024


class RevocationSource(Protocol):
    """Where OCSP responses and CRLs come from (the office's store, or HTTP)."""

    def ocsp(self, cert: x509.Certificate, issuer: x509.Certificate) -> bytes | None: ...

    def crl(self, cert: x509.Certificate, issuer: x509.Certificate) -> bytes | None: ...


@dataclass(frozen=True)
class _Known:
    """What a verified OCSP response or CRL says of one certificate, and until when."""

    source: str
    state: str  # good / revoked / hold
    reason: str | None
    revoked_at: datetime | None
    fresh_from: datetime
    fresh_until: datetime | None

    def at(self, moment: datetime) -> RevocationStatus:
        if self.state != "good" and self.revoked_at is not None and self.revoked_at <= moment:
            return RevocationStatus(self.state, moment, self.source, self.reason, self.revoked_at)
        return RevocationStatus("good", moment, self.source)


def _verify_signed_by(key_holder: x509.Certificate, signature: bytes, tbs: bytes, algo: hashes.HashAlgorithm) -> bool:
    key = key_holder.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        return False
    try:
        key.verify(signature, tbs, padding.PKCS1v15(), algo)
    except InvalidSignature:
        return False
    return True


def _reason_name(flag: x509.ReasonFlags | None) -> str | None:
    return None if flag is None else flag.name


def _ocsp_known(der: bytes, cert: x509.Certificate, issuer: x509.Certificate, now: datetime) -> _Known | None:
    resp = ocsp.load_der_ocsp_response(der)
    if resp.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
        return None
    algo = resp.signature_hash_algorithm
    if algo is None:
        return None
    signer = None
    if _verify_signed_by(issuer, resp.signature, resp.tbs_response_bytes, algo):
        signer = issuer
    else:
        for c in resp.certificates:
            if c.issuer != issuer.subject or not _verify_signed_by(
                issuer, c.signature, c.tbs_certificate_bytes, c.signature_hash_algorithm or hashes.SHA256()
            ):
                continue
            try:
                eku = c.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
            except x509.ExtensionNotFound:
                continue
            if ExtendedKeyUsageOID.OCSP_SIGNING not in eku:
                continue
            if not (c.not_valid_before_utc - CLOCK_SKEW <= now <= c.not_valid_after_utc):
                continue
            if _verify_signed_by(c, resp.signature, resp.tbs_response_bytes, algo):
                signer = c
                break
    if signer is None:
        return None
    for single in resp.responses:
        if single.serial_number != cert.serial_number:
            continue
        if single.this_update_utc > now + CLOCK_SKEW:
            return None
        if single.next_update_utc is not None and now >= single.next_update_utc:
            return None  # stale
        st = single.certificate_status
        if st is ocsp.OCSPCertStatus.UNKNOWN:
            return None
        if st is ocsp.OCSPCertStatus.GOOD:
            return _Known("ocsp", "good", None, None, single.this_update_utc, single.next_update_utc)
        reason = single.revocation_reason
        state = "hold" if reason is x509.ReasonFlags.certificate_hold else "revoked"
        return _Known(
            "ocsp",
            state,
            _reason_name(reason),
            single.revocation_time_utc,
            single.this_update_utc,
            single.next_update_utc,
        )
    return None


def _crl_known(der: bytes, cert: x509.Certificate, issuer: x509.Certificate, now: datetime) -> _Known | None:
    crl = x509.load_der_x509_crl(der)
    if crl.issuer != issuer.subject or not crl.is_signature_valid(issuer.public_key()):  # type: ignore[arg-type]
        return None
    try:
        crl.extensions.get_extension_for_class(x509.DeltaCRLIndicator)
        return None  # a delta CRL alone does not tell what is not listed
    except x509.ExtensionNotFound:
        pass
    if crl.last_update_utc > now + CLOCK_SKEW or (crl.next_update_utc is not None and now >= crl.next_update_utc):
        return None
    entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
    if entry is None:
        return _Known("crl", "good", None, None, crl.last_update_utc, crl.next_update_utc)
    try:
        reason: x509.ReasonFlags | None = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
    except x509.ExtensionNotFound:
        reason = None
    if reason is x509.ReasonFlags.remove_from_crl:
        return _Known("crl", "good", None, None, crl.last_update_utc, crl.next_update_utc)
    state = "hold" if reason is x509.ReasonFlags.certificate_hold else "revoked"
    return _Known(
        "crl", state, _reason_name(reason), entry.revocation_date_utc, crl.last_update_utc, crl.next_update_utc
    )


class RevocationChecker:
    """OCSP with CRL fallback over a source, with answers cached until their nextUpdate, and
    at most ``max_age`` after they were fetched (``None``: until nextUpdate, as an outside
    relying party caches; the office's own verifier keeps them briefly, because the office
    re-signs a response the moment a status changes)."""

    def __init__(self, source: RevocationSource, *, cache: bool = True, max_age: timedelta | None = None) -> None:
        self.source = source
        self.cache = cache
        self.max_age = max_age
        self._known: dict[tuple[bytes, int], tuple[_Known, datetime]] = {}
        self._lock = threading.Lock()
        self._issuers: dict[int, tuple[x509.Certificate, bytes]] = {}

    def _issuer_key(self, issuer: x509.Certificate) -> bytes:
        """The issuer's fingerprint, remembered per issuer object (the trust roots live long)."""
        hit = self._issuers.get(id(issuer))
        if hit is None or hit[0] is not issuer:
            hit = (issuer, issuer.fingerprint(hashes.SHA256()))
            self._issuers[id(issuer)] = hit
        return hit[1]

    def _fetch(self, cert: x509.Certificate, issuer: x509.Certificate, now: datetime) -> _Known | None:
        for kind, reader in (("ocsp", _ocsp_known), ("crl", _crl_known)):
            try:
                der = self.source.ocsp(cert, issuer) if kind == "ocsp" else self.source.crl(cert, issuer)
                if der:
                    known = reader(der, cert, issuer, now)
                    if known is not None:
                        return known
            except (ValueError, TypeError, OSError):
                continue  # an unreadable or unreachable answer: try the next source
        return None

    def status(
        self, cert: x509.Certificate, issuer: x509.Certificate, *, moment: datetime, now: datetime
    ) -> RevocationStatus:
        """The status of ``cert`` at ``moment``, from revocation data current at ``now``."""
        key = (self._issuer_key(issuer), cert.serial_number)
        hit = self._known.get(key) if self.cache else None
        known = None
        if hit is not None:
            known, fetched = hit
            fresh = known.fresh_from - CLOCK_SKEW <= now and (known.fresh_until is None or now < known.fresh_until)
            recent = self.max_age is None or fetched <= now < fetched + self.max_age
            if not (fresh and recent):
                known = None
        if known is None:
            known = self._fetch(cert, issuer, now)
            if known is None:
                return RevocationStatus("unknown", moment)
            if self.cache:
                with self._lock:
                    self._known[key] = (known, now)
        return known.at(moment)


class HttpSource:
    """OCSP and CRLs fetched from the URLs the certificate names (authorityInfoAccess, CRL DP)."""

    def __init__(self, timeout: float = 10.0) -> None:
        self.timeout = timeout

    def _get(self, req: urllib.request.Request | str) -> bytes:
        with urllib.request.urlopen(req, timeout=self.timeout) as r:
            return bytes(r.read(MAX_FETCH_BYTES))

    def ocsp(self, cert: x509.Certificate, issuer: x509.Certificate) -> bytes | None:
        try:
            aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
        except x509.ExtensionNotFound:
            return None
        urls = [
            d.access_location.value
            for d in aia
            if d.access_method == AuthorityInformationAccessOID.OCSP
            and isinstance(d.access_location, x509.UniformResourceIdentifier)
        ]
        if not urls or not urls[0].startswith(("http://", "https://")):
            return None
        body = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA1()).build()
        from cryptography.hazmat.primitives.serialization import Encoding

        req = urllib.request.Request(
            urls[0], data=body.public_bytes(Encoding.DER), headers={"Content-Type": "application/ocsp-request"}
        )
        return self._get(req)

    def crl(self, cert: x509.Certificate, issuer: x509.Certificate) -> bytes | None:
        try:
            dps = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
        except x509.ExtensionNotFound:
            return None
        for dp in dps:
            for name in dp.full_name or []:
                if isinstance(name, x509.UniformResourceIdentifier) and name.value.startswith(("http://", "https://")):
                    return self._get(name.value)
        return None
