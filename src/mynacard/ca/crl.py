"""Certificate revocation lists (失効情報ファイル) of a JPKI CA (R_CERT_8).

Profile: v2, sha256WithRSA, authorityKeyIdentifier, cRLNumber, thisUpdate = ``at``, nextUpdate
by default one day later. Each entry carries a reasonCode except when the reason is
unspecified (RFC 5280 5.3.1 recommends omitting it then). A hold (一時保留) is an entry with
reason certificateHold; releasing it takes the entry off the next full CRL and lists it in a
delta CRL with reason removeFromCRL. A CRL for one municipality (as real JPKI partitions them)
carries a critical issuingDistributionPoint equal to the certificates' cRLDistributionPoints
URL, with onlyContainsUserCerts. Which entries belong to the CRL is the caller's decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509

from mynacard.ca.profile import whole_seconds
from mynacard.crypto import Signer, sign_x509

DEFAULT_CRL_LIFETIME = timedelta(days=1)
MAX_CRL_NUMBER_BITS = 159  # RFC 5280 5.2.3: up to 20 octets


@dataclass(frozen=True)
class RevocationEntry:
    """One revoked or held certificate, as a CRL lists it.

    ``on_hold=True`` (or reason certificateHold) marks a hold; ``reason`` removeFromCRL is
    only valid in a delta CRL (a released hold).
    """

    serial: int
    revoked_at: datetime
    reason: x509.ReasonFlags | None
    on_hold: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.serial, int) or self.serial <= 0:
            raise ValueError("The serial of a revoked certificate must be a positive int.")
        whole_seconds(self.revoked_at, "revoked_at")
        if self.reason is not None and not isinstance(self.reason, x509.ReasonFlags):
            raise TypeError("reason must be an x509.ReasonFlags or None")
        if self.on_hold and self.reason not in (None, x509.ReasonFlags.certificate_hold):
            raise ValueError(f"A hold has reason certificateHold, not {self.reason.value}.")

    @property
    def crl_reason(self) -> x509.ReasonFlags | None:
        """The reasonCode to write, or None to omit it (unspecified)."""
        if self.on_hold:
            return x509.ReasonFlags.certificate_hold
        if self.reason is x509.ReasonFlags.unspecified:
            return None
        return self.reason


def _check_number(value: int, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int")
    if value < 0 or value.bit_length() > MAX_CRL_NUMBER_BITS:
        raise ValueError(f"{name} must be a non-negative integer of at most 159 bits.")
    return value


def _revoked(entry: RevocationEntry, delta: bool) -> x509.RevokedCertificate:
    reason = entry.crl_reason
    if reason is x509.ReasonFlags.remove_from_crl and not delta:
        raise ValueError("removeFromCRL may appear only in a delta CRL (RFC 5280 5.3.1).")
    builder = (
        x509.RevokedCertificateBuilder()
        .serial_number(entry.serial)
        .revocation_date(whole_seconds(entry.revoked_at, "revoked_at"))
    )
    if reason is not None:
        builder = builder.add_extension(x509.CRLReason(reason), critical=False)
    return builder.build()


def build_crl(
    *,
    issuer: x509.Certificate,
    key: Signer,
    entries: Sequence[RevocationEntry],
    at: datetime,
    number: int,
    idp_url: str | None = None,
    next_update: datetime | None = None,
    delta_of: int | None = None,
    freshest_url: str | None = None,
) -> x509.CertificateRevocationList:
    """Sign a CRL over ``entries``; a delta CRL when ``delta_of`` (the base cRLNumber) is given.
    A full CRL with ``freshest_url`` names where its delta CRLs are (freshestCRL, RFC 5280 5.2.6)."""
    this_update = whole_seconds(at)
    nxt = this_update + DEFAULT_CRL_LIFETIME if next_update is None else whole_seconds(next_update, "next_update")
    if nxt <= this_update:
        raise ValueError("The next update must be after this update.")
    _check_number(number, "number")
    serials = [e.serial for e in entries]
    if len(set(serials)) != len(serials):
        raise ValueError("A certificate may be listed only once in a CRL.")
    ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.subject)
        .last_update(this_update)
        .next_update(nxt)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
        .add_extension(x509.CRLNumber(number), critical=False)
    )
    if delta_of is not None:
        if _check_number(delta_of, "delta_of") >= number:
            raise ValueError("A delta CRL's base CRL number must be below its own number.")
        builder = builder.add_extension(x509.DeltaCRLIndicator(delta_of), critical=True)
    elif freshest_url is not None:
        point = x509.DistributionPoint(
            full_name=[x509.UniformResourceIdentifier(freshest_url)],
            relative_name=None,
            reasons=None,
            crl_issuer=None,
        )
        builder = builder.add_extension(x509.FreshestCRL([point]), critical=False)
    if idp_url is not None:
        idp = x509.IssuingDistributionPoint(
            full_name=[x509.UniformResourceIdentifier(idp_url)],
            relative_name=None,
            only_contains_user_certs=True,
            only_contains_ca_certs=False,
            only_some_reasons=None,
            indirect_crl=False,
            only_contains_attribute_certs=False,
        )
        builder = builder.add_extension(idp, critical=True)
    for entry in sorted(entries, key=lambda e: e.serial):
        builder = builder.add_revoked_certificate(_revoked(entry, delta_of is not None))
    return sign_x509(builder, key)
