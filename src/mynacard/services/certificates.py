"""Certificate workflows at the window: renewal, a certificate added (declined before, revoked,
or a new signing certificate after a move), voluntary revocation, revocation after hold
(R_CERT_3..6, R_CERT_10)."""

from __future__ import annotations

from dataclasses import dataclass

from mynacard.chip import KeySlot, PinId, check_pin_format
from mynacard.db import repositories as repo
from mynacard.db.models import CardState, Certificate, CertStatus, Receipt
from mynacard.errors import NotAllowedError, NotFoundError, StateError, ValidationError
from mynacard.rules.eligibility import may_hold_signing_certificate
from mynacard.rules.events import CERT_KIND_JA, CertKind, RevocationReason
from mynacard.rules.validity import renewal_window_opens
from mynacard.rules.wareki import both
from mynacard.services import certfees, chips, pki
from mynacard.services.cards import issue_certificate
from mynacard.services.common import card, current_cert, refresh_face_cert_expiry, require_state, resident_of
from mynacard.services.context import Work


def _kind(kind: CertKind | str) -> CertKind:
    try:
        return CertKind(kind)
    except ValueError:
        raise ValidationError(
            "kind",
            f"Certificate kind must be 'sign' or 'auth', not {kind!r}.",
            "電子証明書の種類は sign(署名用) か auth(利用者証明用) です。",
        ) from None


@dataclass(frozen=True)
class Added:
    certificate: Certificate
    receipt: Receipt | None  # the certificate fee, when one applies (R_LOSS_4)


def add(w: Work, card_id: str, kind: CertKind | str, *, pin: str) -> Added:
    """Add a certificate to a card that has none of ``kind`` in effect: one the holder declined
    (R_CERT_10), revoked, or lost to a change of the four attributes (R_CERT_5). The holder
    sets its PIN. The certificate fee is charged where one applies (``certificate_added_fee``)."""
    kind = _kind(kind)
    c = card(w, card_id)
    require_state(c, CardState.ISSUED, doing="issue a certificate", doing_ja="電子証明書を発行")
    r = resident_of(w, c)
    if current_cert(w, c.id, kind) is not None:
        raise StateError(
            f"The card already has a {kind.value} certificate in effect; renew or revoke it.",
            f"{CERT_KIND_JA[kind]}はすでに有効です。",
        )
    if kind is CertKind.SIGN and not may_hold_signing_certificate(r.birth_date, w.today, adult_ward=r.adult_ward):
        raise NotAllowedError(
            "No signing certificate for under-15s or adult wards (R_CERT_4).",
            "15歳未満の方・成年被後見人の方には署名用電子証明書は発行されません。",
        )
    pid = PinId(kind.value)
    value = check_pin_format(pid, pin)
    app = repo.application(w.session, c.application_id)
    assert app is not None
    fee = certfees.certificate_fee_due(w, r, app)
    chips.chip_of(w, c).set_pin(pid, value)
    cert = issue_certificate(w, c, r, kind)
    receipt = certfees.receipt(w, r, app, fee)
    if receipt is not None:
        app.fee_total += receipt.total
    refresh_face_cert_expiry(w, c)
    w.log(
        "certificate_added",
        resident_id=r.id,
        card_id=c.id,
        kind=kind.value,
        serial=cert.serial,
        fee=receipt.total if receipt is not None else 0,
        receipt=receipt.number if receipt is not None else None,
    )
    return Added(cert, receipt)


def issue_new(w: Work, card_id: str, kind: CertKind | str, *, pin: str) -> Certificate:
    """``add``, for callers that want only the certificate."""
    return add(w, card_id, kind, pin=pin).certificate


def renew(w: Work, card_id: str, kind: CertKind | str, *, pin: str | None = None) -> Certificate:
    """Renew a certificate from 3 months before its expiry (R_CERT_3): a new key on the chip,
    valid to the 6th birthday (capped by the card); the old certificate is revoked (superseded)."""
    kind = _kind(kind)
    c = card(w, card_id)
    require_state(c, CardState.ISSUED, doing="renew a certificate", doing_ja="電子証明書を更新")
    r = resident_of(w, c)
    old = repo.latest_certificate(w.session, c.id, kind.value)
    if old is None:
        raise NotFoundError(
            f"The card has no {kind.value} certificate to renew; issue a new one.",
            f"更新する{CERT_KIND_JA[kind]}がありません。",
        )
    if old.status == CertStatus.REVOKED:
        raise StateError(
            "The certificate is revoked: issue a new one instead of renewing.",
            "失効した電子証明書は更新できません。新規に発行してください。",
        )
    if old.status == CertStatus.HOLD:
        raise StateError(
            "The certificate is on hold: release or revoke the hold first.", "一時保留中の電子証明書は更新できません。"
        )
    opens = renewal_window_opens(old.expires_on)
    if w.today < opens:
        raise NotAllowedError(
            f"Certificate renewal opens on {opens}, 3 months before its expiry {old.expires_on} (R_CERT_3).",
            f"電子証明書の更新は、有効期限 {both(old.expires_on)} の3か月前、{both(opens)} から受け付けます。",
            opens_on=opens.isoformat(),
        )
    if pin is not None:
        pid = PinId(kind.value)
        chips.chip_of(w, c).set_pin(pid, check_pin_format(pid, pin))
    if old.status == CertStatus.GOOD:
        pki.revoke(w, old, RevocationReason.SUPERSEDED)
    new = issue_certificate(w, c, r, kind, renewing_expires_on=old.expires_on)
    refresh_face_cert_expiry(w, c)
    w.log(
        "certificate_renewed",
        resident_id=r.id,
        card_id=c.id,
        serial=new.serial,
        kind=kind.value,
        previous=format(old.serial, "x"),
    )
    return new


def revoke(w: Work, card_id: str, kind: CertKind | str) -> Certificate:
    """Voluntary revocation at the window, or revocation of a certificate on hold (R_CERT_6)."""
    kind = _kind(kind)
    c = card(w, card_id)
    cert = current_cert(w, c.id, kind)
    if cert is None:
        raise StateError(
            f"The card has no {kind.value} certificate in effect to revoke.",
            f"失効させる{CERT_KIND_JA[kind]}がありません。",
        )
    reason = RevocationReason.KEY_COMPROMISE if cert.status == CertStatus.HOLD else RevocationReason.UNSPECIFIED
    pki.revoke(w, cert, reason)
    # The chip forgets the key, the certificate and its PIN: it reads as a card without it.
    chips.chip_of(w, c).clear_slot(KeySlot(kind.value))
    refresh_face_cert_expiry(w, c)
    return cert


def release(w: Work, card_id: str, kind: CertKind | str) -> Certificate:
    """Release the hold of one certificate (the card itself is handled by loss.found)."""
    kind = _kind(kind)
    c = card(w, card_id)
    cert = repo.latest_certificate(w.session, c.id, kind.value)
    if cert is None:
        raise StateError(f"The card has no {kind.value} certificate.", f"{CERT_KIND_JA[kind]}がありません。")
    pki.release(w, cert)
    return cert
