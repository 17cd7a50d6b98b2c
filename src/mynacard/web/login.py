"""The login provider over HTTP, at the paths of the Digital Agency's authentication-app API.

Discovery, the authorization endpoint (a page with a QR code and a link for the holder's
app), the token, userinfo and JWKS endpoints, and the signing-transaction API. The holder's
app (``mynacard client approve LINK``) reads the challenge and answers it at ``/approve``.
Refusals are recorded by the service; none of them grants a session.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Body, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from mynacard.errors import MynaError
from mynacard.rules.login import SCOPES, LoginError
from mynacard.services import login
from mynacard.services.context import Office
from mynacard.web.state import state

REALM = "/api/realms/main"
OIDC = f"{REALM}/protocol/openid-connect"
BROWSER_COOKIE = "myna_login_browser"

router = APIRouter(tags=["login"])


def _office(request: Request) -> tuple[Office, Any]:
    st = state(request)
    return st.office, st.clock.now()


def issuer(request: Request) -> str:
    return _office(request)[0].base_url.rstrip("/") + REALM


@router.get(f"{REALM}/.well-known/openid-configuration", summary="OpenID Connect discovery")
def discovery(request: Request) -> dict[str, Any]:
    iss = issuer(request)
    return {
        "issuer": iss,
        "authorization_endpoint": f"{iss}/protocol/openid-connect/auth",
        "token_endpoint": f"{iss}/protocol/openid-connect/token",
        "userinfo_endpoint": f"{iss}/protocol/openid-connect/userinfo",
        "jwks_uri": f"{iss}/protocol/openid-connect/certs",
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "client_credentials"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": list(SCOPES),
        "claims_supported": ["sub", "name", "address", "birthdate", "gender", "nonce", "auth_time", "acr"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["private_key_jwt", "client_secret_basic", "client_secret_post"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256", "PS256", "ES256"],
        "acr_values_supported": ["aal3"],
    }


@router.get(f"{OIDC}/certs", summary="The provider's public keys (JWKS)")
def certs(request: Request) -> dict[str, Any]:
    office, now = _office(request)
    with office.work(at=now, actor="login") as w:
        return login.jwks(w)


@router.get(f"{OIDC}/auth", response_class=HTMLResponse, summary="Authorization endpoint")
def authorize(request: Request) -> Response:
    office, now = _office(request)
    params = dict(request.query_params)
    try:
        with office.work(at=now, actor="login") as w:
            _, redirect_uri = login.check_redirect(w, params)
    except LoginError as e:  # never redirect to an unknown client or an unregistered URI
        return _page(request, "login_error.html", 400, message=e.message, message_ja=e.message_ja)
    try:
        with office.work(at=now, actor="login") as w:
            row, browser = login.start(w, params)
            info = login.challenge(w, row.id)
    except LoginError as e:
        return _back(
            redirect_uri, {"error": e.fields.get("error", "invalid_request"), "error_description": e.message}, params
        )
    link = f"{office.base_url.rstrip('/')}{REALM}/approve/{row.id}"
    resp = _page(
        request, "login_wait.html", 200, info=info, link=link, qr=_qr_svg(link), wait=f"{OIDC}/auth/wait/{row.id}"
    )
    resp.set_cookie(
        BROWSER_COOKIE, browser, httponly=True, samesite="lax", path=OIDC, secure=state(request).secure_cookies
    )
    return resp


@router.get(f"{OIDC}/auth/wait/{{request_id}}", response_class=HTMLResponse, include_in_schema=False)
def wait(request: Request, request_id: str) -> Response:
    """The browser waits here until the holder answers with the card, then goes back to the site."""
    office, now = _office(request)
    try:
        with office.work(at=now, actor="login") as w:
            row, code = login.finish(w, request_id, request.cookies.get(BROWSER_COOKIE))
            info = login.challenge(w, row.id)
    except MynaError as e:
        return _page(request, "login_error.html", 400, message=e.message, message_ja=e.message_ja)
    if code is not None:
        return _back(row.redirect_uri, {"code": code}, {"state": row.state})
    status = info["status"]
    if status in ("refused", "expired"):
        error = {
            "error": "access_denied",
            "error_description": f"The holder's answer was refused ({row.refusal or status}).",
        }
        return _back(row.redirect_uri, error, {"state": row.state})
    if status != "pending":
        return _page(
            request,
            "login_error.html",
            400,
            message="This login has already finished.",
            message_ja="このログインは終了しています。",
        )
    link = f"{office.base_url.rstrip('/')}{REALM}/approve/{row.id}"
    return _page(
        request, "login_wait.html", 200, info=info, link=link, qr=_qr_svg(link), wait=f"{OIDC}/auth/wait/{row.id}"
    )


@router.get(f"{REALM}/approve/{{request_id}}", summary="The holder's app reads what it is asked to approve")
def approval_request(request: Request, request_id: str) -> dict[str, Any]:
    office, now = _office(request)
    with office.work(at=now, actor="holder") as w:
        return login.challenge(w, request_id)


@router.post(f"{REALM}/approve/{{request_id}}", summary="The holder's app answers with the card's signatures")
def approval_answer(request: Request, request_id: str, answer: Annotated[dict[str, Any], Body()]) -> Response:
    office, now = _office(request)
    with office.work(at=now, actor="holder") as w:
        result = login.approve(w, request_id, answer)
        body = {"status": result.request.status, "refusal": result.refusal}
    if result.ok:
        return JSONResponse(body)
    ja = login.REFUSALS_JA.get(result.refusal or "", "ログインは拒否されました。")
    body["error"] = {"code": result.refusal, "message": result.detail, "message_ja": ja}
    return JSONResponse(body, status_code=403)


def _oauth_error(
    error: str, description: str, status: int = 400, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status, headers=headers)


def _basic(request: Request) -> tuple[str, str] | None:
    auth = request.headers.get("authorization", "")
    if not auth.lower().startswith("basic "):
        return None
    try:
        cid, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    from urllib.parse import unquote_plus

    return unquote_plus(cid), unquote_plus(secret)


@router.post(f"{OIDC}/token", summary="Token endpoint (authorization_code, client_credentials)")
async def token(request: Request) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    office, now = _office(request)
    token_url = issuer(request) + "/protocol/openid-connect/token"
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}

    def run() -> dict[str, Any]:
        with office.work(at=now, actor="login") as w:
            c = login.authenticate_client(w, form, _basic(request), token_url)
            grant = form.get("grant_type")
            if grant == "authorization_code":
                t = login.exchange_code(w, c, form, issuer(request))
            elif grant == "client_credentials":
                t = login.client_credentials(w, c)
            else:
                raise LoginError(
                    "unsupported_grant_type",
                    "grant_type",
                    "grant_type must be authorization_code or client_credentials.",
                )
        out: dict[str, Any] = {
            "access_token": t.access_token,
            "token_type": "Bearer",
            "expires_in": t.expires_in,
            "scope": t.scope,
        }
        if t.id_token:
            out["id_token"] = t.id_token
        return out

    from starlette.concurrency import run_in_threadpool

    try:
        return JSONResponse(await run_in_threadpool(run), headers=headers)
    except login.ClientAuthError as e:
        return _oauth_error("invalid_client", e.message, 401, {**headers, "WWW-Authenticate": 'Basic realm="token"'})
    except login.GrantError as e:
        return _oauth_error("invalid_grant", e.message, 400, headers)
    except LoginError as e:
        return _oauth_error(e.fields.get("error", "invalid_request"), e.message, 400, headers)


def _bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    return auth[7:].strip() if auth.lower().startswith("bearer ") else None


@router.get(f"{OIDC}/userinfo", summary="UserInfo endpoint")
@router.post(f"{OIDC}/userinfo", include_in_schema=False)
def userinfo(request: Request) -> Response:
    office, now = _office(request)
    try:
        with office.work(at=now, actor="login") as w:
            return JSONResponse(login.userinfo(w, _bearer(request)), headers={"Cache-Control": "no-store"})
    except login.TokenError as e:
        return _oauth_error("invalid_token", e.message, 401, {"WWW-Authenticate": 'Bearer error="invalid_token"'})


@router.post("/api/sign-transactions", status_code=201, summary="Start a signing transaction over a digest")
def start_transaction(request: Request, body: Annotated[dict[str, Any], Body()]) -> Response:
    office, now = _office(request)
    try:
        with office.work(at=now, actor="login") as w:
            tx = login.start_transaction(w, _bearer(request), body)
            out = {"sign_transaction_id": tx.id, "expires_at": tx.expires_at.isoformat()}
    except login.TokenError as e:
        return _oauth_error("invalid_token", e.message, 401, {"WWW-Authenticate": 'Bearer error="invalid_token"'})
    return JSONResponse(out, status_code=201)


@router.get("/api/sign-transactions/{tx_id}", summary="The signature of a signed transaction")
def transaction(request: Request, tx_id: str) -> Response:
    office, now = _office(request)
    try:
        with office.work(at=now, actor="login") as w:
            return JSONResponse(
                login.transaction_result(w, _bearer(request), tx_id), headers={"Cache-Control": "no-store"}
            )
    except login.TokenError as e:
        return _oauth_error("invalid_token", e.message, 401, {"WWW-Authenticate": 'Bearer error="invalid_token"'})


def _back(redirect_uri: str, params: dict[str, str], request_params: dict[str, str]) -> RedirectResponse:
    """Back to the relying party's redirect URI with the outcome and its ``state``."""
    out = dict(params)
    if request_params.get("state"):
        out["state"] = request_params["state"]
    sep = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(f"{redirect_uri}{sep}{urlencode(out)}", status_code=302)


def _page(request: Request, name: str, status: int, **ctx: Any) -> HTMLResponse:
    from mynacard.timeutil import JST
    from mynacard.web.ui.render import templates

    return templates.TemplateResponse(request, name, {"me": None, "now": None, "JST": JST, **ctx}, status_code=status)


def _qr_svg(link: str) -> str:
    """The link as an inline SVG QR code (segno), for a phone to scan."""
    import segno

    return str(segno.make(link, error="m").svg_inline(scale=4, dark="#000", light="#fff"))
