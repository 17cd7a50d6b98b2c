"""Rendering pages: the Jinja2 environment, the session cookie, CSRF, error pages."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from mynacard.db.models import CARD_STATE_JA, CERT_STATUS_JA
from mynacard.present import DUE_JA, wareki
from mynacard.rules.events import CERT_KIND_JA
from mynacard.rules.fees import REASON_JA
from mynacard.rules.text import check_all
from mynacard.rules.wareki import HINT_JA
from mynacard.services.residents import NUMBER_PURPOSES
from mynacard.web.deps.auth import Principal, principal_for, same
from mynacard.web.deps.desk import SESSION_COOKIE, Desk
from mynacard.web.deps.roles import ROLE_JA
from mynacard.web.errors import CsrfError, Unauthenticated
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


async def posted(request: Request, desk: Desk) -> dict[str, str]:
    """The form of a POST, after its CSRF token (bound to the session) is checked."""
    form = await request.form()
    data = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    if not same(data.get("csrf", ""), desk.p.csrf_token):
        desk.audit("csrf", request.url.path, "denied")
        raise CsrfError()
    check_all([{k: v} for k, v in form.multi_items() if isinstance(v, str)])
    data["_lists"] = ""  # marker
    request.state.form_lists = {k: [v for v in form.getlist(k) if isinstance(v, str)] for k in form}
    return data


def error_page(request: Request, status: int, error: dict[str, Any]) -> Response:
    if status == 401:
        return RedirectResponse("/login", status_code=303)
    return templates.TemplateResponse(request, "error.html", {"error": error, "me": None, "csrf": ""},
                                      status_code=status)
