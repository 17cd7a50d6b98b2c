"""The two certification authorities as the office uses them: keys at rest, issuance and
status changes (hold / release / revoke) (R_CERT_2, R_CERT_8). What relying parties read about
those statuses (OCSP responses, CRLs) is published by ``mynacard.services.revocation``."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import update

from mynacard.ca import (
    CaSettings,
    CertificateAuthority,
    CertKind,
    CertRequest,
    SigningSubject,
)
from mynacard.ca import CertStatus as OcspStatus
from mynacard.db import repositories as repo
from mynacard.db.models import Card, Certificate, CertificateAuthorityRow, CertStatus, Resident
from mynacard.errors import StateError
from mynacard.rules.events import RevocationReason
from mynacard.services.context import Work

_DER = Encoding.DER

REASON_FLAGS = {
    RevocationReason.UNSPECIFIED: None,
    RevocationReason.KEY_COMPROMISE: x509.ReasonFlags.key_compromise,
    RevocationReason.AFFILIATION_CHANGED: x509.ReasonFlags.affiliation_changed,
    RevocationReason.SUPERSEDED: x509.ReasonFlags.superseded,
    RevocationReason.CESSATION_OF_OPERATION: x509.ReasonFlags.cessation_of_operation,
    RevocationReason.CERTIFICATE_HOLD: x509.ReasonFlags.certificate_hold,
}

REASON_JA = {
    RevocationReason.UNSPECIFIED: "本人の申請による失効",
    RevocationReason.KEY_COMPROMISE: "紛失・盗難等による失効",
    RevocationReason.AFFILIATION_CHANGED: "基本4情報の変更による失効",
    RevocationReason.SUPERSEDED: "更新・再発行による失効",
    RevocationReason.CESSATION_OF_OPERATION: "カードの失効による失効",
    RevocationReason.CERTIFICATE_HOLD: "一時保留",
}


def lock(w: Work, kind: CertKind | str) -> None:
    """Serialise the publications of a CA (CRL numbers, first CRLs, responder certificates):
    a write on the CA's row, so that PostgreSQL row-locks it and SQLite takes its write lock."""
    w.session.execute(
        update(CertificateAuthorityRow)
        .where(CertificateAuthorityRow.kind == CertKind(kind).value)
        .values(crl_number=CertificateAuthorityRow.crl_number)
    )


def next_crl_number(w: Work, kind: CertKind | str) -> int:
    """The next cRLNumber of the CA (one counter for its full and delta CRLs of every scope)."""
    number = w.session.execute(
        update(CertificateAuthorityRow)
        .where(CertificateAuthorityRow.kind == CertKind(kind).value)
        .values(crl_number=CertificateAuthorityRow.crl_number + 1)
        .returning(CertificateAuthorityRow.crl_number)
    ).scalar_one()
    return int(number)


def settings(w: Work) -> CaSettings:
    return CaSettings(base_url=w.office.base_url)


def authority(w: Work, kind: CertKind | str) -> CertificateAuthority:
    """The CA of ``kind``, made (self-signed root, key sealed) the first time it is needed;
    loaded once per unit of work."""
    kind = CertKind(kind)
    ca: CertificateAuthority | None = w.memo.get(("ca", kind))
    if ca is None:
        ca = w.memo[("ca", kind)] = _authority(w, kind)
    return ca


def _authority(w: Work, kind: CertKind) -> CertificateAuthority:
    row = repo.ca_row(w.session, kind.value)
    if row is None:  # first use: one transaction makes the CA, the others wait and load it
        w.serialize(f"ca:{kind.value}")
        row = repo.ca_row(w.session, kind.value)
    if row is None:
        # One root per kind and no rollover: 20 years, since simulated time runs for decades
        # (J-LIS roots are valid 10 years; see ca.profile).
        ca = CertificateAuthority.generate(kind, at=w.at, settings=settings(w), key=w.office.keygen(), years=20)
        row = CertificateAuthorityRow(
            kind=kind.value,
            certificate_der=ca.certificate.public_bytes(_DER),
            sealed_key=ca.sealed_key(w.office.master_key),
            crl_number=0,
        )
        w.session.add(row)
        w.session.flush()
        w.log("ca_created", kind=kind.value, subject=ca.certificate.subject.rfc4514_string())
        return ca
    if row.key_ref:  # the key is in a PKCS#11 token (mynacard ca ceremony --token)
        from mynacard import hsm

        cert = x509.load_der_x509_certificate(row.certificate_der)
        return CertificateAuthority(kind, cert, hsm.signer(row.key_ref), settings(w))
    return CertificateAuthority.load(
        kind, row.certificate_der, row.sealed_key, w.office.master_key, settings=settings(w)
    )


def issue(
    w: Work,
    card: Card,
    resident: Resident,
    kind: CertKind,
    public_key: rsa.RSAPublicKey,
    expires_on: object,
) -> Certificate:
    """Issue a certificate for the key generated on ``card``'s chip and record it."""
    kind = CertKind(kind)
    subject = None
    if kind is CertKind.SIGN:
        subject = SigningSubject(
            name=resident.name,
            address=resident.address,
            birth_date=resident.birth_date,
            sex=resident.sex,
        )
    req = CertRequest(
        public_key=public_key,
        not_before=w.at,
        expires_on=expires_on,  # type: ignore[arg-type]
        municipality_code=resident.municipality_code,
        subject=subject,
    )
    cert = authority(w, kind).issue(req, at=w.at)
    row = Certificate(
        serial=cert.serial_number,
        kind=kind.value,
        card_id=card.id,
        resident_id=resident.id,
        municipality_code=resident.municipality_code,
        status=CertStatus.GOOD,
        not_before=w.at,
        expires_on=expires_on,
        der=cert.public_bytes(_DER),
    )
    w.session.add(row)
    w.log(
        "certificate_issued",
        resident_id=resident.id,
        card_id=card.id,
        serial=row.serial,
        kind=kind.value,
        expires_on=str(expires_on),
    )
    return row


def hold(w: Work, cert: Certificate) -> None:
    if cert.status != CertStatus.GOOD:
        raise StateError(
            f"Certificate {cert.serial:x} is {cert.status}; only a good certificate can be put on hold.",
            "有効な電子証明書のみ一時保留にできます。",
        )
    cert.status = CertStatus.HOLD
    cert.revoked_at = w.at
    cert.reason = RevocationReason.CERTIFICATE_HOLD.value
    w.log("certificate_held", resident_id=cert.resident_id, card_id=cert.card_id, serial=cert.serial, kind=cert.kind)


def release(w: Work, cert: Certificate) -> None:
    if cert.status != CertStatus.HOLD:
        raise StateError(
            f"Certificate {cert.serial:x} is {cert.status}, not on hold: there is no hold to release. "
            "A revoked certificate cannot come back; issue a new one instead.",
            "この電子証明書は一時保留中ではないため、保留を解除できません。失効した証明書は新たに発行してください。",
        )
    cert.status = CertStatus.GOOD
    cert.revoked_at = None
    cert.reason = None
    w.log(
        "certificate_released", resident_id=cert.resident_id, card_id=cert.card_id, serial=cert.serial, kind=cert.kind
    )


def revoke(w: Work, cert: Certificate, reason: RevocationReason) -> None:
    if cert.status not in (CertStatus.GOOD, CertStatus.HOLD):
        raise StateError(
            f"Certificate {cert.serial:x} is already {cert.status}.",
            "この電子証明書はすでに失効しているか、有効期間が満了しています。",
        )
    cert.status = CertStatus.REVOKED
    cert.revoked_at = w.at
    cert.reason = reason.value
    w.log(
        "certificate_revoked",
        resident_id=cert.resident_id,
        card_id=cert.card_id,
        serial=cert.serial,
        kind=cert.kind,
        reason=reason.value,
    )


def ocsp_status(cert: Certificate) -> OcspStatus:
    if cert.status == CertStatus.HOLD:
        return OcspStatus("hold", cert.revoked_at)  # the reason of a hold is certificateHold
    if cert.status == CertStatus.REVOKED:
        return OcspStatus("revoked", cert.revoked_at, REASON_FLAGS[RevocationReason(cert.reason)])
    return OcspStatus("good")
