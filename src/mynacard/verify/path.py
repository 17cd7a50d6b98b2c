"""Path validation to the JPKI signing CA, with key usage and policy (pyhanko-certvalidator).

The result of a path validation does not depend on the moment as long as the moment lies in
the certificate's validity, so it is cached per certificate; the validity period and the
revocation status, which do depend on the moment, are checked separately (``core``).
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from datetime import datetime

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import (
    InvalidCertificateError,
    PathBuildingError,
    PathValidationError,
    ValidationError,
)
from pyhanko_certvalidator.policy_decl import PKIXValidationParams

from mynacard.ca.profile import SIGNING_POLICY_OID
from mynacard.verify.verdict import Status

DOCUMENT_KEY_USAGE = frozenset({"digital_signature", "non_repudiation"})


def to_asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))


def issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """``issuer``'s key signed ``cert`` (and the names chain)."""
    key = issuer.public_key()
    if cert.issuer != issuer.subject or not isinstance(key, rsa.RSAPublicKey):
        return False
    try:
        key.verify(
            cert.signature,
            cert.tbs_certificate_bytes,
            padding.PKCS1v15(),
            cert.signature_hash_algorithm or hashes.SHA256(),
        )
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


@dataclass
class Trust:
    """The roots a verifier trusts: the JPKI signing CA(s), the authentication CA(s) (only to
    recognise an authentication certificate and refuse it), the TSA roots, and the policy."""

    signing_roots: list[x509.Certificate]
    auth_roots: list[x509.Certificate] = field(default_factory=list)
    tsa_roots: list[x509.Certificate] = field(default_factory=list)
    #: Roots of municipal electronic seals (電子公印, the sandbox's LGPKI-like root): documents a
    #: municipality issues (a kiosk's 住民票の写し) are sealed, not signed by a holder.
    seal_roots: list[x509.Certificate] = field(default_factory=list)
    signing_policy_oid: str = SIGNING_POLICY_OID
    _paths: dict[bytes, tuple[Status, str, x509.Certificate | None]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def issuer_of(self, cert: x509.Certificate, roots: list[x509.Certificate]) -> x509.Certificate | None:
        return next((r for r in roots if issued_by(cert, r)), None)

    def check_signer(
        self, cert: x509.Certificate, moment: datetime, *, der: bytes | None = None
    ) -> tuple[Status, str, x509.Certificate | None]:
        """``(VALID, "", issuer)``, or why the certificate cannot sign documents for JPKI."""
        key = der or cert.fingerprint(hashes.SHA256())
        hit = self._paths.get(key)
        if hit is not None:
            return hit
        result = self._check(cert, moment)
        with self._lock:
            self._paths[key] = result
        return result

    def _check(self, cert: x509.Certificate, moment: datetime) -> tuple[Status, str, x509.Certificate | None]:
        if self.issuer_of(cert, self.auth_roots) is not None:
            return (
                Status.WRONG_KEY_USAGE,
                "This is an authentication certificate (利用者証明用電子証明書); it does not sign documents.",
                None,
            )
        issuer = self.issuer_of(cert, self.signing_roots)
        policy: str | None = self.signing_policy_oid
        if issuer is None and (seal := self.issuer_of(cert, self.seal_roots)) is not None:
            issuer, policy = seal, None  # a municipal seal: LGPKI has no JPKI signing policy
        if issuer is None:
            return (
                Status.UNKNOWN_CA,
                f"The certificate was not issued by a trusted JPKI signing CA ({cert.issuer.rfc4514_string()}).",
                None,
            )
        # the path itself, at a moment inside the certificate's validity (the period is checked apart)
        inside = min(max(moment, cert.not_valid_before_utc), cert.not_valid_after_utc)
        ctx = ValidationContext(
            trust_roots=[to_asn1(issuer)], moment=inside, allow_fetching=False, revocation_mode="soft-fail"
        )
        params = (
            PKIXValidationParams(user_initial_policy_set=frozenset({policy}), initial_explicit_policy=True)
            if policy is not None
            else PKIXValidationParams()
        )
        validator = CertificateValidator(to_asn1(cert), validation_context=ctx, pkix_params=params)
        # (a seal's path has no policy to require; its key usage is checked as a signer's)
        try:
            asyncio.run(validator.async_validate_usage(key_usage=set(DOCUMENT_KEY_USAGE)))
        except InvalidCertificateError as e:
            return Status.WRONG_KEY_USAGE, f"Key usage: {e}", issuer
        except PathBuildingError as e:
            return Status.UNKNOWN_CA, f"No path to a trusted signing CA: {e}", None
        except PathValidationError as e:
            text = str(e)
            if "polic" in text.lower():
                return Status.WRONG_KEY_USAGE, f"The certificate lacks the JPKI signing policy: {text}", issuer
            return Status.UNKNOWN_CA, f"The path to the signing CA does not validate: {text}", None
        except ValidationError as e:
            return Status.UNKNOWN_CA, f"The certificate does not validate: {e}", None
        return Status.VALID, "", issuer

    def check_tsa(self, cert: x509.Certificate) -> x509.Certificate | None:
        """The TSA root that issued ``cert`` if it is a time-stamping certificate, else ``None``."""
        root = self.issuer_of(cert, self.tsa_roots)
        if root is None:
            return None
        try:
            eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except x509.ExtensionNotFound:
            return None
        return root if x509.oid.ExtendedKeyUsageOID.TIME_STAMPING in eku else None
