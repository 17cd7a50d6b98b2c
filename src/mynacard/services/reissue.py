"""Which reason an application may give, and the evidence each free reason rests on (R_LOSS_2,
R_LOSS_4, R_LOSS_5, R_CARD_7, R_NUM_2).

One small function per kind of application (new, renewal, reissue) and one per reason. A free
reason is never taken on the holder's word: each is checked against its evidence. Without it the
claim is refused, except a disaster, which is then charged:

| reason                 | evidence checked                                           | without it |
|------------------------|------------------------------------------------------------|------------|
| first_issue            | the resident never had a card                              | refused    |
| notes_full             | the card's notes field (追記欄) holds all NOTES_CAPACITY entries (R_CARD_7) | refused |
| number_change          | a number change recorded since the last application (R_NUM_2) | refused |
| disaster               | the disaster certificate (罹災証明書) reference (R_LOSS_2)  | charged    |
| theft                  | the police report (遺失届・盗難届) number (R_LOSS_2)         | refused    |
| loss_not_holders_fault | the police report number (R_LOSS_2)                        | refused    |
| admin_error            | a window record of the error made by a supervisor (責任者)  | refused    |
| return_from_abroad     | a recorded moving-in from abroad (国外からの転入)           | refused    |

Why: a loss or theft needs the police number before any reissue (R_LOSS_2), free or not. The
notes field, the number change, the error and the moving-in are the office's own records: a claim
they do not support is simply not the reason, and the clerk picks the true one. R_LOSS_4 makes a
disaster free only *with* its certificate: a holder who has none still gets the card, at the
ordinary fee. The paid reasons need their R_LOSS_2 document too (loss: the police number;
damage: the damaged card brought to the window).

Where the evidence has a date (the note that filled the field, the number change, the moving-in)
that date is the event date of express issuance (R_LOSS_5), not the date the holder gives.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

from mynacard.db import repositories as repo
from mynacard.db.models import Card, CardState, Resident, WindowRecord
from mynacard.errors import NotAllowedError, NotFoundError, StateError, ValidationError
from mynacard.rules.fees import Document, ReissueReason
from mynacard.rules.notes import NOTES_CAPACITY
from mynacard.rules.notes import notes_full as _notes_full
from mynacard.rules.validity import in_renewal_window, renewal_window_opens
from mynacard.rules.wareki import both
from mynacard.services import residents
from mynacard.services.context import Work
from mynacard.timeutil import jst_date

R = ReissueReason

#: The kinds of window record a free reissue rests on.
ADMIN_ERROR = "admin_error"
MOVED_IN_FROM_ABROAD = "moved_in_from_abroad"

#: [policy] Who may record an administrative error: a supervisor (責任者), or the administrator
#: (the command line runs as the administrator).
SUPERVISOR_ROLES = frozenset({"supervisor", "admin"})


@dataclass(frozen=True)
class Case:
    """An application as received: whose, the card in effect it replaces, when, with what."""

    w: Work
    resident: Resident
    old: Card | None
    received: date
    documents: Mapping[str, str]


@dataclass(frozen=True)
class Claim:
    """The reason an application may give, once checked.

    ``proven`` is False when the reason is accepted without the evidence of its free case (then
    it is charged); ``event_on`` is the recorded date of the event, when the evidence has one."""

    reason: ReissueReason
    proven: bool = True
    card_expiring: bool = False
    event_on: date | None = None
    record: WindowRecord | None = None
    evidence: dict[str, str] = field(default_factory=dict)


# --- documents and records -------------------------------------------------------------------

_DOCUMENT_JA = {
    Document.POLICE_REPORT: "紛失・盗難による再交付には警察署の遺失届(受理番号)が必要です。",
    Document.DISASTER_CERTIFICATE: "災害による再交付には消防署等の罹災証明書が必要です。",
    Document.DAMAGED_CARD: "損傷による再交付には損傷したカードをお持ちください。",
}
#: What the window writes as each document's value, as an example in the refusal.
_DOCUMENT_EXAMPLE = {
    Document.POLICE_REPORT: "the police report's receipt number",
    Document.DISASTER_CERTIFICATE: "the disaster certificate's number",
    Document.DAMAGED_CARD: "a note that the damaged card was handed in",
}


def _document(case: Case, doc: Document) -> str | None:
    value = (case.documents.get(doc.value) or "").strip()
    return value or None


def _require_document(case: Case, doc: Document, reason: ReissueReason) -> dict[str, str]:
    value = _document(case, doc)
    if value is None:
        raise ValidationError(
            "documents",
            f"A reissue for {reason.value} needs the {doc.value.replace('_', ' ')} (R_LOSS_2): "
            f"give documents={{'{doc.value}': ...}} (e.g. {_DOCUMENT_EXAMPLE[doc]}).",
            _DOCUMENT_JA[doc],
            document=doc.value,
        )
    return {doc.value: value}


def _suspended_first(case: Case) -> None:
    if case.old is not None and case.old.state == CardState.ISSUED:
        raise StateError(
            "The lost card is still in effect: suspend it first (hotline or loss report).",
            "紛失したカードの一時停止(紛失の届出)を先に行ってください。",
        )


def _card_expiring(case: Case) -> bool:
    """R_LOSS_4: the card replaced has expired or has under 3 months left."""
    old = case.old
    if old is None or old.expires_on is None:
        return False
    return in_renewal_window(old.expires_on, case.received) or old.expires_on < case.received


def _record(case: Case, kind: str) -> WindowRecord | None:
    return repo.unused_window_record(case.w.session, case.resident.id, kind)


# --- reissue reasons --------------------------------------------------------------------------


def loss(case: Case) -> Claim:
    """紛失: the holder's own loss is paid; the police number is needed (R_LOSS_2)."""
    docs = _require_document(case, Document.POLICE_REPORT, R.LOSS)
    _suspended_first(case)
    return Claim(R.LOSS, card_expiring=_card_expiring(case), evidence=docs)


def theft(case: Case) -> Claim:
    """盗難: free with the police report number (R_LOSS_2, R_LOSS_4)."""
    docs = _require_document(case, Document.POLICE_REPORT, R.THEFT)
    _suspended_first(case)
    return Claim(R.THEFT, card_expiring=_card_expiring(case), evidence=docs)


def loss_not_holders_fault(case: Case) -> Claim:
    """本人の責によらない紛失: free with the police report number (R_LOSS_2, R_LOSS_4)."""
    docs = _require_document(case, Document.POLICE_REPORT, R.LOSS_NOT_HOLDERS_FAULT)
    _suspended_first(case)
    return Claim(R.LOSS_NOT_HOLDERS_FAULT, card_expiring=_card_expiring(case), evidence=docs)


def damage(case: Case) -> Claim:
    """著しい損傷: paid; the damaged card is brought to the window (R_LOSS_2)."""
    docs = _require_document(case, Document.DAMAGED_CARD, R.DAMAGE)
    return Claim(R.DAMAGE, card_expiring=_card_expiring(case), evidence=docs)


def disaster(case: Case) -> Claim:
    """災害: free with the disaster certificate (罹災証明書); charged without it (R_LOSS_4)."""
    cert = _document(case, Document.DISASTER_CERTIFICATE)
    if cert is None:
        return Claim(R.DISASTER, proven=False, card_expiring=_card_expiring(case))
    return Claim(R.DISASTER, card_expiring=_card_expiring(case), evidence={Document.DISASTER_CERTIFICATE.value: cert})


def notes_full(case: Case) -> Claim:
    """追記欄の余白なし: the card's notes field really is full (R_CARD_7)."""
    old = case.old
    used = len(old.notes) if old is not None else 0
    if old is None or not _notes_full(old.notes):
        raise NotAllowedError(
            f"The notes field is not full: the card in effect has {used} of {NOTES_CAPACITY} entries "
            "(R_CARD_7). A full notes field is the only reason for a notes_full reissue; choose the "
            "true reason.",
            f"追記欄に余白があります({NOTES_CAPACITY}欄中{used}欄使用)。追記欄の余白なしによる再交付はできません。",
            notes=used,
            capacity=NOTES_CAPACITY,
        )
    last = old.notes[-1].get("on") if old.notes else None
    return Claim(
        R.NOTES_FULL,
        card_expiring=_card_expiring(case),
        event_on=date.fromisoformat(last) if last else None,
        evidence={"notes_full": f"{used}/{NOTES_CAPACITY}"},
    )


def number_change(case: Case) -> Claim:
    """個人番号の変更: a change of the number recorded since the resident's last application (R_NUM_2)."""
    s, rid = case.w.session, case.resident.id
    changed = repo.last_event(s, rid, "number_changed")
    applied = repo.last_event(s, rid, "card_applied")
    if changed is None or (applied is not None and applied.id > changed.id):
        raise NotAllowedError(
            "No change of the individual number is recorded since this resident's last application. "
            "A number is changed at the window (number change, R_NUM_2), which applies for the free card itself.",
            "個人番号の変更の記録がありません。番号の変更は窓口で行い、その際にカードの交付申請も行われます。",
        )
    return Claim(R.NUMBER_CHANGE, event_on=jst_date(changed.at), evidence={"number_changed": str(changed.id)})


def admin_error(case: Case) -> Claim:
    """市区町村・J-LIS の誤り: a window record of the error, made by a supervisor."""
    rec = _record(case, ADMIN_ERROR)
    if rec is not None and rec.card_id is not None and (case.old is None or case.old.id != rec.card_id):
        rec = None  # the recorded error concerns another card
    if rec is None or rec.recorded_role not in SUPERVISOR_ROLES:
        raise NotAllowedError(
            "No administrative error is recorded for this resident's card: a supervisor records the "
            "error of the municipality or J-LIS first (admin-error), then the reissue is free.",
            "市区町村・J-LISの誤りの記録がありません。責任者が誤りを記録してから再交付を申請してください。",
        )
    return Claim(R.ADMIN_ERROR, record=rec, evidence={"admin_error_record": str(rec.id)})


def return_from_abroad(case: Case) -> Claim:
    """国外からの帰国: a recorded moving-in from abroad."""
    rec = _record(case, MOVED_IN_FROM_ABROAD)
    if rec is None:
        raise NotAllowedError(
            "No moving-in from abroad is recorded for this resident: record the moving-in notice "
            "(move-in-from-abroad) first.",
            "国外からの転入の記録がありません。先に国外からの転入届を記録してください。",
        )
    return Claim(
        R.RETURN_FROM_ABROAD,
        event_on=rec.occurred_on,
        record=rec,
        evidence={"moved_in_from_abroad_record": str(rec.id)},
    )


REISSUE_REASONS: dict[ReissueReason, Callable[[Case], Claim]] = {
    R.LOSS: loss,
    R.THEFT: theft,
    R.LOSS_NOT_HOLDERS_FAULT: loss_not_holders_fault,
    R.DAMAGE: damage,
    R.DISASTER: disaster,
    R.NOTES_FULL: notes_full,
    R.NUMBER_CHANGE: number_change,
    R.ADMIN_ERROR: admin_error,
    R.RETURN_FROM_ABROAD: return_from_abroad,
}


# --- new applications -------------------------------------------------------------------------


def _earlier_card(case: Case) -> Card | None:
    """The resident's last card that was handed over (one applied for but never handed over,
    e.g. a cancelled application, does not count)."""
    cards = [c for c in repo.cards_of(case.w.session, case.resident.id) if c.issued_on is not None]
    return max(cards, key=lambda c: (c.issued_on or date.min, c.id), default=None)


def first_issue(case: Case) -> Claim:
    """初回交付: free, for a resident who never had a card."""
    earlier = _earlier_card(case)
    if earlier is not None:
        raise NotAllowedError(
            f"This is not a first issue: the resident had card {earlier.id}. Apply with the reason "
            "lapsed (or number_change / return_from_abroad when that is why).",
            "以前にカードの交付を受けているため、初回交付にはなりません。",
            card_id=earlier.id,
        )
    return Claim(R.FIRST_ISSUE, evidence={"first_issue": "no earlier card"})


def lapsed(case: Case) -> Claim:
    """失効後の再交付: a card that lost effect (returned, lapsed) is replaced at the fee; free
    when the earlier card expired or had under 3 months left (R_LOSS_4)."""
    earlier = _earlier_card(case)
    expiring = earlier is not None and earlier.expires_on is not None and (
        earlier.state == CardState.EXPIRED
        or earlier.expires_on < case.received
        or in_renewal_window(earlier.expires_on, case.received)
    )
    return Claim(R.LAPSED, card_expiring=expiring)


NEW_REASONS: dict[ReissueReason, Callable[[Case], Claim]] = {
    R.FIRST_ISSUE: first_issue,
    R.LAPSED: lapsed,
    R.NUMBER_CHANGE: number_change,
    R.RETURN_FROM_ABROAD: return_from_abroad,
}


# --- the kinds --------------------------------------------------------------------------------


def _reason(value: ReissueReason | str) -> ReissueReason:
    try:
        return ReissueReason(value)
    except ValueError:
        raise ValidationError(
            "reason",
            f"Unknown reason {value!r}: one of {', '.join(r.value for r in ReissueReason)}.",
            "申請理由が正しくありません。",
        ) from None


def for_new(case: Case, reason: ReissueReason | str | None) -> Claim:
    """A new card (新規): nobody holds a card in effect."""
    if case.old is not None:
        raise StateError(
            f"Resident already holds card {case.old.id}; apply for a renewal or a reissue instead.",
            "すでに有効なカードをお持ちです。更新または再交付を申請してください。",
        )
    if reason is None:
        why = R.FIRST_ISSUE if _earlier_card(case) is None else R.LAPSED
    else:
        why = _reason(reason)
    check = NEW_REASONS.get(why)
    if check is None:
        raise ValidationError(
            "reason", f"A new application cannot have the reason {why}.", "新規申請の理由が正しくありません。"
        )
    return check(case)


def for_renewal(case: Case, reason: ReissueReason | str | None) -> Claim:
    """A renewal (更新), from 3 months before the expiry (R_CARD_6)."""
    old = case.old
    if old is None or old.expires_on is None:
        raise StateError(
            "There is no card in effect to renew; apply for a new card.",
            "更新できる有効なカードがありません。新規に申請してください。",
        )
    if reason is not None and _reason(reason) is not R.RENEWAL:
        raise ValidationError("reason", "A renewal has no other reason.", "更新の申請に理由は選べません。")
    opens = renewal_window_opens(old.expires_on)
    if case.received < opens:
        raise NotAllowedError(
            f"Renewal opens on {opens}, 3 months before the expiry {old.expires_on} (R_CARD_6). Come back then.",
            f"更新の申請は、有効期限 {both(old.expires_on)} の3か月前、{both(opens)} から受け付けます。",
            opens_on=opens.isoformat(),
        )
    return Claim(R.RENEWAL)


def for_reissue(case: Case, reason: ReissueReason | str | None) -> Claim:
    """A reissue (再交付), at the window, for one of the reasons of R_LOSS_4."""
    if reason is None:
        raise ValidationError(
            "reason", "A reissue needs a reason (loss, theft, damage, ...).", "再交付の理由を選んでください。"
        )
    why = _reason(reason)
    check = REISSUE_REASONS.get(why)
    if check is None:
        raise ValidationError("reason", f"{why} is not a reason for a reissue.", "再交付の理由が正しくありません。")
    return check(case)


KINDS: dict[str, Callable[[Case, ReissueReason | str | None], Claim]] = {
    "new": for_new,
    "renewal": for_renewal,
    "reissue": for_reissue,
}


# --- the records ------------------------------------------------------------------------------


def _resident_card(w: Work, resident_id: int, card_id: str | None) -> str | None:
    if card_id is None:
        return None
    c = repo.card(w.session, card_id)
    if c is None or c.resident_id != resident_id:
        raise NotFoundError(f"Resident {resident_id} has no card {card_id}.", "この住民のカードではありません。")
    return c.id


def _past(field_name: str, on: date, today: date) -> None:
    if on > today:
        raise ValidationError(field_name, f"The date {on} is in the future.", "未来の日付は指定できません。")


def record_admin_error(
    w: Work,
    resident_id: int,
    *,
    description: str,
    recorded_role: str,
    card_id: str | None = None,
    occurred_on: date | None = None,
) -> WindowRecord:
    """Record an error of the municipality or J-LIS (a misprinted face, a wrong chip write): the
    evidence of a free reissue (R_LOSS_4). Only a supervisor (責任者) records it."""
    if recorded_role not in SUPERVISOR_ROLES:
        raise NotAllowedError(
            f"An administrative error is recorded by a supervisor, not by a {recorded_role}.",
            "市区町村・J-LISの誤りの記録は責任者が行います。",
        )
    if not description.strip() or len(description) > 400:
        raise ValidationError(
            "description", "Describe the error (1-400 characters).", "誤りの内容を400文字以内で入力してください。"
        )
    r = residents.get(w, resident_id)
    on = occurred_on or w.today
    _past("occurred_on", on, w.today)
    return _add_record(w, r, ADMIN_ERROR, on, description.strip(), recorded_role, _resident_card(w, r.id, card_id))


def record_moved_in_from_abroad(
    w: Work, resident_id: int, *, moved_in_on: date, recorded_role: str = "clerk"
) -> WindowRecord:
    """Record a moving-in notice from abroad (国外からの転入届): the evidence of a free card for a
    return from abroad (R_LOSS_4) and its express date (R_LOSS_5)."""
    r = residents.get(w, resident_id)
    _past("moved_in_on", moved_in_on, w.today)
    return _add_record(w, r, MOVED_IN_FROM_ABROAD, moved_in_on, "国外からの転入", recorded_role, None)


def _add_record(
    w: Work, r: Resident, kind: str, on: date, description: str, role: str, card_id: str | None
) -> WindowRecord:
    rec = WindowRecord(
        kind=kind,
        resident_id=r.id,
        card_id=card_id,
        occurred_on=on,
        description=description,
        recorded_by=w.actor,
        recorded_role=role,
        recorded_at=w.at,
    )
    w.session.add(rec)
    w.session.flush()
    w.log(f"{kind}_recorded", resident_id=r.id, card_id=card_id, record=rec.id, occurred_on=on.isoformat())
    return rec


__all__ = [
    "KINDS",
    "NEW_REASONS",
    "REISSUE_REASONS",
    "Case",
    "Claim",
    "record_admin_error",
    "record_moved_in_from_abroad",
]
