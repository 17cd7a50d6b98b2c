"""Application (交付申請), manufacture at J-LIS, hand-over (交付) (R_CARD_1, R_CARD_2, R_CARD_6)."""

from __future__ import annotations

import os
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding

from mynacard.chip import Chip, KeySlot, PinId, check_pin_format
from mynacard.chip.pins import PinVerifier
from mynacard.crypto import KeyGenerator, pin_verifier_key
from mynacard.db import repositories as repo
from mynacard.db.models import Application, Card, CardState, Certificate, Receipt, Resident
from mynacard.errors import NotAllowedError, NotFoundError, StateError, ValidationError
from mynacard.ids import ApplicationId
from mynacard.rules.certchoice import CertChoice, check_choice
from mynacard.rules.eligibility import may_hold_signing_certificate, needs_legal_representative
from mynacard.rules.events import CERT_KIND_JA, CertKind, LifeEvent
from mynacard.rules.fees import REASON_JA, Fee, ReissueReason, express_eligible, reissue_fee
from mynacard.rules.identity import identity_error
from mynacard.rules.text import check_text
from mynacard.rules.validity import card_expiry, certificate_expiry
from mynacard.rules.wareki import both
from mynacard.services import certfees, chips, pki, reissue, residents
from mynacard.services.common import apply_event, card, end_card, new_card_id, require_state, resident_of
from mynacard.services.context import Work

_crypto_pool: tuple[int, ThreadPoolExecutor] | None = None


def _crypto() -> ThreadPoolExecutor:
    """Threads for the crypto of hand-overs (RSA key generation releases the GIL),
    one pool per process: a forked child has none of its parent's threads, so it makes its own."""
    global _crypto_pool
    if _crypto_pool is None or _crypto_pool[0] != os.getpid():
        _crypto_pool = (os.getpid(), ThreadPoolExecutor(max_workers=4, thread_name_prefix="handover-crypto"))
    return _crypto_pool[1]

CHANNELS = {"mail": "郵送", "online": "オンライン", "booth": "証明写真機", "window": "窓口"}
KINDS = ("new", "renewal", "reissue")


@dataclass(frozen=True)
class Applied:
    application: Application
    card: Card
    receipt: Receipt | None
    event_id: int  # the ``card_applied`` event


def apply(
    w: Work,
    resident_id: int,
    *,
    kind: str = "new",
    channel: str = "window",
    received_on: date | None = None,
    reason: ReissueReason | str | None = None,
    express: bool = False,
    event_on: date | None = None,
    documents: dict[str, str] | None = None,
    application_id: str | None = None,
    certificates: CertChoice | str | None = None,
) -> Applied:
    """Receive an application for a card (new, renewal or reissue) and take its fee.

    The reason is checked against its evidence by ``services.reissue`` (R_LOSS_4).
    ``certificates`` is the holder's choice (R_CERT_10; default: every certificate they may
    hold): the certificate fee is charged only when a certificate is chosen."""
    r = residents.get(w, resident_id, for_update=True)  # one application at a time per resident
    received = _received(w, received_on)
    if received < r.birth_date:
        raise ValidationError(
            "received_on",
            f"The received date {received} is before the date of birth {r.birth_date}.",
            "受付日が生年月日より前です。日付を確認してください。",
        )
    _check_kind_and_channel(kind, channel)
    may_sign = may_hold_signing_certificate(r.birth_date, received, adult_ward=r.adult_ward)
    choice = _choice(certificates, may_sign=may_sign)
    documents = dict(documents or {})
    if repo.pending_card(w.session, r.id) is not None:
        raise StateError(
            "This resident already has a card being made; hand it over or cancel it first.",
            "作成中のカードがあります。先に交付を済ませてください。",
        )
    old = repo.live_card(w.session, r.id)
    claim = reissue.KINDS[kind](reissue.Case(w, r, old, received, documents), reason)
    if express:
        _check_express(claim, r, event_on, received)
    fee = _fee(w, r, claim, express, with_certificates=bool(choice.kinds))
    app = Application(
        id=_application_id(w, r, application_id, received),
        resident_id=r.id,
        kind=kind,
        reason=claim.reason.value,
        channel=channel,
        received_on=received,
        express=express,
        documents={**documents, **claim.evidence},
        replaces_card_id=old.id if old is not None else None,
        status="received",
        fee_total=fee.total,
        certificates=choice.value if _stated(certificates) else None,  # None: as the holder may hold
    )
    w.session.add(app)
    if claim.record is not None:
        claim.record.used_by = app.id  # one record pays for one card
    c = Card(id=new_card_id(), resident_id=r.id, application_id=app.id, state=CardState.APPLIED, notes=[])
    w.session.add(c)
    receipt = _receipt(w, r, app, fee)
    w.session.flush()
    ev = w.log(
        "card_applied",
        resident_id=r.id,
        card_id=c.id,
        application_id=app.id,
        kind=kind,
        reason=claim.reason.value,
        channel=channel,
        express=express,
        fee=fee.total,
        certificates=choice.value,
        reason_ja=REASON_JA[claim.reason],
        evidence=sorted(claim.evidence),
    )
    w.session.flush()
    return Applied(app, c, receipt, ev.id)


def _received(w: Work, received_on: date | None) -> date:
    received = received_on or w.today
    if received > w.today:
        raise ValidationError(
            "received_on", f"The received date {received} is in the future.", "受付日が未来の日付です。"
        )
    return received


def _check_kind_and_channel(kind: str, channel: str) -> None:
    if channel not in CHANNELS:
        raise ValidationError(
            "channel",
            f"Channel must be one of {', '.join(CHANNELS)}, not {channel!r}.",
            "申請方法は郵送・オンライン・証明写真機・窓口のいずれかです。",
        )
    if kind not in KINDS:
        raise ValidationError("kind", f"Kind must be one of {', '.join(KINDS)}.", "申請の種類が正しくありません。")
    if kind == "reissue" and channel != "window":
        raise ValidationError(
            "channel", "A reissue is applied for at the window (R_LOSS_4).", "再交付の申請は窓口で行ってください。"
        )


def _check_express(claim: reissue.Claim, r: Resident, event_on: date | None, received: date) -> None:
    """R_LOSS_5; the recorded date of the event, when the evidence has one, is the event date."""
    ev = claim.event_on or event_on or received
    if not express_eligible(claim.reason, ev, received, birth=r.birth_date):
        raise NotAllowedError(
            "Express issuance is for infants under 1, return from abroad, loss, damage, number "
            "change or a full notes field, applied for within 30 days of the event (R_LOSS_5).",
            "特急発行の対象外です(1歳未満、国外からの転入、紛失・損傷、番号変更、追記欄の余白なし等で、事由発生から30日以内)。",
            event_on=ev.isoformat(),
        )


def _stated(given: CertChoice | str | None) -> bool:
    return given is not None and given != ""


def _choice(given: CertChoice | str | None, *, may_sign: bool) -> CertChoice:
    """The holder's choice of certificates, checked against R_CERT_4 (default: all they may hold)."""
    if given is None or not _stated(given):
        return CertChoice.default(may_sign=may_sign)
    return check_choice(CertChoice.parse(given), may_sign=may_sign)


def _fee(w: Work, r: Resident, claim: reissue.Claim, express: bool, *, with_certificates: bool) -> Fee:
    return reissue_fee(
        claim.reason,
        with_certificates=with_certificates,
        express=express,
        card_months_left_under_3=claim.card_expiring,
        schedule=certfees.schedule_of(w, r),
        proven=claim.proven,
    )


def _application_id(w: Work, r: Resident, given: str | None, received: date) -> ApplicationId:
    app_id = ApplicationId(given) if given else ApplicationId.generate(r.municipality_code, received)
    if repo.application(w.session, app_id) is not None:
        raise StateError(f"Application {app_id} was already received.", "この申請書IDはすでに受け付けています。")
    return app_id


def _receipt(w: Work, r: Resident, app: Application, fee: Fee) -> Receipt | None:
    return certfees.receipt(w, r, app, fee)


def new_security_code() -> str:
    """A fresh security code for a card's face: 4 random digits."""
    return f"{secrets.randbelow(10_000):04d}"


def make(w: Work, card_id: str) -> Card:
    """J-LIS makes the card (発行): prints the face with its expiry, writes the chip's card data.

    [policy] The issue date of R_CARD_2 is this date of making (発行日, printed on the card).
    """
    c = card(w, card_id)
    require_state(c, CardState.APPLIED, doing="make the card", doing_ja="カードを作成")
    r = resident_of(w, c)
    app = repo.application(w.session, c.application_id)
    assert app is not None
    if w.today < app.received_on:
        raise StateError(
            f"J-LIS cannot make the card on {w.today}, before the application was received ({app.received_on}).",
            f"申請の受付日 {both(app.received_on)} より前にカードを作成することはできません。",
            received_on=app.received_on.isoformat(),
        )
    renewing = None
    if app.replaces_card_id:
        old = repo.card(w.session, app.replaces_card_id)
        if old is not None and app.kind == "renewal":
            renewing = old.expires_on
    term = card_expiry(
        r.birth_date,
        w.today,
        app.received_on,
        renewing_card_expires_on=renewing,
        period_of_stay_end=r.period_of_stay_end,
    )
    c.made_on = w.today
    c.expires_on = term.expires_on
    c.limit_on = card_expiry(r.birth_date, w.today, app.received_on, renewing_card_expires_on=renewing).expires_on
    repo.set_security_code(c, new_security_code())
    c.state = CardState.MADE
    chip = chips.new_chip(w, c)
    chip.write_card_info(chips.card_info(r, c))
    app.status = "made"
    w.log(
        "card_made",
        resident_id=r.id,
        card_id=c.id,
        expires_on=str(c.expires_on),
        birthdays=term.birthdays,
        bound_to_stay=term.bound_to_stay,
    )
    return c


@dataclass(frozen=True)
class Issued:
    card: Card
    certificates: dict[str, Any]
    replaced_card_id: str | None
    event_id: int  # the ``card_issued`` event
    receipt: Receipt | None = None  # the certificate fee, when it falls due at hand-over


def issue(
    w: Work,
    card_id: str,
    *,
    identity_documents: list[str],
    pins: dict[str, str],
    want_signing: bool | None = None,
    legal_representative: str | None = None,
    certificates: CertChoice | str | None = None,
) -> Issued:
    """Hand the card over (交付): check identity, set the PINs, generate the key pairs on the
    chip and issue the certificates the holder chose (R_CARD_1, R_CERT_2..4, R_CERT_10).

    ``certificates`` (both/sign/auth/none) defaults to the choice of the application, else to
    every certificate the holder may hold; ``want_signing`` (older callers) adds or drops the
    signing certificate. Only the PINs of the chosen certificates are set: a PIN given for a
    declined one is refused, and the chip keeps no key, no certificate and no PIN for it."""
    c = card(w, card_id)
    require_state(c, CardState.MADE, doing="hand over the card", doing_ja="カードを交付")
    if c.made_on is not None and w.today < c.made_on:
        raise StateError(
            f"The card cannot be handed over on {w.today}, before J-LIS made it ({c.made_on}).",
            f"カードの作成日 {both(c.made_on)} より前に交付することはできません。",
            made_on=c.made_on.isoformat(),
        )
    r = resident_of(w, c)
    problem = identity_error(identity_documents)
    if problem:
        raise ValidationError(
            "identity_documents",
            f"Identity not verified: {problem}.",
            "本人確認書類が不足しています(顔写真付き1点、またはそれ以外の書類2点)。",
        )
    if needs_legal_representative(r.birth_date, w.today, adult_ward=r.adult_ward) and not legal_representative:
        raise ValidationError(
            "legal_representative",
            "Under-15s and adult wards come with their legal representative, who sets the PINs (R_CARD_1).",
            "15歳未満の方・成年被後見人の方は法定代理人の同行が必要です。",
        )
    app = repo.application(w.session, c.application_id)
    assert app is not None
    eligible = may_hold_signing_certificate(r.birth_date, w.today, adult_ward=r.adult_ward)
    choice = _handover_choice(app, certificates, want_signing, eligible)
    declined = _stated(certificates) or want_signing is False or app.certificates is not None
    normalized = _handover_pins(choice, pins, declined=declined)
    fee = certfees.certificate_fee_due(w, r, app) if choice.kinds else None
    if not choice.kinds and certfees.certificate_fee_paid(w, app):
        raise NotAllowedError(
            "The certificate fee was paid with the application: hand the card over with at least one "
            "certificate, or cancel the application and apply again without certificates (R_LOSS_4).",
            "申請時に電子証明書の発行手数料を納めています。電子証明書を1つ以上選ぶか、申請を取り下げて"
            "電子証明書なしで申請し直してください。",
        )
    # The key pairs are generated side by side (RSA key generation releases the GIL) while this
    # thread writes the store; the PINs' keyed verifiers cost microseconds (``chip.pins``).
    pool = _crypto()
    pin_key = pin_verifier_key(w.office.master_key)
    verifiers = {pid: PinVerifier.new(value.encode("ascii"), pin_key) for pid, value in normalized.items()}
    keys = {kind: pool.submit(w.office.keygen) for kind in (CertKind.AUTH, CertKind.SIGN) if kind in choice.kinds}
    try:
        chip = chips.chip_of(w, c)
        chip.pins.set_all(verifiers)
    except BaseException:
        for f in keys.values():
            f.cancel()
        raise
    assert c.expires_on is not None
    old = repo.card(w.session, app.replaces_card_id, for_update=True) if app.replaces_card_id else None
    replaced = None
    if old is not None and old.state in (CardState.ISSUED, CardState.SUSPENDED):
        _replace(w, old, app.kind)
        replaced = old.id
        w.session.flush()  # the old card stops being current before the new one becomes current
    issued = {}
    for kind in choice.kinds:  # the CAs read first: no reads between the certificates, one flush for both
        pki.authority(w, kind)
    with chip.changes_deferred():  # the chip's keys and certificates: one write of its state
        for kind in (CertKind.AUTH, CertKind.SIGN):  # the signing certificate is capped by the other
            if kind in choice.kinds:
                issued[kind.value] = issue_certificate(w, c, r, kind, renewing_from=old, keygen=keys[kind].result,
                                                       chip=chip, auth=issued.get(CertKind.AUTH.value))
    receipt = _receipt(w, r, app, fee) if fee is not None else None
    if receipt is not None:
        app.fee_total += receipt.total
    c.state = CardState.ISSUED
    c.issued_on = w.today
    # the card face's certificate expiry (refresh_face_cert_expiry): a card handed over carries
    # only the certificates issued now
    c.cert_expires_on = min((x.expires_on for x in issued.values()), default=None)
    app.status = "issued"
    app.certificates = choice.value
    ev = w.log(
        "card_issued",
        resident_id=r.id,
        card_id=c.id,
        signing=CertKind.SIGN in choice.kinds,
        certificates=choice.value,
        certificate_fee=receipt.total if receipt is not None else 0,
        documents=sorted(identity_documents),
        representative=bool(legal_representative),
    )
    w.session.flush()
    return Issued(c, issued, replaced, ev.id, receipt)


def _handover_choice(
    app: Application, given: CertChoice | str | None, want_signing: bool | None, eligible: bool
) -> CertChoice:
    """The certificates to issue at hand-over: stated now, else the application's choice."""
    if given is not None and _stated(given):
        return check_choice(CertChoice.parse(given), may_sign=eligible)
    base = CertChoice(app.certificates) if app.certificates else CertChoice.default(may_sign=eligible)
    if want_signing is True:
        base = CertChoice.of(base.kinds | {CertKind.SIGN, CertKind.AUTH})
    elif want_signing is False:
        base = CertChoice.of(base.kinds - {CertKind.SIGN})
    return check_choice(base, may_sign=eligible)


def _handover_pins(choice: CertChoice, pins: dict[str, str], *, declined: bool) -> dict[PinId, str]:
    """The PINs to set: the two card PINs and one per chosen certificate, each of its form.

    A PIN for a certificate the holder declined is refused; without a stated choice, the PIN of
    a certificate the holder may not have (R_CERT_4) is left unset, as it always was."""
    for kind in CertKind:
        if declined and kind not in choice.kinds and pins.get(kind.value):
            raise ValidationError(
                f"pin.{kind.value}",
                f"A {kind.value} PIN was given, but the {kind.value} certificate is not being issued "
                f"(certificates: {choice.value}): its PIN is not set on the chip. Leave it out, or choose "
                "the certificate.",
                f"{CERT_KIND_JA[kind]}を発行しないため、その暗証番号は設定できません。"
                "暗証番号を空欄にするか、電子証明書の選択を見直してください。",
                certificates=choice.value,
            )
    chosen = [PinId(k.value) for k in (CertKind.AUTH, CertKind.SIGN) if k in choice.kinds]
    needed = [PinId.RESIDENT, PinId.CARD_INFO, *chosen]
    normalized = {}
    for pid in needed:
        if not pins.get(pid.value):
            raise ValidationError(
                f"pin.{pid.value}", f"The {pid.value} PIN must be set at hand-over.", "暗証番号を設定してください。"
            )
        normalized[pid] = check_pin_format(pid, pins[pid.value])
    return normalized



def _replace(w: Work, old: Card, kind: str) -> None:
    end_card(w, old, CardState.REISSUED, LifeEvent.CARD_REPLACED, f"replaced by {kind}")


def issue_certificate(
    w: Work,
    c: Card,
    r: Resident,
    kind: CertKind,
    *,
    renewing_from: Card | None = None,
    renewing_expires_on: date | None = None,
    keygen: KeyGenerator | None = None,
    chip: Chip | None = None,
    auth: Certificate | None = None,
) -> Certificate:
    """Generate the key pair on the chip and issue ``kind``'s certificate for it (R_CERT_2, R_CERT_3).

    ``keygen``: where the chip's key comes from (default the office's generator); ``chip``: the
    card's chip if the caller has it open; ``auth``: the card's authentication certificate if the
    caller has just issued it (it caps the signing certificate)."""
    assert c.expires_on is not None
    if renewing_from is not None and renewing_expires_on is None:
        prev = repo.latest_certificate(w.session, renewing_from.id, kind.value)
        renewing_expires_on = prev.expires_on if prev is not None else None
    auth_exp = None
    if kind is CertKind.SIGN:
        auth_row = auth if auth is not None else repo.current_certificate(w.session, c.id, CertKind.AUTH.value)
        auth_exp = auth_row.expires_on if auth_row is not None else None
    expires = certificate_expiry(
        r.birth_date, w.today, c.expires_on, renewing_expires_on=renewing_expires_on, auth_expires_on=auth_exp
    )
    chip = chip or chips.chip_of(w, c)
    slot = KeySlot(kind.value)
    with chip.changes_deferred():
        public = chip.generate_key(slot, keygen or w.office.keygen)
        row = pki.issue(w, c, r, kind, public, expires)
        chip.write_certificate(slot, row.der)
        ca = pki.authority(w, kind)
        chip.write_ca_certificate(slot, ca.certificate.public_bytes(Encoding.DER))
    return row


def cancel(w: Work, card_id: str, *, reason: str = "") -> Card:
    """Cancel an application (申請の取下げ) whose card is not handed over yet: the card being made
    is void and the resident may apply again. A card in effect is never touched here."""
    check_text("reason", reason)
    c = card(w, card_id)
    require_state(c, CardState.APPLIED, CardState.MADE, doing="cancel the application", doing_ja="申請を取り消し")
    app = repo.application(w.session, c.application_id)
    assert app is not None
    c.state = CardState.CANCELLED
    c.ended_at = w.at
    c.end_reason = "application cancelled"
    app.status = "cancelled"
    w.log("application_cancelled", resident_id=c.resident_id, card_id=c.id, application_id=app.id,
          reason=reason[:200])
    return c


def get_application(w: Work, app_id: str) -> Application:
    a = repo.application(w.session, app_id)
    if a is None:
        raise NotFoundError(f"No application {app_id}.", f"申請書ID {app_id} の申請はありません。")
    return a


__all__ = [
    "CHANNELS",
    "Applied",
    "Issued",
    "apply",
    "apply_event",
    "cancel",
    "issue",
    "issue_certificate",
    "make",
]
