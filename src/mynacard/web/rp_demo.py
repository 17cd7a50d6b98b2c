"""A demo relying-party site (電子申請のサンプルサイト): logs in with the card through the provider
and asks the holder to sign a document, as a service integrating the authentication-app API
would. Its own small app, talking to the provider only over HTTP (discovery, token, userinfo,
signing transactions); sessions are kept in memory.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

DOCUMENT = "申請書: 転居に伴う手当の申請に同意します。"
COOKIE = "demo_site_session"


@dataclass
class Session:
    state: str = ""
    nonce: str = ""
    verifier: str = ""
    user: dict[str, Any] | None = None
    signature: dict[str, Any] | None = None
    error: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


def create_site(provider: str, client_id: str, client_secret: str, site_url: str) -> FastAPI:
    """The site at ``site_url``, a client ``client_id`` of the provider at ``provider``
    (its issuer URL, e.g. ``http://127.0.0.1:8000/api/realms/main``)."""
    app = FastAPI(title="mynacard demo relying party", docs_url=None, redoc_url=None, openapi_url=None)
    sessions: dict[str, Session] = {}
    redirect_uri = site_url.rstrip("/") + "/callback"
    config: dict[str, Any] = {}

    def discovery() -> dict[str, Any]:
        if not config:
            config.update(_get(provider.rstrip("/") + "/.well-known/openid-configuration"))
        return config

    def session(request: Request) -> tuple[str, Session]:
        sid = request.cookies.get(COOKIE) or ""
        if sid not in sessions:
            sid = secrets.token_urlsafe(16)
            sessions[sid] = Session()
        return sid, sessions[sid]

    def page(sid: str, body: str) -> HTMLResponse:
        resp = HTMLResponse(
            "<!doctype html><html lang='ja'><head><meta charset='utf-8'><title>サンプル電子申請</title></head>"
            f"<body><h1>サンプル電子申請サイト</h1>{body}</body></html>"
        )
        resp.set_cookie(COOKIE, sid, httponly=True, samesite="lax")
        return resp

    def authorize(s: Session, scope: str, **extra: str) -> RedirectResponse:
        s.state, s.nonce, s.verifier = secrets.token_urlsafe(16), secrets.token_urlsafe(16), secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(s.verifier.encode()).digest()).rstrip(b"=").decode()
        params = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": scope,
            "state": s.state,
            "nonce": s.nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            **extra,
        }
        return RedirectResponse(discovery()["authorization_endpoint"] + "?" + urllib.parse.urlencode(params), 302)

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request) -> Response:
        sid, s = session(request)
        parts = []
        if s.error:
            parts.append(f"<p id='error' class='error'>ログインできませんでした: {html.escape(s.error)}</p>")
        if s.user is None:
            parts.append("<p><a id='login' href='/login'>マイナンバーカードでログイン</a></p>")
            parts.append("<p><a id='login-attributes' href='/login?attributes=1'>基本4情報を提供してログイン</a></p>")
        else:
            rows = "".join(
                f"<li>{html.escape(k)}: <span id='user-{html.escape(k)}'>{html.escape(str(v))}</span></li>"
                for k, v in s.user.items()
            )
            parts.append(f"<p id='welcome'>ログインしました。</p><ul>{rows}</ul>")
            parts.append(
                f"<p>署名する書類: 「{html.escape(DOCUMENT)}」 <a id='sign' href='/sign'>カードで署名する</a></p>"
            )
        if s.signature:
            parts.append(
                "<p id='signed'>署名を受け取りました"
                f"(署名者の証明書シリアル {html.escape(s.signature['serial'])})。</p>"
            )
        return page(sid, "".join(parts))

    @app.get("/login")
    def start(request: Request, attributes: str | None = None) -> Response:
        sid, s = session(request)
        s.error = None
        resp = authorize(s, "openid name address birthdate gender" if attributes else "openid")
        resp.set_cookie(COOKIE, sid, httponly=True, samesite="lax")
        return resp

    @app.get("/sign")
    def sign(request: Request) -> Response:
        sid, s = session(request)
        cc = _post(discovery()["token_endpoint"], {"grant_type": "client_credentials"}, (client_id, client_secret))
        digest = base64.b64encode(hashlib.sha256(DOCUMENT.encode()).digest()).decode()
        tx = _post(
            provider.split("/api/realms/")[0] + "/api/sign-transactions",
            {"digest": digest},
            bearer=cc["access_token"],
        )
        s.extra["tx"] = tx["sign_transaction_id"]
        resp = authorize(s, "openid sign", sign_transaction_id=tx["sign_transaction_id"])
        resp.set_cookie(COOKIE, sid, httponly=True, samesite="lax")
        return resp

    @app.get("/callback")
    def callback(request: Request) -> Response:
        sid, s = session(request)
        q = request.query_params
        if q.get("state") != s.state or not s.state:
            s.error = "state が一致しません"
        elif "error" in q:
            s.error = q.get("error_description") or q["error"]
        else:
            form = {
                "grant_type": "authorization_code",
                "code": q.get("code", ""),
                "redirect_uri": redirect_uri,
                "code_verifier": s.verifier,
            }
            try:
                tokens = _post(discovery()["token_endpoint"], form, (client_id, client_secret))
                claims = _claims(tokens["id_token"], discovery(), client_id)
                if claims.get("nonce") != s.nonce:
                    raise ValueError("nonce mismatch")
                info = _get(discovery()["userinfo_endpoint"], bearer=tokens["access_token"])
                if "tx" in s.extra:
                    result = _get(
                        provider.split("/api/realms/")[0] + f"/api/sign-transactions/{s.extra.pop('tx')}",
                        bearer=tokens["access_token"],
                    )
                    from cryptography import x509

                    cert = x509.load_der_x509_certificate(base64.b64decode(result["certificate"]))
                    s.signature = {"serial": f"{cert.serial_number:X}", **result}
                else:
                    s.user = info
            except (urllib.error.URLError, ValueError, KeyError) as exc:
                s.error = str(exc)
        s.state = ""
        resp = RedirectResponse("/", 302)
        resp.set_cookie(COOKIE, sid, httponly=True, samesite="lax")
        return resp

    return app


def _claims(id_token: str, config: dict[str, Any], client_id: str) -> dict[str, Any]:
    """The ID token's claims, its signature checked against the provider's JWKS, its issuer and
    audience checked. Its times are the provider's (which may run at a simulated date), so they
    are not compared with this site's clock."""
    import jwt

    keys = jwt.PyJWKSet.from_dict(_get(config["jwks_uri"]))
    kid = jwt.get_unverified_header(id_token).get("kid")
    key = next((k for k in keys.keys if k.key_id == kid), None)
    if key is None:
        raise ValueError("the ID token's key is not in the provider's JWKS")
    out: dict[str, Any] = jwt.decode(
        id_token,
        key.key,
        algorithms=["RS256"],
        audience=client_id,
        issuer=config["issuer"],
        options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
    )
    return out


def _get(url: str, *, bearer: str | None = None) -> dict[str, Any]:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {bearer}"} if bearer else {})
    with urllib.request.urlopen(req, timeout=10) as resp:
        out: dict[str, Any] = json.loads(resp.read())
        return out


def _post(
    url: str, body: dict[str, Any], basic: tuple[str, str] | None = None, *, bearer: str | None = None
) -> dict[str, Any]:
    headers = {}
    if basic:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{basic[0]}:{basic[1]}".encode()).decode()
        data = urllib.parse.urlencode(body).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    else:
        headers["Authorization"] = f"Bearer {bearer}"
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            out: dict[str, Any] = json.loads(resp.read())
            return out
    except urllib.error.HTTPError as exc:
        raise ValueError(f"{url}: {exc.code} {exc.read()[:200]!r}") from None
