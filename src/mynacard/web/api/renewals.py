"""Renewals due (R_CARD_6, R_CERT_3): the same list as the window's page and the CLI."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from mynacard.present import renewals_dicts
from mynacard.services.renewals import renewals_due
from mynacard.timeutil import jst_date
from mynacard.web.api.schemas import Day
from mynacard.web.deps.desk import Desk, api_desk

router = APIRouter(prefix="/api/renewals", tags=["residents"])


@router.get("", summary="Cards and certificates whose renewal window is open (own municipality only)")
def due(
    desk: Annotated[Desk, Depends(api_desk)],
    until: Annotated[Day | None, Query(description="Window open by this day (default: today, JST)")] = None,
    since: Annotated[Day | None, Query(description="Leave out what expired before this day")] = None,
) -> list[dict[str, Any]]:
    with desk.act("resident.read", "renewals") as w:
        code = desk.p.municipality_code if desk.p.scoped else None
        return renewals_dicts(renewals_due(w, municipality_code=code, until=until or jst_date(desk.now), since=since))
