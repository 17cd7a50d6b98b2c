"""Public revocation endpoints (R_CERT_8): OCSP (RFC 6960 appendix A: GET with the base64
request in the path, POST with the DER body), CRLs and delta CRLs at the URLs the certificates
name, and the CA certificates (caIssuers). No login: relying parties use them.

All of them answer from the publisher (``mynacard.services.revocation``): a current OCSP
response or CRL is a lookup, run in the thread pool, never on the event loop."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Annotated, Any
from urllib.parse import unquote

from cryptography.hazmat.primitives.serialization import Encoding
from fastapi import APIRouter, Depends, Path, Request, Response
from starlette.concurrency import run_in_threadpool

from mynacard.ca import malformed_request_response
from mynacard.errors import NotFoundError
from mynacard.services import pki, revocation
from mynacard.services.revocation import cache, crls
from mynacard.services.revocation import ocsp as ocsp_service
from mynacard.web.state import ServiceState, state

router = APIRouter(tags=["revocation"])
Kind = Annotated[str, Path(pattern=r"^(sign|auth)$", description="sign / auth")]
MAX_OCSP_REQUEST = 8 * 1024
OCSP_RESPONSE = "application/ocsp-response"
_CRL_NAME = re.compile(r"^(sign|auth)(-delta)?\.crl$")
_PART_NAME = re.compile(r"^([0-9]{6})(-delta)?\.crl$")
_CER_NAME = re.compile(r"^(sign|auth)(-ocsp)?\.cer$")


def _ocsp(st: ServiceState, kind: str, data: bytes) -> Response:
    der = revocation.answer(st.office, kind, data, at=st.clock.now())
    return Response(der, media_type=OCSP_RESPONSE, headers={"Cache-Control": "max-age=60"})


def _malformed() -> Response:
    return Response(malformed_request_response().public_bytes(Encoding.DER), media_type=OCSP_RESPONSE)


@router.get("/ocsp/{kind}/{request:path}", summary="OCSP (GET, base64 DER request in the path)",
            response_class=Response)
def ocsp_get(kind: Kind, request: str, st: Annotated[ServiceState, Depends(state)]) -> Response:
    text = unquote(request).strip()
    if len(text) > MAX_OCSP_REQUEST * 2:
        return _malformed()
    try:
        data = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_" if "-" in text or "_" in text else None,
                                validate=False)
    except (binascii.Error, ValueError):
        return _malformed()
    return _ocsp(st, kind, data)


@router.post("/ocsp/{kind}", summary="OCSP (POST, DER request body)", response_class=Response)
async def ocsp_post(kind: Kind, request: Request, st: Annotated[ServiceState, Depends(state)]) -> Response:
    body = await request.body()
    if not body or len(body) > MAX_OCSP_REQUEST:
        return _malformed()
    return await run_in_threadpool(_ocsp, st, kind, body)


@router.get("/crl/{name}", summary="Full or delta CRL of a CA: sign.crl, auth-delta.crl",
            response_class=Response)
def crl(name: Annotated[str, Path(max_length=20)], st: Annotated[ServiceState, Depends(state)]) -> Response:
    m = _CRL_NAME.fullmatch(name)
    if m is None:
        raise NotFoundError(f"No CRL {name}.", "失効情報ファイルが見つかりません。")
    return _crl(st, m.group(1), "", bool(m.group(2)))


@router.get("/crl/{kind}/{name}", summary="CRL partition of a municipality: sign/174076.crl (-delta)",
            response_class=Response)
def crl_partition(kind: Kind, name: Annotated[str, Path(max_length=20)],
                  st: Annotated[ServiceState, Depends(state)]) -> Response:
    m = _PART_NAME.fullmatch(name)
    if m is None:
        raise NotFoundError(f"No CRL {kind}/{name}.", "失効情報ファイルが見つかりません。")
    return _crl(st, kind, m.group(1), bool(m.group(2)))


def _crl(st: ServiceState, kind: str, scope: str, delta: bool) -> Response:
    der = crls.serve(st.office, kind, scope, delta, at=st.clock.now())
    return Response(der, media_type="application/pkix-crl", headers={"Cache-Control": "max-age=300"})


@router.get("/ca/{name}", summary="CA certificate (caIssuers): sign.cer, auth.cer; responders: sign-ocsp.cer",
            response_class=Response)
def ca_certificate(name: Annotated[str, Path(max_length=20)],
                   st: Annotated[ServiceState, Depends(state)]) -> Response:
    m = _CER_NAME.fullmatch(name)
    if m is None:
        raise NotFoundError(f"No certificate {name}.", "証明書が見つかりません。")
    with st.office.work(at=st.clock.now(), actor="ca") as w:
        if m.group(2):
            cert = revocation.responder(w, m.group(1)).certificate
        else:
            cert = pki.authority(w, m.group(1)).certificate
        der = cert.public_bytes(Encoding.DER)
    return Response(der, media_type="application/pkix-cert")


# --- the fast path ----------------------------------------------------------------------------

_SECURITY_HEADERS = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
                     (b"referrer-policy", b"same-origin")]


class RevocationFastPath:
    """OCSP (GET and POST) and CRL requests answered ahead of the framework's routing and
    middleware. An OCSP request seen before is answered on the event loop from this process's
    memory (or Redis, see ``mynacard.services.revocation.cache``); anything else costs the
    publisher's lookup, run in a worker thread. Any other request, and any the fast path does not
    recognise (a bad name: a 404 with its message), goes on to the application unchanged, whose
    routes above document and serve the same URLs."""

    def __init__(self, app: Any, service: Any = None) -> None:
        self.app = app
        self.service = service  # in front of the application (``front``) rather than inside it

    def _state(self, scope: Any) -> ServiceState:
        st: ServiceState = (self.service or scope["app"]).state.mynacard
        return st

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            path, method = scope["path"], scope["method"]
            if path.startswith("/ocsp/"):
                kind = ocsp_kind(method, path)
                if kind is not None:
                    if method == "POST":
                        await self._ocsp_post(scope, receive, send, kind)
                    else:
                        await self._answer(scope, send, kind, get_request_der(path[11:]))
                    return
            elif method == "GET" and path.startswith("/crl/"):
                found = crl_target(path[5:])
                if found is not None:
                    st = self._state(scope)
                    der = await run_in_threadpool(crls.serve, st.office, *found, at=st.clock.now())
                    await _send(send, der, b"application/pkix-crl", b"max-age=300")
                    return
        await self.app(scope, receive, send)

    async def _ocsp_post(self, scope: Any, receive: Any, send: Any, kind: str) -> None:
        body = b""
        more = True
        while more:
            msg = await receive()
            if msg["type"] != "http.request":
                return
            body += msg.get("body", b"")
            more = msg.get("more_body", False)
            if len(body) > MAX_OCSP_REQUEST:
                break
        await self._answer(scope, send, kind, body if len(body) <= MAX_OCSP_REQUEST else None)

    async def _answer(self, scope: Any, send: Any, kind: str, data: bytes | None) -> None:
        if not data:
            await _send(send, ocsp_service.MALFORMED, _OCSP_TYPE, b"max-age=60")
            return
        st = self._state(scope)
        at = st.clock.now()
        der = cache.answers(st.office.store).lookup(kind, data, at)
        if der is None:
            der = await run_in_threadpool(revocation.answer, st.office, kind, data, at=at)
        await _send(send, der, _OCSP_TYPE, b"max-age=60")


_OCSP_TYPE = OCSP_RESPONSE.encode()


def front(app: Any) -> RevocationFastPath:
    """``app`` (from ``create_app``) behind the fast path, as ``mynacard serve`` runs it: OCSP and
    CRL requests never enter the framework (its per-request machinery would cost more than the
    answer); everything else goes on to ``app`` unchanged."""
    return RevocationFastPath(app, service=app)


def ocsp_kind(method: str, path: str) -> str | None:
    """The CA (``sign`` / ``auth``) an OCSP request names: ``POST /ocsp/KIND`` with the DER body,
    or ``GET /ocsp/KIND/BASE64`` (RFC 6960 A.1); None for anything else."""
    kind = path[6:10]
    if path[:6] != "/ocsp/" or kind not in ("sign", "auth"):
        return None
    if method == "POST" and len(path) == 10:
        return kind
    if method == "GET" and path[10:11] == "/":
        return kind
    return None


def get_request_der(text: str) -> bytes | None:
    """The DER request of a GET path (RFC 6960 A.1: base64, URL-encoded), or None."""
    text = unquote(text).strip()
    if not text or len(text) > MAX_OCSP_REQUEST * 2:
        return None
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4),
                                altchars=b"-_" if "-" in text or "_" in text else None, validate=False)
    except (binascii.Error, ValueError):
        return None


def crl_target(name: str) -> tuple[str, str, bool] | None:
    m = _CRL_NAME.fullmatch(name)
    if m is not None:
        return m.group(1), "", bool(m.group(2))
    kind, _, rest = name.partition("/")
    m = _PART_NAME.fullmatch(rest)
    if kind in ("sign", "auth") and m is not None:
        return kind, m.group(1), bool(m.group(2))
    return None


async def _send(send: Any, body: bytes, media_type: bytes, cache: bytes) -> None:
    headers = [(b"content-type", media_type), (b"content-length", str(len(body)).encode()),
               (b"cache-control", cache), *_SECURITY_HEADERS]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
