"""The window's pages: login, find a resident, the resident's page with every form,
renewals due, the hotline. The audit log is ``web.ui.audit``."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from mynacard.db import repositories as repo
from mynacard.db.models import Resident
from mynacard.errors import MynaError, NotFoundError, ValidationError
from mynacard.rules.text import check_all
from mynacard.services import residents
from mynacard.services.renewals import renewals_due
from mynacard.timeutil import jst_date
from mynacard.web.api.hotline import suspend
from mynacard.web.api.schemas import HotlineIn
from mynacard.web.api.session import client_address, do_login
from mynacard.web.deps import auth
from mynacard.web.deps.desk import SESSION_COOKIE, Desk
from mynacard.web.deps.roles import PERMISSIONS, Role
from mynacard.web.errors import CsrfError
from mynacard.web.state import state
from mynacard.web.ui.actions import ACTIONS
from mynacard.web.ui.audit import router as audit_router
from mynacard.web.ui.render import LOGIN_CSRF_COOKIE, page, posted, ui_desk
from mynacard.web.views import resident_view

router = APIRouter()
router.routes.extend(audit_router.routes)  # the audit view, GET /audit and /audit.csv (web.ui.audit)


def _error_fields(e: MynaError) -> dict[str, str]:
    if isinstance(e, ValidationError):
        return {str(e.fields.get("field", "")): e.message_ja}
    return {}


# --- login ---------------------------------------------------------------------------------


@router.get("/login")
def login_page(request: Request) -> Response:
    token = secrets.token_urlsafe(24)
    resp = page(request, "login.html", login_csrf=token)
    resp.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=state(request).secure_cookies)
    return resp


@router.post("/login")
async def login_submit(request: Request) -> Response:
    st = state(request)
    form = await request.form()
    username, password = str(form.get("username", ""))[:64], str(form.get("password", ""))[:256]
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if len(expected) < 16 or not auth.same(str(form.get("csrf", "")), expected):
        raise CsrfError()
    try:
        check_all({"username": username, "password": password})
        token, p = do_login(st, username, password, client_address(request))
    except MynaError as e:
        resp = page(
            request,
            "login.html",
            status=e.http_status,
            login_csrf=str(form.get("csrf", "")),
            form_error={"login": e.message_ja},
            username="" if e.code == "invalid_input" else username,
        )
        return resp
    home = {Role.HOTLINE: "/hotline", Role.AUDITOR: "/audit"}.get(p.role, "/")
    resp = RedirectResponse(home, status_code=303)
    resp.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=st.secure_cookies,
        max_age=int(auth.SESSION_LIFETIME.total_seconds()),
    )
    resp.delete_cookie(LOGIN_CSRF_COOKIE)
    return resp


@router.post("/logout")
async def logout(request: Request) -> Response:
    desk = ui_desk(request)
    await posted(request, desk)
    auth.logout(desk.office.store, desk.p)
    desk.audit("logout")
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE)
    return resp


# --- finding a resident ---------------------------------------------------------------------


@router.get("/")
def home(request: Request, name: str = "", birth_date: str = "") -> Response:
    desk = ui_desk(request)
    if desk.p.role is Role.HOTLINE:
        return RedirectResponse("/hotline", status_code=303)
    if desk.p.role is Role.AUDITOR:
        return RedirectResponse("/audit", status_code=303)
    found: list[Resident] | None = None
    errors: dict[str, str] = {}
    if name or birth_date:
        try:
            with desk.act("resident.read", "search") as w:
                birth = residents.parse_date("birth_date", birth_date) if birth_date else None
                code = desk.p.municipality_code if desk.p.scoped else None
                found = list(
                    repo.find_residents(w.session, name=name[:100] or None, birth_date=birth, municipality_code=code)
                )
        except MynaError as e:
            desk.failed(e)
            errors = _error_fields(e) or {"": e.message_ja}
    return page(
        request,
        "home.html",
        desk,
        residents=found,
        q_name=name,
        q_birth=birth_date,
        errors=errors,
        status=422 if errors else 200,
    )


# --- the resident's page --------------------------------------------------------------------


def _resident_page(request: Request, desk: Desk, rid: int, status: int = 200, **ctx: Any) -> Response:
    with desk.act("resident.read", f"resident:{rid}") as w:
        r = desk.resident(w, rid)
        view = resident_view(w, r)
        live = next((c for c in view["cards"] if c["state"] in ("issued", "suspended")), None)
        pending = next((c for c in view["cards"] if c["state"] in ("applied", "made")), None)
        m = repo.municipality(w.session, r.municipality_code)
    return page(
        request,
        "resident.html",
        desk,
        status=status,
        v=view,
        live=live,
        pending=pending,
        municipality=m.name if m else r.municipality_code,
        today=jst_date(desk.now),
        **ctx,
    )


@router.get("/residents/{rid}")
def resident_page(request: Request, rid: int) -> Response:
    desk = ui_desk(request)
    if not 1 <= rid < 2**31:
        raise NotFoundError("No such resident.", "住民が見つかりません。")
    return _resident_page(request, desk, rid)


@router.post("/residents/{rid}/{action}")
async def resident_action(request: Request, rid: int, action: str) -> Response:
    desk = ui_desk(request)
    form = await posted(request, desk)
    lists: dict[str, list[str]] = request.state.form_lists
    if action not in ACTIONS or not 1 <= rid < 2**31:
        raise NotFoundError("No such form.", "ページが見つかりません。")
    permission, fn = ACTIONS[action]
    try:
        with desk.act(permission, f"resident:{rid}") as w:
            desk.resident(w, rid)
            card_id = form.get("card_id")
            if card_id:
                c = repo.card(w.session, card_id[:16], for_update=True)
                if c is None or c.resident_id != rid:
                    raise NotFoundError("No such card for this resident.", "この住民のカードではありません。")
                desk.details = {"card": c.id}
            outcome = fn(w, rid, form, lists)
            if permission == "resident.number_read":  # who read it, and why (R_NUM_3)
                desk.details = {**desk.details, "purpose": form.get("purpose", "")}
    except MynaError as e:
        if e.http_status == 403 and not isinstance(e, CsrfError) and e.code == "forbidden":
            raise
        desk.failed(e)
        return _resident_page(
            request,
            desk,
            rid,
            status=e.http_status,
            errors={action: _error_fields(e)},
            form_error={action: e.message_ja},
            form_values={action: {k: v for k, v in form.items() if "pin" not in k and k not in ("csrf", "new_value")}},
        )
    return _resident_page(request, desk, rid, notice=outcome.message, links=outcome.links, number=outcome.number)


# --- renewals due ---------------------------------------------------------------------------


@router.get("/renewals")
def renewals(request: Request) -> Response:
    """Cards and certificates whose renewal window is open (R_CARD_6, R_CERT_3)."""
    desk = ui_desk(request)
    today = jst_date(desk.now)
    with desk.act("resident.read", "renewals") as w:
        code = desk.p.municipality_code if desk.p.scoped else None
        rows = renewals_due(w, municipality_code=code, until=today)
    return page(request, "renewals.html", desk, rows=rows, today=today)


# --- the hotline ----------------------------------------------------------------------------


@router.get("/hotline")
def hotline_page(request: Request) -> Response:
    desk = ui_desk(request)
    desk.allow("hotline.suspend", "hotline")
    desk.action = ""
    return page(request, "hotline.html", desk)


@router.post("/hotline")
async def hotline_submit(request: Request) -> Response:
    desk = ui_desk(request)
    form = await posted(request, desk)
    values = {k: form.get(k, "").strip() for k in ("name", "birth_date", "address")}
    try:
        birth = residents.parse_date("birth_date", values["birth_date"]) if values["birth_date"] else None
        if not values["name"] or birth is None:
            raise ValidationError(
                "name" if not values["name"] else "birth_date",
                "Name and date of birth are required.",
                "氏名と生年月日を入力してください。",
            )
        body = HotlineIn(
            name=values["name"][:100],
            birth_date=birth,
            address=values["address"][:200] or None,
            caller=(form.get("caller") or "holder")[:40],
        )
        result = suspend(desk, body)
    except MynaError as e:
        if e.code == "forbidden":
            raise
        desk.failed(e)
        return page(
            request,
            "hotline.html",
            desk,
            status=e.http_status,
            errors=_error_fields(e),
            form_error={"hotline": e.message_ja},
            values=values,
        )
    return page(request, "hotline.html", desk, result=result)


__all__ = ["PERMISSIONS", "date", "router"]
