"""The holder's portal over HTTP (マイナポータル相当): log in with the card, see one's own card,
certificates and the record of who read one's number (R_NUM_3)."""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from mynacard.rules.login import pkce_challenge
from mynacard.services import login, portal
from mynacard.web.login import OIDC, REALM, _page
from mynacard.web.state import state

router = APIRouter(prefix="/portal", include_in_schema=False)
TOKEN_COOKIE, FLOW_COOKIE = "portal_token", "portal_flow"


def _callback(request: Request) -> str:
    return state(request).office.base_url.rstrip("/") + "/portal/callback"


@router.get("", response_class=HTMLResponse)
def home(request: Request) -> Response:
    st = state(request)
    token = request.cookies.get(TOKEN_COOKIE)
    if token:
        try:
            with st.office.work(at=st.clock.now(), actor="holder") as w:
                data = portal.overview(w, portal.holder(w, token))
            return _page(request, "portal.html", 200, data=data)
        except login.TokenError:
            pass
    resp = _page(request, "portal.html", 200, data=None)
    resp.delete_cookie(TOKEN_COOKIE, path="/portal")
    return resp


@router.get("/login")
def start(request: Request) -> Response:
    st = state(request)
    with st.office.work(at=st.clock.now(), actor="portal") as w:
        portal.client(w, _callback(request))
    verifier, flow_state = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    challenge = pkce_challenge(verifier)
    params = {
        "response_type": "code",
        "client_id": portal.CLIENT_ID,
        "redirect_uri": _callback(request),
        "scope": "openid",
        "state": flow_state,
        "nonce": secrets.token_urlsafe(16),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    resp = RedirectResponse(f"{OIDC}/auth?{urlencode(params)}", 302)
    resp.set_cookie(
        FLOW_COOKIE, f"{flow_state}.{verifier}", httponly=True, samesite="lax", path="/portal", secure=st.secure_cookies
    )
    return resp


@router.get("/callback")
def callback(request: Request) -> Response:
    st = state(request)
    flow_state, _, verifier = request.cookies.get(FLOW_COOKIE, "").partition(".")
    q = request.query_params
    if not flow_state or not hmac.compare_digest(flow_state, q.get("state", "")):
        return _page(
            request,
            "login_error.html",
            400,
            message="The login did not start here (state).",
            message_ja="ログインをやり直してください。",
        )
    if "error" in q:
        return _page(
            request,
            "login_error.html",
            403,
            message=q.get("error_description", q["error"]),
            message_ja="マイナンバーカードでのログインは承認されませんでした。",
        )
    form = {"code": q.get("code", ""), "redirect_uri": _callback(request), "code_verifier": verifier}
    try:
        with st.office.work(at=st.clock.now(), actor="portal") as w:
            c = portal.client(w, _callback(request))
            tokens = login.exchange_code(w, c, form, st.office.base_url.rstrip("/") + REALM)
    except login.GrantError as e:
        return _page(request, "login_error.html", 400, message=e.message, message_ja="ログインをやり直してください。")
    resp = RedirectResponse("/portal", 302)
    resp.delete_cookie(FLOW_COOKIE, path="/portal")
    resp.set_cookie(
        TOKEN_COOKIE,
        tokens.access_token,
        httponly=True,
        samesite="lax",
        path="/portal",
        secure=st.secure_cookies,
        max_age=tokens.expires_in,
    )
    return resp


@router.post("/logout")
def logout(request: Request) -> Response:
    st = state(request)
    token = request.cookies.get(TOKEN_COOKIE)
    if token:
        with st.office.work(at=st.clock.now(), actor="holder") as w:
            portal.sign_out(w, token)
    resp = RedirectResponse("/portal", 303)
    resp.delete_cookie(TOKEN_COOKIE, path="/portal")
    return resp
