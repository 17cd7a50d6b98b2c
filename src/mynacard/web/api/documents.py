"""PDFs: fee receipts, hand-over receipts, expiry notices (R_USE_3), PIN reset and loss report
slips, each as first printed and as a reprint (再発行, ``.../reprint.pdf``); the list of a
resident's documents. The values come from ``mynacard.services.documents``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response

from mynacard.services import documents as docs
from mynacard.web.api.schemas import CardId
from mynacard.web.deps.desk import Desk, api_desk

router = APIRouter(tags=["documents"])
D = Annotated[Desk, Depends(api_desk)]
Number = Annotated[str, Path(pattern=r"^R[0-9]{4}-[0-9]{6}$")]
Id = Annotated[int, Path(ge=1, le=2_147_483_647)]


def _pdf(desk: Desk, kind: str, key: str, *, reprint: bool) -> Response:
    with desk.act("document.read", f"{kind}:{key}{':reprint' if reprint else ''}") as w:
        desk.resident(w, docs.owner(w, kind, key))  # another municipality's document looks unknown
        printed = docs.reprint(w, kind, key) if reprint else docs.original(w, kind, key)
    return Response(printed.pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{printed.filename}"'})


@router.get("/documents/receipts/{number}.pdf", summary="Fee receipt (領収書)")
def receipt(number: Number, desk: D) -> Response:
    return _pdf(desk, "receipt", number, reprint=False)


@router.get("/documents/receipts/{number}/reprint.pdf", summary="Fee receipt, reprinted (領収書 再発行)")
def receipt_reprint(number: Number, desk: D) -> Response:
    return _pdf(desk, "receipt", number, reprint=True)


@router.get("/documents/issue/{card_id}.pdf", summary="Hand-over receipt (交付通知書兼受領書)")
def issue_receipt(card_id: CardId, desk: D) -> Response:
    return _pdf(desk, "handover", card_id, reprint=False)


@router.get("/documents/issue/{card_id}/reprint.pdf", summary="Hand-over receipt, reprinted (再発行)")
def issue_receipt_reprint(card_id: CardId, desk: D) -> Response:
    return _pdf(desk, "handover", card_id, reprint=True)


@router.get("/documents/pin-reset/{event_id}.pdf", summary="PIN reset slip (暗証番号再設定 受付票)")
def pin_reset_receipt(event_id: Id, desk: D) -> Response:
    return _pdf(desk, "pin_reset", str(event_id), reprint=False)


@router.get("/documents/pin-reset/{event_id}/reprint.pdf", summary="PIN reset slip, reprinted (再発行)")
def pin_reset_reprint(event_id: Id, desk: D) -> Response:
    return _pdf(desk, "pin_reset", str(event_id), reprint=True)


@router.get("/documents/loss-report/{event_id}.pdf", summary="Loss report slip (紛失届 受理票, R_LOSS_2)")
def loss_report(event_id: Id, desk: D) -> Response:
    return _pdf(desk, "loss_report", str(event_id), reprint=False)


@router.get("/documents/loss-report/{event_id}/reprint.pdf", summary="Loss report slip, reprinted (再発行)")
def loss_report_reprint(event_id: Id, desk: D) -> Response:
    return _pdf(desk, "loss_report", str(event_id), reprint=True)


@router.get("/documents/notices/{notice_id}.pdf", summary="Expiry notice (有効期限通知書, R_USE_3)")
def notice(notice_id: Id, desk: D) -> Response:
    return _pdf(desk, "notice", str(notice_id), reprint=False)


@router.get("/documents/notices/{notice_id}/reprint.pdf", summary="Expiry notice, reprinted (再発行)")
def notice_reprint(notice_id: Id, desk: D) -> Response:
    return _pdf(desk, "notice", str(notice_id), reprint=True)


@router.get("/api/residents/{resident_id}/documents", summary="The documents issued to a resident, with reprint links")
def listing(resident_id: Id, desk: D) -> list[dict[str, Any]]:
    with desk.act("document.read", f"resident:{resident_id}") as w:
        desk.resident(w, resident_id)
        return docs.listing(w, resident_id)
