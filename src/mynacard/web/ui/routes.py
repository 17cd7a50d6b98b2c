"""The window's pages: login, the task menu, the resident's page with the tasks the card's state
allows, one page per task (with a confirmation for the irreversible ones). Registration, moves
into the municipality, the daily batch, the clock, renewals and the hotline are in ``ops``; the
audit log is ``web.ui.audit``. Every POST redirects (PRG): its outcome is shown by the page it
redirects to."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from mynacard.db import repositories as repo
from mynacard.db.models import Municipality, Resident
from mynacard.errors import MynaError, NotFoundError
from mynacard.rules.text import check_all
from mynacard.services import pins, residents
from mynacard.timeutil import jst_date
from mynacard.web.api.session import client_address, do_login
from mynacard.web.deps import auth
from mynacard.web.deps.desk import SESSION_COOKIE, Desk
from mynacard.web.deps.roles import PERMISSIONS, Role
from mynacard.web.state import state
from mynacard.web.ui import flash, history, ops
from mynacard.web.ui.actions import ACTIONS, CERTS_JA
from mynacard.web.ui.audit import router as audit_router
from mynacard.web.ui.flows import FLOW_FIELDS, FLOWS, GROUP_JA, cert_kinds, offered
from mynacard.web.ui.prg import _errors, _kept, done, fail
from mynacard.web.ui.render import EXPIRED_JA, EXPIRED_LOGIN_JA, LOGIN_CSRF_COOKIE, form_post, page, safe_next, ui_desk
from mynacard.web.ui.router import router
from mynacard.web.views import resident_view

router.routes.extend(audit_router.routes)  # the audit view, GET /audit and /audit.csv (web.ui.audit)


# --- login ---------------------------------------------------------------------------------


@router.get("/login")
def login_page(request: Request, f: str = "", next: str = "", expired: str = "") -> Response:
    """The login form; after a refused login (post/redirect/get) its message and the login ID
    typed, kept for this browser under ``f``; ``expired`` when a session ended under a form."""
    browser = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    token = browser if len(browser) >= 16 else secrets.token_urlsafe(24)
    kept = flash.get_for_login(request, browser, f)
    message = kept.get("message") or (EXPIRED_LOGIN_JA if expired else "")
    resp = page(request, "login.html", status=kept.get("status", 200), login_csrf=token,
                form_error={"login": message} if message else {}, username=kept.get("username", ""),
                next=safe_next(next) or "")
    if "retry_after" in kept:
        resp.headers["Retry-After"] = str(kept["retry_after"])
    resp.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=state(request).secure_cookies)
    return resp


def _to_login(nxt: str | None, **params: str) -> Response:
    return RedirectResponse("/login?" + urlencode({**params, **({"next": nxt} if nxt else {})}), status_code=303)


@router.post("/login")
async def login_submit(request: Request) -> Response:
    """Post/redirect/get: a refused login goes back to the login page (303) with its message and
    the login ID (never the password); a good one to the role's home or the page it came from."""
    st = state(request)
    form = await request.form()
    username, password = str(form.get("username", ""))[:64], str(form.get("password", ""))[:256]
    nxt = safe_next(str(form.get("next", "")))
    browser = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    try:
        check_all({"username": username})
        shown = username  # kept to fill the form again
    except MynaError:
        shown = ""
    if len(browser) < 16 or not auth.same(str(form.get("csrf", "")), browser):
        # an old login page (the cookie was renewed, or is gone): nothing was checked
        if len(browser) < 16:
            return _to_login(nxt, expired="1")
        return _to_login(nxt, f=flash.put_for_login(request, browser, {"message": EXPIRED_JA, "username": shown}))
    try:
        check_all({"username": username, "password": password})
        token, p = do_login(st, username, password, client_address(request))
    except MynaError as e:
        kept: dict[str, Any] = {"message": e.message_ja, "username": shown,
                                "status": e.http_status}
        if "retry_after" in e.fields:
            kept["retry_after"] = e.fields["retry_after"]
        return _to_login(nxt, f=flash.put_for_login(request, browser, kept))
    home = {Role.HOTLINE: "/hotline", Role.AUDITOR: "/audit"}.get(p.role, "/")
    resp = RedirectResponse(nxt or home, status_code=303)
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
    desk, _ = await form_post(request)
    auth.logout(desk.office.store, desk.p)
    flash.forget_session(desk.office.store, desk.p)
    desk.audit("logout")
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE)
    return resp


# --- the task menu and finding a resident ---------------------------------------------------


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
            errors = _errors(e)[0] or {"": e.message_ja}
    return page(request, "home.html", desk, residents=found, q_name=name, q_birth=birth_date, errors=errors,
                status=422 if errors else 200)


# --- the resident's page --------------------------------------------------------------------


def _load(desk: Desk, rid: int) -> dict[str, Any]:
    """Everything the resident's page and the step pages show, read in one unit of work."""
    if not 1 <= rid < 2**31:
        raise NotFoundError("No such resident.", "住民が見つかりません。")
    with desk.act("resident.read", f"resident:{rid}") as w:
        r = desk.resident(w, rid)
        view = resident_view(w, r)
        live = next((c for c in view["cards"] if c["state"] in ("issued", "suspended")), None)
        pending = next((c for c in view["cards"] if c["state"] in ("applied", "made")), None)
        tries: dict[str, int] = {}
        if live is not None:
            try:
                tries = pins.tries_left(w, live["id"])
            except MynaError:
                tries = {}
        m = repo.municipality(w.session, r.municipality_code)
        events = history.timeline(w, rid, view["cards"])
        munis = [(x.code, x.name) for x in w.session.scalars(select(Municipality).order_by(Municipality.code))]
    return {"v": view, "live": live, "pending": pending, "tries": tries, "events": events,
            "certs": history.certificates(view["cards"]), "municipalities": munis,
            "municipality": m.name if m else r.municipality_code, "today": jst_date(desk.now),
            "flows": offered(desk.p.role, live, pending, view["move"])}


@router.get("/residents/{rid}")
def resident_page(request: Request, rid: int, f: str = "") -> Response:
    desk = ui_desk(request)
    data = _load(desk, rid)
    result = flash.get(request, desk.p, f)
    return page(request, "resident.html", desk, result=result, GROUP_JA=GROUP_JA, **data)


@router.get("/residents/{rid}/do/{action}")
def step_page(request: Request, rid: int, action: str, f: str = "") -> Response:
    """One task as a short form; with ``f`` it shows the errors of the last try, or the
    confirmation of an irreversible step."""
    desk = ui_desk(request)
    desk.allow("resident.read", f"resident:{rid}")
    if action not in FLOWS:
        raise NotFoundError("No such task.", "その手続きはありません。")
    flow = FLOWS[action]
    desk.allow(flow.permission, f"resident:{rid}")
    data = _load(desk, rid)
    state = flash.get(request, desk.p, f)
    allowed = any(x.name == action for x in data["flows"])
    card = data["pending"] if action in ("make", "issue", "cancel") else data["live"]
    return page(request, "step.html", desk, flow=flow, allowed=allowed, card=card,
                kinds=cert_kinds(action, data["live"]), known=FLOW_FIELDS.get(action, ()),
                errors=state.get("errors", {}), general=state.get("general", []),
                values=state.get("values", {}), lists=state.get("lists", {}), confirm=state.get("confirm", False),
                CERTS_JA=CERTS_JA, status=state.get("status", 200), **data)


@router.post("/residents/{rid}/{action}")
async def resident_action(request: Request, rid: int, action: str) -> Response:
    desk, form = await form_post(request)
    lists: dict[str, list[str]] = request.state.form_lists
    if action not in ACTIONS or not 1 <= rid < 2**31:
        raise NotFoundError("No such form.", "ページが見つかりません。")
    permission, fn = ACTIONS[action]
    back = f"/residents/{rid}/do/{action}"
    # the role may do this, and the resident is one this staff member may see (404 otherwise)
    desk.allow(permission, f"resident:{rid}")
    with desk.office.work(at=desk.now, actor=desk.p.username) as w:
        desk.resident(w, rid)
    desk.action, desk.target = "", ""
    if FLOWS[action].irreversible and form.get("confirmed") != "1":
        # nothing happens yet: show what will happen and ask again (the POST is not re-sent on reload)
        values, kept = _kept(form, lists)
        return done(request, desk, back, confirm=True, values=values, lists=kept)
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
        return fail(request, desk, e, back, form, lists)
    extra = {"once": {"number": outcome.number}} if outcome.number else {}
    return done(request, desk, f"/residents/{rid}", message=outcome.message, links=outcome.links,
                title=FLOWS[action].title, **extra)


assert ops.router is router  # ops adds its pages to the same router
__all__ = ["PERMISSIONS", "date", "router"]
