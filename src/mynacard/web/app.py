"""The FastAPI application of the office service: routers, error mapping, limits."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mynacard.errors import MynaError, ValidationError
from mynacard.rules.text import check_all
from mynacard.rules.wareki import HINT_JA
from mynacard.services.context import Office
from mynacard.web.clock import Clock
from mynacard.web.state import ServiceState

log = logging.getLogger("mynacard.web")
HERE = Path(__file__).parent

FIELD_JA = "入力内容を確認してください。"


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413, whether or not Content-Length is sent."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for k, v in scope.get("headers", []):
            if k == b"content-length":
                try:
                    too_big = int(v) > self.limit
                except ValueError:
                    too_big = True
                if too_big:
                    await _too_large(send)
                    return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.limit:
                    raise _BodyTooLarge()
            return msg

        try:
            await self.app(scope, limited, send)
        except _BodyTooLarge:
            await _too_large(send)


class _BodyTooLarge(Exception):
    pass


async def _too_large(send: Send) -> None:
    body = json.dumps(
        {
            "error": {
                "code": "too_large",
                "message": "Request body too large.",
                "message_ja": "送信データが大きすぎます。",
            }
        },
        ensure_ascii=False,
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _is_ui(request: Request) -> bool:
    p = request.url.path
    return not (
        p.startswith("/api")
        or p.startswith("/documents")
        or p.startswith("/ocsp")
        or p.startswith("/crl")
        or p.startswith("/ca/")
        or p.startswith("/tsa")
    )


CSP = "default-src 'self'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"


def _is_public(request: Request) -> bool:
    """The public revocation services and static files: cacheable, no personal data."""
    p = request.url.path
    return p.startswith(("/ocsp", "/crl", "/ca/", "/static/"))


def _error_response(request: Request, status: int, error: dict[str, Any]) -> Response:
    if _is_ui(request):
        from mynacard.web.ui.render import error_page

        return error_page(request, status, error)
    return JSONResponse({"error": error}, status_code=status)


def _audit_internal(request: Request) -> None:
    """A 500 is audited too: who was doing what, or the path when nobody was identified."""
    from mynacard import audit

    desk = getattr(request.state, "desk", None)
    try:
        if desk is not None:
            desk.audit(desk.action or "request", desk.target or request.url.path[:100], "error", code="internal")
            desk.action = ""
        else:
            st = request.app.state.mynacard
            audit.append(st.office.store, at=st.clock.now(), actor="-", role="-", action="request",
                         target=request.url.path[:100], outcome="error", code="internal")
    except Exception:  # the store itself may be what failed
        log.error("could not audit the internal error on %s", request.url.path)


def create_app(
    office: Office, *, clock: Clock | None = None, max_body: int = 64 * 1024, secure_cookies: bool = False
) -> FastAPI:
    """The service over ``office`` (its base URL must be the one the certificates name)."""
    app = FastAPI(
        title="mynacard office service",
        version="0.1.0",
        description="JSON API of the municipal window, the hotline and J-LIS, with OCSP and CRLs "
        "(マイナンバーカード 窓口システム). Authenticate with POST /api/login and send "
        "`Authorization: Bearer <token>`. Dates may be ISO (2026-11-28) or 和暦 (令和8年11月28日, R8.11.28).",
    )
    app.state.mynacard = ServiceState(
        office=office, clock=clock or Clock(), max_body=max_body, secure_cookies=secure_cookies
    )

    @app.exception_handler(MynaError)
    async def myna_error(request: Request, exc: MynaError) -> Response:
        desk = getattr(request.state, "desk", None)
        if desk is not None:
            desk.failed(exc)
        headers = {"Retry-After": str(exc.fields["retry_after"])} if "retry_after" in exc.fields else None
        resp = _error_response(request, exc.http_status, exc.to_dict())
        if headers:
            resp.headers.update(headers)
        return resp

    from mynacard.web.ui.render import FormRejected

    @app.exception_handler(FormRejected)
    async def form_rejected(request: Request, exc: FormRejected) -> Response:
        return RedirectResponse(exc.location, status_code=303)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        fields: dict[str, str] = {}
        dates: list[tuple[str, dict[str, Any]]] = []
        for e in exc.errors():
            loc = [str(x) for x in e.get("loc", ()) if x not in ("body", "query", "path")]
            name = ".".join(loc) or "body"
            fields[name] = str(e.get("msg", "invalid"))  # never echo the input
            if e.get("type") == "date_format":
                dates.append((name, e.get("ctx") or {}))
        message, message_ja = "Invalid input.", FIELD_JA
        if dates:  # a date in none of the accepted forms: say which field and how to write it
            message = " ".join(fields[name] for name, _ in dates)
            message_ja = "".join(f"{name} の日付が正しくありません({ctx.get('reason_ja') or '読み取れません'})。"
                                 for name, ctx in dates) + f"{HINT_JA} のように入力してください。"
        return _error_response(
            request,
            422,
            {"code": "invalid_input", "message": message, "message_ja": message_ja, "fields": fields},
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        ja = {404: "ページが見つかりません。", 405: "この操作はできません。"}.get(
            exc.status_code, "エラーが発生しました。"
        )
        return _error_response(
            request, exc.status_code, {"code": f"http_{exc.status_code}", "message": str(exc.detail), "message_ja": ja}
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        if isinstance(exc, DBAPIError):
            # The driver's message quotes values (PostgreSQL: "Key (individual_number)=(...)"):
            # log only what failed, never the message.
            orig = exc.orig
            log.error("database error on %s %s: %s (SQLSTATE %s)", request.method, request.url.path,
                      type(orig).__name__, getattr(orig, "sqlstate", None) or "?")
        else:
            log.exception("unexpected error on %s %s", request.method, request.url.path)
        _audit_internal(request)
        return _error_response(
            request,
            500,
            {"code": "internal", "message": "Internal error.", "message_ja": "システムエラーが発生しました。"},
        )

    @app.middleware("http")
    async def headers(request: Request, call_next: Any) -> Response:
        try:  # the query string of every page and endpoint: no control characters
            check_all([{k: v} for k, v in request.query_params.multi_items()])
        except ValidationError as e:
            resp = _error_response(request, 422, e.to_dict())
        else:
            resp = await call_next(request)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        # call_next gives a streaming wrapper, not the endpoint's response: look at the header
        if resp.headers.get("content-type", "").startswith("text/html"):
            resp.headers.setdefault("Content-Security-Policy", CSP)
        if not _is_public(request):  # pages and API answers carry personal data: never cache
            resp.headers["Cache-Control"] = "no-store"
            resp.headers.setdefault("Pragma", "no-cache")
        return resp

    from mynacard.web import relying, tsa_http
    from mynacard.web.api import admin, cards, certs, documents, hotline, renewals, residents, session
    from mynacard.web.kiosk import router as kiosk_router
    from mynacard.web.login import router as login_router
    from mynacard.web.ocsp import RevocationFastPath
    from mynacard.web.ocsp import router as pki_router
    from mynacard.web.portal import router as portal_router
    from mynacard.web.ui import routes as ui

    for r in (
        session.router,
        residents.router,
        cards.router,
        certs.router,
        hotline.router,
        renewals.router,
        admin.router,
        documents.router,
        pki_router,
        login_router,
        relying.router,
        tsa_http.router,
    ):
        app.include_router(r)
    app.include_router(portal_router)
    app.include_router(kiosk_router)
    app.include_router(ui.router, include_in_schema=False)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.add_middleware(BodyLimit, limit=max_body)
    app.add_middleware(RevocationFastPath)  # outermost: OCSP and CRLs skip the rest
    return app
