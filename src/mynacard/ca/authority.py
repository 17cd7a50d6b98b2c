"""The two JPKI certification authorities (署名用認証局, 利用者証明用認証局) of the sandbox.

A ``CertificateAuthority`` is a pure builder: it holds a root certificate and its key, and
turns requests into certificates, CRLs and OCSP responses. It keeps no state and reads no
clock: the caller passes ``at`` and the revocation entries, and stores what comes back.
The profile is described in ``mynacard.ca.profile``.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from mynacard.ca import crl as _crl
from mynacard.ca import ocsp as _ocsp
from mynacard.ca import profile as p
from mynacard.ca.errors import ProfileError
from mynacard.ca.profile import CaSettings, CertKind, CertRequest
from mynacard.crypto import Signer, new_rsa_key, seal_private_key, sign_x509, unseal_private_key
from mynacard.timeutil import JST, end_of_day

MAX_SERIAL_BITS = 159  # RFC 5280: at most 20 octets, positive
ROOT_SERIAL_BITS = 31  # J-LIS roots have small serials (1 in 2015, ~10^8 in 2023)
ROOT_YEARS = 10  # J-LIS roots are valid 10 years


def random_serial() -> int:
    """A random positive serial of at most 159 bits (unpredictable, as CA/B and RFC 5280 ask)."""
    return x509.random_serial_number()


def _check_serial(serial: int) -> int:
    if not isinstance(serial, int) or isinstance(serial, bool):
        raise TypeError("serial must be an int")
    if serial <= 0 or serial.bit_length() > MAX_SERIAL_BITS:
        raise ValueError("The serial number must be positive and not more than 159 bits.")
    return serial


def root_serial() -> int:
    """A small random serial for a root, as J-LIS's are small (never 0)."""
    return secrets.randbelow(2**ROOT_SERIAL_BITS - 1) + 1


def _add_years(at: datetime, years: int) -> datetime:
    try:
        return at.replace(year=at.year + years)
    except ValueError:  # 29 February into a common year
        return at.replace(year=at.year + years, day=28)


def _seal_context(kind: CertKind) -> bytes:
    return b"ca:" + kind.value.encode()


class CertificateAuthority:
    """One root CA of one kind (signing or authentication) with its private key."""

    kind: CertKind
    certificate: x509.Certificate
    settings: CaSettings

    def __init__(
        self,
        kind: CertKind,
        certificate: x509.Certificate,
        key: Signer,
        settings: CaSettings = CaSettings(),  # noqa: B008 - frozen, so a shared default is safe
    ) -> None:
        self.kind = CertKind(kind)
        if not isinstance(key, Signer) or not isinstance(key.public_key(), rsa.RSAPublicKey):
            raise TypeError("The CA key must be an RSA private key (R_CERT_2).")
        if key.public_key() != certificate.public_key():
            raise ValueError("The CA key does not match the CA certificate.")
        try:
            is_ca = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        except x509.ExtensionNotFound:  # a holder's certificate has no basicConstraints at all
            is_ca = False
        if not is_ca:
            raise ValueError("The certificate is not a CA certificate (basicConstraints cA).")
        self.certificate = certificate
        self.settings = settings
        self._key = key

    def __repr__(self) -> str:
        subject = self.certificate.subject.rfc4514_string()
        return f"CertificateAuthority({self.kind.value!r}, {subject!r})"

    @property
    def _ski(self) -> x509.SubjectKeyIdentifier:
        return self.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value

    @property
    def _aki(self) -> x509.AuthorityKeyIdentifier:
        return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(self._ski)

    # --- life cycle -------------------------------------------------------------------------

    @classmethod
    def generate(
        cls,
        kind: CertKind,
        *,
        at: datetime,
        settings: CaSettings = CaSettings(),  # noqa: B008
        key: Signer | None = None,
        years: int = ROOT_YEARS,
    ) -> CertificateAuthority:
        """A new self-signed root, valid from ``at`` through 23:59:59 JST of the day before the
        ``years``-th anniversary, as J-LIS's roots are (R_CERT_2; profile in ``profile``)."""
        kind = CertKind(kind)
        start = p.whole_seconds(at)
        if years < 1:
            raise ValueError("A root must be valid for at least one year.")
        key = key or new_rsa_key()
        if not isinstance(key, Signer) or key.key_size != p.RSA_KEY_BITS:
            raise ValueError(f"The CA key must be RSA-{p.RSA_KEY_BITS} (R_CERT_2).")
        name = p.root_name(kind, settings)
        last_day = _add_years(start.astimezone(JST), years).date() - timedelta(days=1)
        cert = sign_x509(
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(root_serial())
            .not_valid_before(start)
            .not_valid_after(end_of_day(last_day))
            .add_extension(p.root_key_usage(), critical=True)
            .add_extension(p.root_alt_name(), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(p.root_crl_distribution_points(name), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False),
            key,
        )
        return cls(kind, cert, key, settings)

    def sealed_key(self, master_key: bytes) -> bytes:
        """The CA private key encrypted under ``master_key``, for storage at rest."""
        if not isinstance(self._key, rsa.RSAPrivateKey):
            raise ValueError("The CA key is held in a token: it never leaves it, so it cannot be sealed.")
        return seal_private_key(self._key, master_key, context=_seal_context(self.kind))

    @classmethod
    def load(
        cls,
        kind: CertKind,
        certificate_der: bytes,
        sealed_key: bytes,
        master_key: bytes,
        settings: CaSettings = CaSettings(),  # noqa: B008
    ) -> CertificateAuthority:
        """The CA back from its stored certificate and sealed key.

        A wrong master key, a key sealed for the other kind or damaged data is a ``ValueError``.
        """
        kind = CertKind(kind)
        cert = x509.load_der_x509_certificate(certificate_der)
        try:
            key = unseal_private_key(sealed_key, master_key, context=_seal_context(kind))
        except Exception as exc:  # InvalidTag carries no message
            raise ValueError(
                f"Cannot unseal the {kind.value} CA key: wrong master key, wrong kind or damaged data."
            ) from exc
        return cls(kind, cert, key, settings)

    # --- certificates -----------------------------------------------------------------------

    def issue(self, request: CertRequest, *, at: datetime, serial: int | None = None) -> x509.Certificate:
        """Certify ``request`` at ``at`` (R_CERT_2, R_CERT_9).

        The certificate runs from ``request.not_before`` (whole seconds) through 23:59:59 JST of
        ``request.expires_on``; it may not outlive this CA.
        """
        at = p.whole_seconds(at)
        self._check_subject(request)
        not_before = p.whole_seconds(request.not_before, "not_before")
        not_after = end_of_day(request.expires_on)
        self._check_validity(at, not_before, not_after, request.expires_on)
        builder = (
            x509.CertificateBuilder()
            .subject_name(p.leaf_name(self.kind, request, self.settings))
            .issuer_name(self.certificate.subject)
            .public_key(request.public_key)
            .serial_number(random_serial() if serial is None else _check_serial(serial))
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(self._aki, critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(request.public_key), critical=False)
            .add_extension(p.leaf_key_usage(self.kind), critical=True)
            .add_extension(p.certificate_policies(self.kind, self.settings), critical=True)
            .add_extension(p.issuer_alt_name(), critical=False)
            .add_extension(
                p.crl_distribution_points(
                    self.kind, self.certificate.subject, request.municipality_code, self.settings
                ),
                critical=False,
            )
        )
        if self.settings.http_locations:  # a documented extra of the sandbox (see ``profile``)
            builder = builder.add_extension(p.authority_info_access(self.kind, self.settings), critical=False)
        if request.subject is not None:
            builder = builder.add_extension(p.basic_four_attributes(request.subject), critical=False)
        return sign_x509(builder, self._key)

    def issue_ocsp_responder(
        self, public_key: rsa.RSAPublicKey, *, at: datetime, lifetime: timedelta
    ) -> x509.Certificate:
        """A delegated OCSP responder certificate (RFC 6960 4.2.2.2): id-kp-OCSPSigning and
        id-pkix-ocsp-nocheck, valid from ``at`` for ``lifetime`` (capped by this CA)."""
        start = p.whole_seconds(at)
        if not self.certificate.not_valid_before_utc <= start < self.certificate.not_valid_after_utc:
            raise ProfileError(
                "at",
                f"The {self.kind.value} CA is not valid at {start.isoformat()}: it cannot certify an OCSP responder.",
                "認証局の有効期間外のため、OCSPレスポンダ証明書を発行できません。",
            )
        end = min(start + lifetime, self.certificate.not_valid_after_utc)
        org = self.certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
                *([org[0]] if org else []),
                x509.NameAttribute(NameOID.COMMON_NAME, f"{self.kind.value} CA OCSP responder"),
            ]
        )
        return sign_x509(
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(self.certificate.subject)
            .public_key(public_key)
            .serial_number(random_serial())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(p.signing_key_usage(), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=False)
            .add_extension(x509.OCSPNoCheck(), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(self._aki, critical=False),
            self._key,
        )

    def _check_subject(self, request: CertRequest) -> None:
        if not isinstance(request, CertRequest):
            raise TypeError("request must be a CertRequest")
        if self.kind is CertKind.SIGN and request.subject is None:
            raise ProfileError(
                "subject",
                "A signing certificate needs the basic four attributes (R_CERT_1).",
                "署名用電子証明書には基本4情報が必要です。",
            )
        if self.kind is CertKind.AUTH and request.subject is not None:
            raise ProfileError(
                "subject",
                "An authentication certificate carries no personal data (R_CERT_1).",
                "利用者証明用電子証明書には個人情報を記録しません。",
            )

    def _check_validity(self, at: datetime, not_before: datetime, not_after: datetime, expires_on: date) -> None:
        ca = self.certificate
        if not not_before < not_after:
            raise ProfileError(
                "expires_on",
                f"The certificate would expire ({not_after.isoformat()}) before it starts ({not_before.isoformat()}).",
                "有効期限が開始日より前です。",
            )
        if not ca.not_valid_before_utc <= at <= ca.not_valid_after_utc:
            raise ProfileError(
                "at",
                f"The {self.kind.value} CA is not valid at {at.isoformat()}.",
                "認証局の有効期間外です。",
            )
        if not_after > ca.not_valid_after_utc:
            raise ProfileError(
                "expires_on",
                f"The certificate would outlive its CA ({expires_on.isoformat()} is after "
                f"{ca.not_valid_after_utc.isoformat()}).",
                "有効期限が認証局の有効期間を超えています。",
            )

    # --- status -----------------------------------------------------------------------------

    def build_crl(
        self,
        entries: Sequence[_crl.RevocationEntry],
        *,
        at: datetime,
        number: int,
        municipality_code: str | None = None,
        next_update: datetime | None = None,
        delta_of: int | None = None,
        with_delta: bool = False,
    ) -> x509.CertificateRevocationList:
        """A CRL of ``entries`` (R_CERT_8); see ``mynacard.ca.crl.build_crl``. ``with_delta``: delta
        CRLs of this scope are published, so a full CRL names them (freshestCRL)."""
        der = self.build_crl_der(entries, at=at, number=number, municipality_code=municipality_code,
                                 next_update=next_update, delta_of=delta_of, with_delta=with_delta)
        return x509.load_der_x509_crl(der)

    def build_crl_der(
        self,
        entries: Iterable[_crl.RevocationEntry | _crl.RawEntry | bytes],
        *,
        at: datetime,
        number: int,
        municipality_code: str | None = None,
        next_update: datetime | None = None,
        delta_of: int | None = None,
        with_delta: bool = False,
    ) -> bytes:
        """``build_crl`` as DER; ``entries`` may be a stream (encoded as they come)."""
        return _crl.build_crl_der(
            issuer=self.certificate,
            key=self._key,
            entries=entries,
            at=at,
            number=number,
            idp_url=None if municipality_code is None else self.crl_url(municipality_code),
            next_update=next_update,
            delta_of=delta_of,
            freshest_url=self.settings.delta_crl_url(self.kind, municipality_code) if with_delta else None,
        )

    def build_ocsp_response(
        self,
        certificate: x509.Certificate,
        status: _ocsp.CertStatus,
        *,
        at: datetime,
        nonce: bytes | None = None,
        responder_certificate: x509.Certificate | None = None,
        responder_key: Signer | None = None,
        hash_algorithm: hashes.HashAlgorithm | None = None,
    ) -> ocsp.OCSPResponse:
        """An OCSP response for ``certificate`` (R_CERT_8); see ``mynacard.ca.ocsp``.

        Signed by the CA key unless a delegated responder (certificate and key) is given; the
        CertID is hashed with ``hash_algorithm`` (the request's), SHA-1 by default.
        """
        if (responder_certificate is None) != (responder_key is None):
            raise ValueError("Give both the responder certificate and its key, or neither.")
        return _ocsp.build_ocsp_response(
            issuer=self.certificate,
            certificate=certificate,
            status=status,
            at=at,
            nonce=nonce,
            signer_certificate=responder_certificate or self.certificate,
            signer_key=responder_key or self._key,
            hash_algorithm=hash_algorithm,
        )

    def crl_url(self, municipality_code: str | None = None) -> str:
        return self.settings.crl_url(self.kind, municipality_code)

    def ocsp_url(self) -> str:
        return self.settings.ocsp_url(self.kind)

    def ca_issuers_url(self) -> str:
        return self.settings.ca_issuers_url(self.kind)
