"""Rendering pages: the Jinja2 environment, the session cookie, CSRF, error pages."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from mynacard.db.models import CARD_STATE_JA, CERT_STATUS_JA
from mynacard.errors import ValidationError
from mynacard.present import DUE_JA, wareki
from mynacard.rules.events import CERT_KIND_JA
from mynacard.rules.fees import REASON_JA
from mynacard.rules.text import check_all
from mynacard.rules.wareki import HINT_JA
from mynacard.services.residents import NUMBER_PURPOSES
from mynacard.web.deps.auth import Principal, expired_account, principal_for, same
from mynacard.web.deps.desk import SESSION_COOKIE, Desk
from mynacard.web.deps.roles import ROLE_JA
from mynacard.web.errors import Unauthenticated
from mynacard.web.state import state

templates = Jinja2Templates(directory=str(Path(__file__).parent.parent / "templates"))
templates.env.globals.update(
    wareki=wareki, CARD_STATE_JA=CARD_STATE_JA, CERT_STATUS_JA=CERT_STATUS_JA, CERT_KIND_JA=CERT_KIND_JA,
    REASON_JA={k.value: v for k, v in REASON_JA.items()}, NUMBER_PURPOSES=NUMBER_PURPOSES, ROLE_JA=ROLE_JA,
    DUE_JA=DUE_JA, DATE_HINT_JA=HINT_JA,
)
LOGIN_CSRF_COOKIE = "myna_login_csrf"

DOCUMENTS_JA = {
    "drivers_license": "運転免許証", "passport": "旅券", "residence_card": "在留カード",
    "mynumber_card": "個人番号カード", "health_insurance_card": "健康保険証・資格確認書",
    "pension_book": "年金手帳", "student_id": "学生証", "bank_book": "預金通帳",
    "issue_notice": "交付通知書",
}
PIN_JA = {"sign": "署名用電子証明書のパスワード(英数字6～16文字)",  # noqa: RUF001
          "auth": "利用者証明用電子証明書の暗証番号(数字4桁)",
          "resident": "住民基本台帳用の暗証番号(数字4桁)", "card_info": "券面事項入力補助用の暗証番号(数字4桁)"}
templates.env.globals.update(DOCUMENTS_JA=DOCUMENTS_JA, PIN_JA=PIN_JA)


def jdate(d: date | str | None) -> str:
    """A day as the window shows it: ISO and 和暦 (``2025-04-01(令和7年4月1日)``)."""
    if not d:
        return "-"
    day = date.fromisoformat(d[:10]) if isinstance(d, str) else d
    return f"{day.isoformat()}({wareki(day)})"


templates.env.globals.update(jdate=jdate)


def page(request: Request, name: str, desk: Desk | None = None, status: int = 200, **ctx: Any) -> HTMLResponse:
    ctx.setdefault("errors", {})
    ctx.setdefault("form_error", {})
    return templates.TemplateResponse(
        request, name, {"me": desk.p if desk else None, "now": desk.now if desk else None,
                        "csrf": desk.p.csrf_token if desk else "", **ctx}, status_code=status)


def ui_principal(request: Request) -> Principal:
    p = principal_for(state(request).office.store, request.cookies.get(SESSION_COOKIE, ""))
    if p is None:
        raise Unauthenticated()
    return p


def ui_desk(request: Request) -> Desk:
    return Desk(state(request), ui_principal(request), request)


#: Shown when a form comes back without being run: its page was older than the session or
#: its CSRF token (another login since, a page left open), or the session ended.
EXPIRED_JA = "画面の有効期限が切れました。もう一度入力してください。"
EXPIRED_LOGIN_JA = "ログインの有効期限が切れました。もう一度ログインしてください。"


class FormRejected(Exception):
    """A form refused before any step ran: the browser goes back (303) to ``location``."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


def form_page(path: str) -> str:
    """The page whose form posts to ``path`` (where a refused form goes back to)."""
    from mynacard.web.ui.flows import FLOWS

    if m := re.fullmatch(r"/residents/(\d{1,10})/(\w{1,30})", path):
        return f"/residents/{m[1]}/do/{m[2]}" if m[2] in FLOWS else f"/residents/{m[1]}"
    if path == "/logout":
        return "/"
    if path.startswith("/batch"):
        return "/batch"
    return path


def safe_next(url: str) -> str | None:
    """A page of this site to go to after the login (never another site: ``//host``, ``/\\host``)."""
    if re.fullmatch(r"/(?![/\\])[A-Za-z0-9/_.\-]{0,200}(\?[A-Za-z0-9_=&.\-]{0,200})?", url or ""):
        return url
    return None


async def form_post(request: Request) -> tuple[Desk, dict[str, str]]:
    """The desk and the form of a window POST, its session and CSRF token checked first.

    A form that cannot be run (no live session, a CSRF token not of this session) runs
    nothing: the browser goes back to its page with ``EXPIRED_JA`` and the form's non-secret
    values (``FormRejected``). After an expired session the values wait, sealed, for the same
    staff member's next login; a request with no session of ours keeps nothing."""
    from mynacard.web.ui import flash
    from mynacard.web.ui.prg import _kept

    form = await request.form()
    data = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    lists = {k: [v for v in form.getlist(k) if isinstance(v, str)] for k in form}
    back = form_page(request.url.path)
    store = state(request).office.store
    cookie = request.cookies.get(SESSION_COOKIE, "")
    p = principal_for(store, cookie)
    try:
        check_all([{k: v} for k, v in form.multi_items() if isinstance(v, str)])
        values, kept = _kept(data, lists)
    except ValidationError:
        values, kept = {}, {}  # nothing to keep; refused below once the token is checked
    kept_form = {"values": values, "lists": kept, "general": [EXPIRED_JA], "status": 200}
    if p is None:
        account = expired_account(store, cookie)
        if account is not None and back != "/":
            back = f"{back}?f={flash.put_for_account(request, account, kept_form)}"
        raise FormRejected(f"/login?expired=1&next={quote(back, safe='')}")
    desk = Desk(state(request), p, request)
    if not same(data.get("csrf", ""), p.csrf_token):
        desk.audit("csrf", request.url.path, "denied")
        if back == "/":
            raise FormRejected("/")
        raise FormRejected(f"{back}?f={flash.put(request, p, kept_form)}")
    check_all([{k: v} for k, v in form.multi_items() if isinstance(v, str)])
    data["_lists"] = ""  # marker
    request.state.form_lists = lists
    return desk, data


def error_page(request: Request, status: int, error: dict[str, Any]) -> Response:
    if status == 401:
        return RedirectResponse("/login", status_code=303)
    return templates.TemplateResponse(request, "error.html", {"error": error, "me": None, "csrf": ""},
                                      status_code=status)
