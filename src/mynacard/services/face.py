"""Card-face updates (券面更新): moves and marriage (R_CARD_7, R_CARD_8, R_CERT_5)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from mynacard.chip import KeySlot, PinId
from mynacard.db import repositories as repo
from mynacard.db.models import Card, CardState, Move, Resident
from mynacard.errors import NotFoundError, StateError, ValidationError
from mynacard.rules.events import CertKind, LifeEvent
from mynacard.rules.moves import check_moving_in
from mynacard.rules.notes import NOTES_CAPACITY, note_text
from mynacard.rules.text import check_text
from mynacard.services import chips, residents
from mynacard.services.certificates import issue_new
from mynacard.services.common import apply_event, card, end_card, require_state
from mynacard.services.context import Work


@dataclass
class FaceChange:
    card: Card | None
    certificates: dict[str, str] = field(default_factory=dict)
    note_written: bool = False
    notes_full: bool = False
    new_signing_serial: int | None = None
    present_by: date | None = None


def _write_note(w: Work, c: Card, r: Resident, text: str) -> tuple[bool, bool]:
    """Write the change in the notes field and the chip's card data (R_CARD_7).
    Returns (written, full): a full notes field means a free reissue."""
    chip = chips.chip_of(w, c)
    chip.write_card_info(chips.card_info(r, c))
    if len(c.notes) >= NOTES_CAPACITY:
        w.log("notes_full", resident_id=r.id, card_id=c.id)
        return False, True
    c.notes = [*c.notes, {"on": w.today.isoformat(), "text": text}]
    return True, len(c.notes) >= NOTES_CAPACITY


def _attributes_changed(w: Work, r: Resident, what: str) -> FaceChange:
    """Common tail of every change of the four attributes: the signing certificate is revoked at
    once and the authentication one is not (R_CERT_5)."""
    c = repo.live_card(w.session, r.id)
    result = FaceChange(card=c)
    if c is None:
        w.log("attributes_changed", resident_id=r.id, what=what)
        return result
    c = card(w, c.id)
    result.card = c
    result.certificates = apply_event(w, c, LifeEvent.ATTRIBUTE_CHANGE)
    if "sign" in result.certificates:
        chips.chip_of(w, c).clear_slot(KeySlot.SIGN)
    w.log("attributes_changed", resident_id=r.id, card_id=c.id, what=what, certificates=result.certificates)
    return result


def _face_update(w: Work, r: Resident, what: str, note: str, new_signing_pin: str | None) -> FaceChange:
    """A change of the four attributes recorded at the window with the card present: the
    signing certificate goes, the notes field and chip are written, a new certificate on request."""
    res = _attributes_changed(w, r, what)
    if res.card is not None:
        res.note_written, res.notes_full = _write_note(w, res.card, r, note)
        if new_signing_pin is not None:
            res.new_signing_serial = issue_new(w, res.card.id, CertKind.SIGN, pin=new_signing_pin).serial
    return res


def move_within(
    w: Work, resident_id: int, *, new_address: str, moved_on: date | None = None, new_signing_pin: str | None = None
) -> FaceChange:
    """A move inside the municipality (転居) on ``moved_on`` (default today): new address on the
    card face and chip."""
    r = residents.get(w, resident_id)
    check_text("new_address", new_address)
    if not new_address.strip() or new_address.strip() == r.address:
        raise ValidationError(
            "new_address", "Give the new address (different from the current one).", "新しい住所を入力してください。"
        )
    r.address = new_address.strip()
    on = moved_on or w.today
    return _face_update(w, r, "address", note_text(on, "転居", r.address), new_signing_pin)


def change_name(w: Work, resident_id: int, *, new_name: str, new_signing_pin: str | None = None) -> FaceChange:
    """A change of name (marriage etc.): the new name on the face and chip (R_CARD_7, R_CERT_5)."""
    r = residents.get(w, resident_id)
    check_text("new_name", new_name)
    if not new_name.strip() or new_name.strip() == r.name:
        raise ValidationError(
            "new_name", "Give the new name (different from the current one).", "新しい氏名を入力してください。"
        )
    r.name = new_name.strip()
    return _face_update(w, r, "name", note_text(w.today, "氏名変更", r.name), new_signing_pin)


def move_out(w: Work, resident_id: int, *, to_municipality: str, planned_on: date) -> Move:
    """The moving-out notice (転出届) with its planned date (R_CARD_8)."""
    r = residents.get(w, resident_id)
    if repo.open_move(w.session, r.id) is not None:
        raise StateError("A move is already under way for this resident.", "転出の手続き中です。")
    if to_municipality == r.municipality_code:
        raise ValidationError(
            "to_municipality",
            "A move inside the municipality is a move_within.",
            "同一市区町村内の転居は転居届で手続きしてください。",
        )
    c = repo.live_card(w.session, r.id)
    mv = Move(
        resident_id=r.id,
        card_id=c.id if c else None,
        from_code=r.municipality_code,
        to_code=to_municipality,
        planned_move_out_on=planned_on,
        status="moving_out",
    )
    w.session.add(mv)
    r.moving_out_filed = True
    w.log("moving_out_filed", resident_id=r.id, to=to_municipality, planned_on=planned_on.isoformat())
    return mv


def move_in(
    w: Work, resident_id: int, *, new_address: str, moved_in_on: date, notice_on: date | None = None
) -> FaceChange:
    """The moving-in notice (転入届) at the new municipality (R_CARD_8). Late notices make the card
    lose effect; otherwise the card must be presented for continued use within 90 days."""
    check_text("new_address", new_address)
    r = residents.get(w, resident_id)
    mv = repo.open_move(w.session, r.id)
    if mv is None or mv.status != "moving_out":
        raise StateError("File the moving-out notice first (move-out).", "先に転出届を提出してください。")
    if repo.municipality(w.session, mv.to_code) is None:
        raise NotFoundError(f"Unknown municipality {mv.to_code}.", "転入先の市区町村が登録されていません。")
    notice = notice_on or w.today
    check = check_moving_in(moved_in_on, mv.planned_move_out_on, notice)
    mv.moved_in_on, mv.notice_on, mv.new_address = moved_in_on, notice, new_address.strip()
    r.municipality_code, r.address, r.moving_out_filed = mv.to_code, new_address.strip(), False
    res = _attributes_changed(w, r, "address (moving in)")
    c = res.card
    if c is None:
        mv.status = "done"
        return res
    if not check.ok:
        mv.status = "lapsed"
        res.certificates.update(end_card(w, c, CardState.LAPSED, LifeEvent.CARD_LAPSED, check.reason))
        return res
    mv.status, mv.present_by = "moved_in", check.present_by
    c.continued_use_by = check.present_by
    res.present_by = check.present_by
    return res


def continued_use(w: Work, card_id: str, *, resident_pin: str, new_signing_pin: str | None = None) -> FaceChange:
    """Present the card at the new municipality (継続利用) with the resident-registry PIN (R_CARD_8)."""
    c = card(w, card_id)
    require_state(c, CardState.ISSUED, CardState.SUSPENDED, doing="record continued use", doing_ja="継続利用の手続き")
    mv = repo.open_move(w.session, c.resident_id)
    if mv is None or mv.status != "moved_in" or c.continued_use_by is None:
        raise StateError("No move is waiting for this card's continued use.", "継続利用の手続きは不要です。")
    if w.today > c.continued_use_by:
        raise StateError(
            f"The 90-day limit for continued use ended on {c.continued_use_by}; the card has lost effect.",
            "継続利用の期限(転入届から90日)を過ぎています。",
        )
    with chips.pin_try(w, c.id, PinId.RESIDENT.value):
        chips.chip_of(w, c).verify_pin(PinId.RESIDENT, resident_pin)  # before any change (R_PIN_4)
    r = residents.get(w, c.resident_id)
    res = FaceChange(card=c)
    res.note_written, res.notes_full = _write_note(w, c, r, note_text(w.today, "転入", r.address))
    c.continued_use_by = None
    mv.status = "done"
    w.log("continued_use", resident_id=r.id, card_id=c.id)
    if new_signing_pin is not None:
        res.new_signing_serial = issue_new(w, c.id, CertKind.SIGN, pin=new_signing_pin).serial
    return res
