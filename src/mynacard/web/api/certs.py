"""Certificates at the window: new, renew, revoke, release (R_CERT_3..6)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from mynacard.handover import receipt_out
from mynacard.results import cert_result_dict
from mynacard.services import certificates
from mynacard.web.api.schemas import CardId, CertIssueIn, CertKindP, CertRenewIn
from mynacard.web.deps.desk import Desk, api_desk
from mynacard.web.views import card_out

router = APIRouter(prefix="/api/cards/{card_id}/certificates", tags=["certificates"])
D = Annotated[Desk, Depends(api_desk)]


@router.post("/{kind}", status_code=201, summary="Issue a certificate (e.g. a new signing one after a move)")
def issue(card_id: CardId, kind: CertKindP, body: CertIssueIn, desk: D) -> dict[str, Any]:
    with desk.act("cert.manage") as w:
        c = desk.card(w, card_id)
        added = certificates.add(w, card_id, kind, pin=body.pin)
        return cert_result_dict("issue", added.certificate, card_out(w, c)) | {"receipt": receipt_out(added.receipt)}


@router.post("/{kind}/renew", summary="Renew from 3 months before expiry (R_CERT_3)")
def renew(card_id: CardId, kind: CertKindP, body: CertRenewIn, desk: D) -> dict[str, Any]:
    with desk.act("cert.manage") as w:
        c = desk.card(w, card_id)
        cert = certificates.renew(w, card_id, kind, pin=body.pin)
        return cert_result_dict("renew", cert, card_out(w, c))


@router.post("/{kind}/revoke", summary="Voluntary revocation, or of a held certificate (R_CERT_6)")
def revoke(card_id: CardId, kind: CertKindP, desk: D) -> dict[str, Any]:
    with desk.act("cert.manage") as w:
        c = desk.card(w, card_id)
        cert = certificates.revoke(w, card_id, kind)
        return cert_result_dict("revoke", cert, card_out(w, c))


@router.post("/{kind}/release", summary="Release the hold of one certificate (R_CERT_8)")
def release(card_id: CardId, kind: CertKindP, desk: D) -> dict[str, Any]:
    with desk.act("cert.manage") as w:
        c = desk.card(w, card_id)
        cert = certificates.release(w, card_id, kind)
        return cert_result_dict("release", cert, card_out(w, c))
