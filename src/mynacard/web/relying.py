"""The relying-party API (署名検証者向けサービス): verification, status, linkage, the latest
attributes with the holder's consent, notifications; and the administrator's registration.

Relying parties authenticate with HTTP Basic (client ID and secret from ``mynacard rp
register``); every call is audited under the client ID, refusals included.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any

from cryptography import x509
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from mynacard import audit
from mynacard.db.relying import RelyingParty
from mynacard.errors import MynaError, ValidationError
from mynacard.relying import service as rp_service
from mynacard.services.context import Work
from mynacard.verify import Status, Verdict
from mynacard.verify.office import OfficeVerifier
from mynacard.web.deps.desk import Desk, api_desk
from mynacard.web.deps.roles import Role
from mynacard.web.state import ServiceState, state

router = APIRouter(prefix="/api", tags=["relying parties"])

B64_MAX = 64 * 1024 * 4 // 3 + 4


class SignatureIn(BaseModel):
    signature: str = Field(max_length=B64_MAX, description="The signature file (CMS, PDF or XML), base64")
    content: str | None = Field(None, max_length=B64_MAX, description="The signed document of a detached CMS, base64")


class CertificateIn(BaseModel):
    certificate: str = Field(max_length=8192, description="The certificate (DER, base64)")


class StatusIn(BaseModel):
    certificate: str | None = Field(None, max_length=8192, description="The certificate (DER, base64)")
    serial: str | None = Field(None, max_length=42, pattern="^[0-9a-fA-F]+$", description="Or its serial, hex")


class WebhookIn(BaseModel):
    url: str | None = Field(None, max_length=400)


class RegisterIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    webhook_url: str | None = Field(None, max_length=400)


def _b64(field: str, text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(field, f"{field} must be base64.", "base64 で送ってください。") from None


def _cert(text: str) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(_b64("certificate", text))
    except ValueError:
        raise ValidationError("certificate", "Not a DER certificate.", "電子証明書の形式が不正です。") from None


class Caller:
    """An authenticated relying party at the service's clock."""

    def __init__(self, st: ServiceState, rp: RelyingParty, request: Request) -> None:
        self.st, self.rp, self.now, self.request = st, rp, st.clock.now(), request
        self.client_id, self.rp_id = rp.client_id, rp.id

    @contextmanager
    def work(self, action: str, target: str = "") -> Iterator[Work]:
        """One unit of work; an error is audited as the RP's refusal, then answered."""
        try:
            with self.st.office.work(at=self.now, actor=self.client_id) as w:
                rp = w.session.get(RelyingParty, self.rp_id)
                assert rp is not None
                self.rp = rp
                yield w
        except MynaError as e:
            rp_service.audit_refusal(
                self.st.office, at=self.now, actor=self.client_id, action=action, target=target, reason=e.code
            )
            raise


def caller(request: Request, st: ServiceState = Depends(state)) -> Caller:  # noqa: B008
    h = request.headers.get("authorization", "")
    now = st.clock.now()
    client_id, secret = "", ""
    if h.lower().startswith("basic "):
        try:
            client_id, _, secret = base64.b64decode(h[6:].strip(), validate=True).decode().partition(":")
        except (binascii.Error, ValueError):
            client_id = ""
    rp = rp_service.authenticate(st.office, client_id, secret, at=now) if client_id else None
    if rp is None:
        rp_service.audit_refusal(
            st.office,
            at=now,
            actor=client_id or "anonymous",
            action="rp." + request.url.path.rsplit("/", 1)[-1],
            reason="no valid credentials",
        )
        raise rp_service.Unauthenticated(
            "Authenticate as a registered relying party (HTTP Basic: client ID and secret).",
            "登録された署名検証者の認証情報を送ってください。",
        )
    return Caller(st, rp, request)


C = Annotated[Caller, Depends(caller)]


def verifier(request: Request, st: ServiceState) -> OfficeVerifier:
    v = getattr(request.app.state, "mynacard_verifier", None)
    if v is None:
        v = OfficeVerifier(st.office, at=st.clock.now())
        request.app.state.mynacard_verifier = v
    assert isinstance(v, OfficeVerifier)
    return v


def _verdict(request: Request, st: ServiceState, body: SignatureIn, at: datetime) -> Verdict:
    try:
        data = base64.b64decode(body.signature, validate=True)
        content = base64.b64decode(body.content, validate=True) if body.content is not None else None
    except (binascii.Error, ValueError):
        return Verdict(Status.MALFORMED, "The signature or content is not base64.", validation_time=at)
    return verifier(request, st).verify(data, at=at, content=content)


@router.post("/rp/verify", summary="Verify a signature made with the card (CMS, PAdES, XAdES/XMLDSig)")
def verify(body: SignatureIn, c: C, request: Request) -> dict[str, Any]:
    verdict = _verdict(request, c.st, body, c.now)
    with c.work("rp.verify") as w:
        serial = verdict.certificate_serial
        rp_service.audit_ok(w, c.rp, "rp.verify", f"cert:{serial:x}" if serial else "", verdict=verdict.status.value)
    return verdict.to_dict()


@router.post("/rp/status", summary="Revocation status of a certificate (good / hold / revoked / expired)")
def status(body: StatusIn, c: C) -> dict[str, Any]:
    if (body.certificate is None) == (body.serial is None):
        raise ValidationError(
            "certificate",
            "Give the certificate or its serial, not both.",
            "電子証明書かシリアル番号を指定してください。",
        )
    target: x509.Certificate | int = _cert(body.certificate) if body.certificate else int(body.serial or "0", 16)
    with c.work("rp.status") as w:
        return rp_service.status(w, c.rp, target)


@router.post("/rp/linkage", summary="The other certificate of the same card, and the successors to the latest")
def linkage(body: CertificateIn, c: C) -> dict[str, Any]:
    cert = _cert(body.certificate)
    with c.work("rp.linkage", f"cert:{cert.serial_number:x}") as w:
        return rp_service.linkage(w, c.rp, cert)


@router.post("/rp/attributes", summary="The holder's latest basic four attributes (with the holder's consent)")
def attributes(body: CertificateIn, c: C) -> dict[str, Any]:
    cert = _cert(body.certificate)
    with c.work("rp.attributes", f"cert:{cert.serial_number:x}") as w:
        return rp_service.attributes(w, c.rp, cert)


@router.post(
    "/rp/consents",
    status_code=201,
    summary="Record a holder's consent: a CMS signed by the holder over "
    '{"relying_party": CLIENT_ID, "consent": "attributes"}',
)
def consent(body: SignatureIn, c: C, request: Request) -> dict[str, Any]:
    verdict = _verdict(request, c.st, body, c.now)
    with c.work("rp.consent") as w:
        if not verdict.valid or verdict.certificate_serial is None:
            raise rp_service.Refused(
                f"The consent's signature is not valid: {verdict.status.value}: {verdict.message}",
                "同意書の署名が有効ではありません。",
                verdict=verdict.status.value,
            )
        content = body.content and base64.b64decode(body.content)
        statement = content or _attached(body.signature)
        try:
            said = json.loads(statement)
        except (ValueError, TypeError):
            said = None
        if (
            not isinstance(said, dict)
            or said.get("relying_party") != c.rp.client_id
            or said.get("consent") != "attributes"
        ):
            raise rp_service.Refused(
                "The signed statement does not consent to this relying party.",
                "署名された同意書がこの署名検証者への同意ではありません。",
            )
        rp_service.give_consent(w, c.rp, verdict.certificate_serial, evidence=verdict.certificate_serial)
        rp_service.audit_ok(w, c.rp, "rp.consent", f"cert:{verdict.certificate_serial:x}")
        return {"consented": True, "at": w.at.isoformat()}


def _attached(signature_b64: str) -> bytes | None:
    from asn1crypto import cms

    try:
        ci = cms.ContentInfo.load(base64.b64decode(signature_b64))
        content = ci["content"]["encap_content_info"]["content"]
        return bytes(content.contents) if content.native is not None else None
    except (ValueError, TypeError, KeyError):
        return None


@router.get("/rp/notifications", summary="Status changes of the certificates this relying party asked about")
def notifications(
    c: C, after: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[dict[str, Any]]:
    with c.work("rp.notifications") as w:
        items = rp_service.notifications(w, c.rp, after=after, limit=limit)
        rp_service.audit_ok(w, c.rp, "rp.notifications", count=len(items))
        return items


@router.put("/rp/webhook", summary="Set the webhook that receives the notifications (null: none)")
def webhook(body: WebhookIn, c: C) -> dict[str, Any]:
    with c.work("rp.webhook") as w:
        secret = rp_service.set_webhook(w, c.rp, body.url)
        rp_service.audit_ok(w, c.rp, "rp.webhook", (body.url or "")[:100])
        return {"url": c.rp.webhook_url, "webhook_secret": secret}


# -- administration -------------------------------------------------------------------------


def _admin(desk: Desk, action: str, target: str = "") -> None:
    desk.action, desk.target = action, target
    if desk.p.role is not Role.ADMIN:
        raise desk.deny(f"The role {desk.p.role.value} may not do {action}.", "この操作を行う権限がありません。")


@router.post("/admin/relying-parties", status_code=201, summary="Register a relying party (its secret is shown once)")
def register(body: RegisterIn, desk: Annotated[Desk, Depends(api_desk)]) -> dict[str, Any]:
    _admin(desk, "admin.relying_parties", f"rp:{body.name[:80]}")
    with desk.office.work(at=desk.now, actor=desk.p.username) as w:
        reg = rp_service.register(w, body.name, webhook_url=body.webhook_url)
        audit.append_in(
            w.session,
            at=desk.now,
            actor=desk.p.username,
            role=desk.p.role.value,
            action="admin.relying_parties",
            target=f"rp:{reg.relying_party.client_id}",
        )
        out = {
            "client_id": reg.relying_party.client_id,
            "name": reg.relying_party.name,
            "secret": reg.secret,
            "webhook_url": reg.relying_party.webhook_url,
            "webhook_secret": reg.webhook_secret,
        }
    desk.action = ""
    return out


@router.get("/admin/relying-parties", summary="Registered relying parties")
def parties(desk: Annotated[Desk, Depends(api_desk)]) -> list[dict[str, Any]]:
    _admin(desk, "admin.relying_parties")
    with desk.office.work(at=desk.now, actor=desk.p.username) as w:
        out = [
            {
                "client_id": p.client_id,
                "name": p.name,
                "webhook_url": p.webhook_url,
                "active": p.active,
                "created_at": p.created_at.isoformat(),
            }
            for p in rp_service.parties(w)
        ]
    desk.action = ""
    return out
