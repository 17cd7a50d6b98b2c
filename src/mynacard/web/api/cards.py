"""Cards: application (new / renewal / reissue), making, hand-over, continued use, loss,
finding, return, PINs (R_CARD_*, R_LOSS_*, R_PIN_5)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from mynacard.handover import applied_dict, issued_extra, pin_reset_dict
from mynacard.results import card_result_dict
from mynacard.services import cards, documents, face, lifecycle, loss, pins, reissue
from mynacard.web.api.residents import face_out
from mynacard.web.api.schemas import (
    AdminErrorIn,
    ApplyIn,
    CancelIn,
    CardId,
    ContinuedUseIn,
    IssueIn,
    LossIn,
    MovedInFromAbroadIn,
    PinKind,
    PinResetIn,
    ResidentId,
)
from mynacard.web.deps.desk import Desk, api_desk
from mynacard.web.views import card_out

router = APIRouter(prefix="/api", tags=["cards"])
D = Annotated[Desk, Depends(api_desk)]


@router.post("/residents/{resident_id}/applications", status_code=201,
             summary="Receive an application: new, renewal or reissue (with its fee and receipt)")
def apply(resident_id: ResidentId, body: ApplyIn, desk: D) -> dict[str, Any]:
    with desk.act("card.apply") as w:
        desk.resident(w, resident_id)
        res = cards.apply(w, resident_id, kind=body.kind, channel=body.channel, received_on=body.received_on,
                          reason=body.reason, express=body.express, event_on=body.event_on,
                          documents=dict(body.documents), certificates=body.certificates)
        desk.details = {"card": res.card.id, "kind": body.kind, "fee": res.application.fee_total}
        return applied_dict(res)


def _record_out(rec) -> dict[str, Any]:
    return {"record_id": rec.id, "kind": rec.kind, "resident_id": rec.resident_id, "card_id": rec.card_id,
            "occurred_on": rec.occurred_on.isoformat(), "recorded_by": rec.recorded_by}


@router.post("/residents/{resident_id}/admin-errors", status_code=201,
             summary="Record an error of the municipality or J-LIS (supervisors): a free reissue's evidence")
def admin_error(resident_id: ResidentId, body: AdminErrorIn, desk: D) -> dict[str, Any]:
    with desk.act("card.admin_error") as w:
        desk.resident(w, resident_id)
        rec = reissue.record_admin_error(w, resident_id, description=body.description, card_id=body.card_id,
                                         occurred_on=body.occurred_on, recorded_role=desk.p.role.value)
        return _record_out(rec)


@router.post("/residents/{resident_id}/moved-in-from-abroad", status_code=201,
             summary="Record a moving-in from abroad (国外からの転入): a free card's evidence")
def moved_in_from_abroad(resident_id: ResidentId, body: MovedInFromAbroadIn, desk: D) -> dict[str, Any]:
    with desk.act("card.face") as w:
        desk.resident(w, resident_id)
        rec = reissue.record_moved_in_from_abroad(w, resident_id, moved_in_on=body.moved_in_on,
                                                  recorded_role=desk.p.role.value)
        return _record_out(rec)
@router.post("/cards/{card_id}/cancel", summary="Cancel the application of a card not yet handed over")
def cancel(card_id: CardId, desk: D, body: CancelIn | None = None) -> dict[str, Any]:
    with desk.act("card.apply") as w:
        desk.card(w, card_id)
        return card_out(w, cards.cancel(w, card_id, reason=body.reason if body else ""))


@router.get("/cards/{card_id}", summary="A card with its certificates")
def show(card_id: CardId, desk: D) -> dict[str, Any]:
    with desk.act("card.read") as w:
        return card_out(w, desk.card(w, card_id))


@router.post("/cards/{card_id}/make", summary="J-LIS makes the card (simulated from the window)")
def make(card_id: CardId, desk: D) -> dict[str, Any]:
    with desk.act("card.make") as w:
        desk.card(w, card_id)
        return card_out(w, cards.make(w, card_id))


@router.post("/cards/{card_id}/issue", summary="Hand over: identity check, PINs, certificates")
def issue(card_id: CardId, body: IssueIn, desk: D) -> dict[str, Any]:
    with desk.act("card.issue") as w:
        desk.card(w, card_id)
        given = {k: v for k, v in body.pins.model_dump().items() if v is not None}
        res = cards.issue(w, card_id, identity_documents=list(body.identity_documents), pins=given,
                          want_signing=body.want_signing, legal_representative=body.legal_representative,
                          certificates=body.certificates)
        desk.details = {"documents": ",".join(sorted(body.identity_documents))}
        return card_out(w, res.card) | issued_extra(res)


@router.post("/cards/{card_id}/continued-use", summary="Continued use after moving in (継続利用, R_CARD_8)")
def continued_use(card_id: CardId, body: ContinuedUseIn, desk: D) -> dict[str, Any]:
    with desk.act("card.face") as w:
        desk.card(w, card_id)
        res = face.continued_use(w, card_id, resident_pin=body.resident_pin, new_signing_pin=body.new_signing_pin)
        return face_out(w, res, "継続利用")


@router.post("/cards/{card_id}/loss-report", summary="Loss report at the window (R_LOSS_2)")
def loss_report(card_id: CardId, body: LossIn, desk: D) -> dict[str, Any]:
    with desk.act("card.loss") as w:
        desk.card(w, card_id)
        out = card_out(w, loss.report_loss(w, card_id, kind=body.kind, police_report=body.police_report))
        return card_result_dict("loss_report", out) | documents.loss_report_documents(w, card_id)  # 紛失届 受理票


@router.post("/cards/{card_id}/found", summary="The card was found: lift the suspension (R_LOSS_3)")
def found(card_id: CardId, desk: D) -> dict[str, Any]:
    with desk.act("card.found") as w:
        c = desk.card(w, card_id)
        done = loss.found(w, card_id)
        return card_result_dict("found", card_out(w, c), done)


@router.post("/cards/{card_id}/revoke-held", summary="Revoke the held certificates instead (R_CERT_6)")
def revoke_held(card_id: CardId, desk: D) -> dict[str, Any]:
    with desk.act("card.revoke_held") as w:
        c = desk.card(w, card_id)
        done = loss.revoke_after_hold(w, card_id)
        return card_result_dict("revoke_held", card_out(w, c), done)


@router.post("/cards/{card_id}/return", summary="The holder returns the card (返納, R_CARD_10)")
def return_card(card_id: CardId, desk: D) -> dict[str, Any]:
    with desk.act("card.return") as w:
        c = desk.card(w, card_id)
        done = lifecycle.return_card(w, card_id)
        return card_result_dict("return", card_out(w, c), done)


@router.get("/cards/{card_id}/pins", summary="Tries left of the four PINs (R_PIN_7)")
def pin_tries(card_id: CardId, desk: D) -> dict[str, int]:
    with desk.act("pin.read") as w:
        desk.card(w, card_id)
        return pins.tries_left(w, card_id)


@router.post("/cards/{card_id}/pins/{pin}/reset", summary="Reset or unlock a PIN at the window (R_PIN_5)")
def pin_reset(card_id: CardId, pin: PinKind, body: PinResetIn, desk: D) -> dict[str, Any]:
    with desk.act("pin.reset") as w:
        desk.card(w, card_id)
        res = pins.reset(w, card_id, pin, body.new_value, identity_documents=list(body.identity_documents))
        desk.details = {"pin": pin}
        return pin_reset_dict(res)
