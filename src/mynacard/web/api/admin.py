"""Administration: accounts, the simulated clock, municipalities, the daily batch, the audit log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from mynacard import audit
from mynacard.audit.labels import action_label
from mynacard.db import repositories as repo
from mynacard.present import iso
from mynacard.results import batch_dict, event_dict
from mynacard.services import batch, residents
from mynacard.timeutil import JST
from mynacard.web.api.schemas import AccountIn, ClockIn, MunicipalityIn
from mynacard.web.deps import auth
from mynacard.web.deps.desk import Desk, api_desk

router = APIRouter(prefix="/api", tags=["administration"])
D = Annotated[Desk, Depends(api_desk)]


def account_out(a: Any) -> dict[str, Any]:
    return {"username": a.username, "display_name": a.display_name, "role": a.role,
            "municipality_code": a.municipality_code, "active": a.active}


@router.post("/admin/accounts", status_code=201, summary="Create a staff account")
def create_account(body: AccountIn, desk: D) -> dict[str, Any]:
    desk.allow("admin.accounts", f"account:{body.username}")
    acc = auth.create_account(desk.office.store, **body.model_dump())
    desk.audit("admin.accounts", f"account:{acc.username}", role_given=acc.role,
               municipality=acc.municipality_code or "")
    return account_out(acc)


@router.get("/admin/accounts", summary="Staff accounts")
def accounts(desk: D) -> list[dict[str, Any]]:
    desk.allow("admin.accounts")
    return [account_out(a) for a in auth.list_accounts(desk.office.store)]


@router.get("/admin/clock", summary="The service's clock")
def get_clock(desk: D) -> dict[str, Any]:
    desk.allow("admin.clock")
    return {"now": desk.st.clock.now().isoformat(), "simulated": desk.st.clock.simulated,
            "advance": desk.st.clock.advance}


@router.post("/admin/clock", summary="Set the simulated time (null: real time)")
def set_clock(body: ClockIn, desk: D) -> dict[str, Any]:
    desk.allow("admin.clock")
    at = body.at
    if at is not None and at.tzinfo is None:
        at = at.replace(tzinfo=JST)
    desk.st.clock.set(at, advance=body.advance)
    desk.audit("admin.clock", "clock", set_to=at.isoformat() if at else "real")
    return {"now": desk.st.clock.now().isoformat(), "simulated": desk.st.clock.simulated,
            "advance": desk.st.clock.advance}


@router.post("/municipalities", status_code=201, summary="Register a municipality")
def add_municipality(body: MunicipalityIn, desk: D) -> dict[str, Any]:
    with desk.act("admin.municipality", f"municipality:{body.code}") as w:
        m = residents.add_municipality(w, body.code, body.name, body.prefecture, address=body.address,
                                       window=body.window, phone=body.phone)
        return {"code": m.code, "name": m.name, "prefecture": m.prefecture, "address": m.address, "window": m.window,
                "phone": m.phone}


@router.post("/batch/daily", summary="Run the daily batch: expiries, lapses, expiry notices (R_USE_3)")
def daily(desk: D) -> dict[str, Any]:
    with desk.act("batch.run", "batch") as w:
        rep = batch.daily(w, municipality_code=desk.p.municipality_code if desk.p.scoped else None)
        desk.details = {"notices": len(rep.notices)}
        return batch_dict(rep)


@router.get("/audit", summary="The audit log, newest first (auditor)")
def audit_log(desk: D, actor: Annotated[str | None, Query(max_length=64)] = None,
              action: Annotated[str | None, Query(max_length=60)] = None,
              offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
              limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[dict[str, Any]]:
    with desk.act("audit.read", "audit") as w:
        return [{"id": e.id, "at": iso(e.at), "actor": e.actor, "role": e.role, "action": e.action,
                 "action_ja": action_label(e.action), "target": e.target, "outcome": e.outcome,
                 "details": e.details, "hash": e.hash}
                for e in audit.entries(w.session, actor=actor, action=action, offset=offset, limit=limit)]


@router.get("/events", summary="The workflow event log of one resident")
def events(desk: D, resident_id: Annotated[int, Query(ge=1, le=2_147_483_647)]) -> list[dict[str, Any]]:
    with desk.act("resident.read") as w:
        desk.resident(w, resident_id)
        return [event_dict(e) for e in repo.events(w.session, resident_id=resident_id, limit=500)]
