"""The convenience-store kiosk's screen (コンビニ交付): a 住民票の写し with the card (R_USE_2)."""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from mynacard.errors import MynaError
from mynacard.rules.login import pkce_challenge
from mynacard.services import kiosk, login
from mynacard.web.login import OIDC, REALM, _page
from mynacard.web.state import state

router = APIRouter(prefix="/kiosk", include_in_schema=False)
FLOW_COOKIE, DOC_COOKIE = "kiosk_flow", "kiosk_doc"


def _callback(request: Request) -> str:
    return state(request).office.base_url.rstrip("/") + "/kiosk/callback"


@router.get("", response_class=HTMLResponse)
def home(request: Request) -> Response:
    return _page(request, "kiosk.html", 200, issued=None, error=None)


@router.get("/start")
def start(request: Request) -> Response:
    st = state(request)
    with st.office.work(at=st.clock.now(), actor="kiosk") as w:
        kiosk.client(w, _callback(request))
    verifier, flow = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    params = {
        "response_type": "code",
        "client_id": kiosk.CLIENT_ID,
        "redirect_uri": _callback(request),
        "scope": "openid",
        "state": flow,
        "nonce": secrets.token_urlsafe(16),
        "code_challenge": pkce_challenge(verifier),
        "code_challenge_method": "S256",
    }
    resp = RedirectResponse(f"{OIDC}/auth?{urlencode(params)}", 302)
    resp.set_cookie(FLOW_COOKIE, f"{flow}.{verifier}", httponly=True, samesite="lax", path="/kiosk")
    return resp


@router.get("/callback", response_class=HTMLResponse)
def callback(request: Request) -> Response:
    st = state(request)
    flow, _, verifier = request.cookies.get(FLOW_COOKIE, "").partition(".")
    q = request.query_params
    if not flow or not hmac.compare_digest(flow, q.get("state", "")):
        return _page(request, "kiosk.html", 400, issued=None, error="最初からやり直してください。")
    if "error" in q:
        return _page(request, "kiosk.html", 403, issued=None, error="マイナンバーカードが確認できませんでした。")
    form = {"code": q.get("code", ""), "redirect_uri": _callback(request), "code_verifier": verifier}
    try:
        with st.office.work(at=st.clock.now(), actor="kiosk") as w:
            tokens = login.exchange_code(
                w, kiosk.client(w, _callback(request)), form, st.office.base_url.rstrip("/") + REALM
            )
        with st.office.work(at=st.clock.now(), actor="kiosk") as w:
            issued = kiosk.issue(w, tokens.access_token)
    except MynaError as e:
        resp = _page(request, "kiosk.html", e.http_status, issued=None, error=e.message_ja)
        resp.delete_cookie(FLOW_COOKIE, path="/kiosk")
        return resp
    resp = _page(request, "kiosk.html", 200, issued=issued, error=None)
    resp.delete_cookie(FLOW_COOKIE, path="/kiosk")
    resp.set_cookie(DOC_COOKIE, issued.download, httponly=True, samesite="strict", path="/kiosk", max_age=600)
    return resp


@router.get("/document/{number}")
def document(request: Request, number: str) -> Response:
    st = state(request)
    try:
        with st.office.work(at=st.clock.now(), actor="kiosk") as w:
            pdf = kiosk.document(w, number, request.cookies.get(DOC_COOKIE, "")).pdf
    except MynaError as e:
        return _page(request, "kiosk.html", 404, issued=None, error=e.message_ja)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="juminhyo-{number}.pdf"', "Cache-Control": "no-store"},
    )
