"""The timestamp authority over HTTP (RFC 3161 section 3.4): POST a TimeStampReq with
Content-Type application/timestamp-query, get a TimeStampResp (application/timestamp-reply)."""

from __future__ import annotations

from typing import Annotated

from cryptography.hazmat.primitives.serialization import Encoding
from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse, Response

from mynacard.tsa import service as tsa_service
from mynacard.web.state import ServiceState, state

router = APIRouter(tags=["timestamp authority"])
QUERY = "application/timestamp-query"
REPLY = "application/timestamp-reply"


@router.post("/tsa", summary="RFC 3161 timestamp (DER TimeStampReq body)", response_class=Response)
async def timestamp(request: Request, st: Annotated[ServiceState, Depends(state)]) -> Response:
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != QUERY:
        return JSONResponse(
            {
                "error": {
                    "code": "unsupported_media_type",
                    "message": f"Send a TimeStampReq as {QUERY}.",
                    "message_ja": f"{QUERY} で送ってください。",
                }
            },
            status_code=415,
        )
    body = await request.body()
    return Response(tsa_service.respond(st.office, body, at=st.clock.now()), media_type=REPLY)


@router.get("/tsa/{name}", summary="The TSA's certificates: root.cer, tsa.cer", response_class=Response)
def certificate(name: Annotated[str, Path(max_length=20)], st: Annotated[ServiceState, Depends(state)]) -> Response:
    if name not in ("root.cer", "tsa.cer"):
        return JSONResponse(
            {"error": {"code": "http_404", "message": "Not found.", "message_ja": "ページが見つかりません。"}},
            status_code=404,
        )
    with st.office.work(at=st.clock.now(), actor="tsa") as w:  # a StateError is answered 409
        tsa = tsa_service.authority(w)
    cert = tsa.root if name == "root.cer" else tsa.certificate
    return Response(cert.public_bytes(Encoding.DER), media_type="application/pkix-cert")
