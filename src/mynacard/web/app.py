"""The FastAPI application of the office service: routers, error mapping, limits."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mynacard.errors import MynaError
from mynacard.services.context import Office
from mynacard.web.clock import Clock
from mynacard.web.pki.ocsp import watch
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


def _error_response(request: Request, status: int, error: dict[str, Any]) -> Response:
    if _is_ui(request):
        from mynacard.web.ui.render import error_page

        return error_page(request, status, error)
    return JSONResponse({"error": error}, status_code=status)


def create_app(
    office: Office, *, clock: Clock | None = None, max_body: int = 64 * 1024, secure_cookies: bool = False
) -> FastAPI:
    """The service over ``office`` (its base URL must be the one the certificates name)."""
    app = FastAPI(
        title="mynacard office service",
        version="0.1.0",
        description="JSON API of the municipal window, the hotline and J-LIS, with OCSP and CRLs "
        "(マイナンバーカード 窓口システム). Authenticate with POST /api/login and send "
        "`Authorization: Bearer <token>`.",
    )
    app.state.mynacard = ServiceState(
        office=office, clock=clock or Clock(), max_body=max_body, secure_cookies=secure_cookies
    )
    watch(office.store.sessions)

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

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        fields: dict[str, str] = {}
        for e in exc.errors():
            loc = [str(x) for x in e.get("loc", ()) if x not in ("body", "query", "path")]
            fields[".".join(loc) or "body"] = str(e.get("msg", "invalid"))  # never echo the input
        return _error_response(
            request,
            422,
            {"code": "invalid_input", "message": "Invalid input.", "message_ja": FIELD_JA, "fields": fields},
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
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return _error_response(
            request,
            500,
            {"code": "internal", "message": "Internal error.", "message_ja": "システムエラーが発生しました。"},
        )

    @app.middleware("http")
    async def headers(request: Request, call_next: Any) -> Response:
        resp: Response = await call_next(request)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        if isinstance(resp, HTMLResponse) or resp.media_type == "text/html":
            resp.headers.setdefault(
                "Content-Security-Policy",
                "default-src 'self'; style-src 'self'; form-action 'self'; frame-ancestors 'none'",
            )
            resp.headers.setdefault("Cache-Control", "no-store")
        return resp

    from mynacard.web import relying, tsa_http
    from mynacard.web.api import admin, cards, certs, documents, hotline, residents, session
    from mynacard.web.ocsp import router as pki_router
    from mynacard.web.ui import routes as ui

    for r in (
        session.router,
        residents.router,
        cards.router,
        certs.router,
        hotline.router,
        admin.router,
        documents.router,
        pki_router,
        relying.router,
        tsa_http.router,
    ):
        app.include_router(r)
    app.include_router(ui.router, include_in_schema=False)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.add_middleware(BodyLimit, limit=max_body)
    return app
