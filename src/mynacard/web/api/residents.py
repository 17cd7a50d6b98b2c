"""Residents: register, find, show, read the number with a purpose (R_NUM_3), face changes."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from mynacard.db import repositories as repo
from mynacard.errors import NotFoundError, StateError
from mynacard.results import face_dict, move_out_dict
from mynacard.services import face, lifecycle, residents
from mynacard.web.api.schemas import (
    Day,
    MoveInIn,
    MoveOutIn,
    MoveWithinIn,
    NumberChangeIn,
    NumberReadIn,
    RenameIn,
    ResidentId,
    ResidentIn,
)
from mynacard.web.deps.desk import Desk, api_desk
from mynacard.web.views import card_out, resident_out, resident_view

router = APIRouter(prefix="/api/residents", tags=["residents"])
D = Annotated[Desk, Depends(api_desk)]


def face_out(w, res: face.FaceChange, what_ja: str = "変更") -> dict[str, Any]:
    return face_dict(res, card_out(w, res.card) if res.card is not None else None, what_ja)


@router.post("", status_code=201, summary="Register a resident (住民登録)")
def register(body: ResidentIn, desk: D) -> dict[str, Any]:
    with desk.act("resident.register", f"municipality:{body.municipality_code}") as w:
        desk.check_scope(body.municipality_code)
        r = residents.register(w, **body.model_dump())
        desk.target = f"resident:{r.id}"
        return resident_out(r)


@router.get("", summary="Find residents by name and date of birth (own municipality only)")
def find(
    desk: D,
    name: Annotated[str | None, Query(max_length=100)] = None,
    birth_date: Annotated[Day | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[dict[str, Any]]:
    with desk.act("resident.read", "search") as w:
        code = desk.p.municipality_code if desk.p.scoped else None
        rows = repo.find_residents(
            w.session, name=name or None, birth_date=birth_date, municipality_code=code, limit=limit
        )
        return [resident_out(r) for r in rows]


@router.get("/{resident_id}", summary="A resident with cards, certificates, receipts")
def show(resident_id: ResidentId, desk: D) -> dict[str, Any]:
    with desk.act("resident.read") as w:
        return resident_view(w, desk.resident(w, resident_id))


@router.post("/{resident_id}/number", summary="Read the individual number for a lawful purpose (R_NUM_3)")
def read_number(resident_id: ResidentId, body: NumberReadIn, desk: D) -> dict[str, Any]:
    with desk.act("resident.number_read") as w:
        desk.resident(w, resident_id)
        number = residents.read_number(w, resident_id, body.purpose)
        desk.details = {"purpose": body.purpose}
        return {"resident_id": resident_id, "individual_number": str(number), "purpose": body.purpose}


@router.get("/{resident_id}/number-reads", summary="Who read the number, when and why (R_NUM_3)")
def number_reads(resident_id: ResidentId, desk: D) -> list[dict[str, Any]]:
    with desk.act("resident.read") as w:
        desk.resident(w, resident_id)
        return [
            {"at": x.at.isoformat(), "actor": x.actor, "purpose": x.purpose}
            for x in residents.number_history(w, resident_id)
        ]


@router.post("/{resident_id}/move-within", summary="Move inside the municipality (転居, R_CARD_7, R_CERT_5)")
def move_within(resident_id: ResidentId, body: MoveWithinIn, desk: D) -> dict[str, Any]:
    with desk.act("card.face") as w:
        desk.resident(w, resident_id)
        res = face.move_within(
            w, resident_id, new_address=body.new_address, moved_on=body.moved_on, new_signing_pin=body.new_signing_pin
        )
        return face_out(w, res, "転居")


@router.post("/{resident_id}/rename", summary="Change of name, e.g. marriage (R_CARD_7, R_CERT_5)")
def rename(resident_id: ResidentId, body: RenameIn, desk: D) -> dict[str, Any]:
    with desk.act("card.face") as w:
        desk.resident(w, resident_id)
        res = face.change_name(w, resident_id, new_name=body.new_name, new_signing_pin=body.new_signing_pin)
        return face_out(w, res, "氏名の変更")


@router.post("/{resident_id}/move-out", summary="Moving-out notice (転出届, R_CARD_8)")
def move_out(resident_id: ResidentId, body: MoveOutIn, desk: D) -> dict[str, Any]:
    with desk.act("card.face") as w:
        desk.resident(w, resident_id)
        if repo.municipality(w.session, body.to_municipality) is None:
            raise NotFoundError(
                f"Unknown municipality {body.to_municipality}.", "転出先の市区町村が登録されていません。"
            )
        mv = face.move_out(w, resident_id, to_municipality=body.to_municipality, planned_on=body.planned_on)
        return move_out_dict(mv)


@router.post("/{resident_id}/move-in", summary="Moving-in notice at the new municipality (転入届, R_CARD_8)")
def move_in(resident_id: ResidentId, body: MoveInIn, desk: D) -> dict[str, Any]:
    with desk.act("card.face", f"resident:{resident_id}") as w:
        r = repo.resident(w.session, resident_id, for_update=True)
        missing = NotFoundError(
            f"No resident with ID {resident_id}.", f"住民ID {resident_id} の住民は登録されていません。"
        )
        if r is None:
            raise missing
        mv = repo.open_move(w.session, resident_id)
        # the new municipality records the moving in; to anyone else the resident is unknown
        desk.hidden(mv.to_code if mv is not None else r.municipality_code, missing)
        if mv is None or mv.status != "moving_out":
            raise StateError("File the moving-out notice first (move-out).", "先に転出届を提出してください。")
        res = face.move_in(
            w, resident_id, new_address=body.new_address, moved_in_on=body.moved_in_on, notice_on=body.notice_on
        )
        return face_out(w, res, "転入")


@router.post("/{resident_id}/number-change", summary="Change a leaked number (R_NUM_2)")
def number_change(resident_id: ResidentId, body: NumberChangeIn, desk: D) -> dict[str, Any]:
    with desk.act("number.change") as w:
        desk.resident(w, resident_id)
        res = lifecycle.change_number(w, resident_id, reason=body.reason, new_number=body.new_number)
        return {
            "old_card": res.old_card.id if res.old_card else None,
            "application_id": res.application.application.id,
            "card": res.application.card.id,
        }


@router.post("/{resident_id}/stay-extension", summary="Extend a card after a visa renewal (R_CARD_9)")
def extend(resident_id: ResidentId, new_period_of_stay_end: Annotated[Day, Query()], desk: D) -> dict[str, Any]:
    with desk.act("card.face") as w:
        desk.resident(w, resident_id)
        return card_out(w, lifecycle.extend_for_stay(w, resident_id, new_period_of_stay_end=new_period_of_stay_end))


__all__ = ["date", "router"]
