"""The 24/7 hotline (R_LOSS_1): suspend after the identity questions, any hour."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from mynacard.present import suspension_dict
from mynacard.services import loss
from mynacard.web.api.schemas import HotlineIn
from mynacard.web.deps.desk import Desk, api_desk

router = APIRouter(prefix="/api/hotline", tags=["hotline"])


def suspend(desk: Desk, body: HotlineIn) -> dict[str, Any]:
    """Shared by the API and the hotline page. The holds reach OCSP in the same commit."""
    with desk.act("hotline.suspend", "hotline") as w:
        s = loss.hotline_suspend(
            w,
            name=body.name,
            birth_date=body.birth_date,
            address=body.address,
            individual_number=body.individual_number,
            caller=body.caller,
        )
        desk.target = f"card:{s.card.id}"
        desk.details = {"reference": s.reference}
        return suspension_dict(s)


@router.post("/suspend", summary="Suspend a lost card and hold both certificates (R_LOSS_1)")
def api_suspend(body: HotlineIn, desk: Annotated[Desk, Depends(api_desk)]) -> dict[str, Any]:
    return suspend(desk, body)
