"""PDFs: fee receipts, hand-over receipts, PIN reset receipts, expiry notices (R_USE_3)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response
from sqlalchemy import select

from mynacard import pdf
from mynacard.db import repositories as repo
from mynacard.db.models import Event, ExpiryNotice, Receipt
from mynacard.errors import NotFoundError
from mynacard.rules.events import CERT_KIND_JA, CertKind
from mynacard.services.context import Work
from mynacard.web.api.schemas import CardId
from mynacard.web.deps.desk import Desk, api_desk
from mynacard.web.views import card_out

router = APIRouter(prefix="/documents", tags=["documents"])
D = Annotated[Desk, Depends(api_desk)]
PIN_JA = {"sign": "署名用電子証明書のパスワード", "auth": "利用者証明用電子証明書の暗証番号",
          "resident": "住民基本台帳用の暗証番号", "card_info": "券面事項入力補助用の暗証番号"}


def _pdf(data: bytes, name: str) -> Response:
    return Response(data, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


def _muni(w: Work, code: str) -> str:
    m = repo.municipality(w.session, code)
    return m.name if m else code


@router.get("/receipts/{number}.pdf", summary="Fee receipt (領収書)")
def receipt(number: Annotated[str, Path(pattern=r"^R[0-9]{4}-[0-9]{6}$")], desk: D) -> Response:
    with desk.act("document.read", f"receipt:{number}") as w:
        rc = w.session.scalars(select(Receipt).where(Receipt.number == number)).first()
        if rc is None:
            raise NotFoundError(f"No receipt {number}.", "領収書が見つかりません。")
        r = desk.resident(w, rc.resident_id)
        data = pdf.fee_receipt_pdf(number=rc.number, name=r.name, lines=rc.lines, total=rc.total,
                                   issued_at=rc.issued_at, municipality=_muni(w, r.municipality_code),
                                   application_id=rc.application_id)
    return _pdf(data, f"{number}.pdf")


@router.get("/issue/{card_id}.pdf", summary="Hand-over receipt (交付受領書)")
def issue_receipt(card_id: CardId, desk: D) -> Response:
    with desk.act("document.read") as w:
        c = desk.card(w, card_id)
        if c.issued_on is None:
            raise NotFoundError("The card has not been handed over.", "このカードはまだ交付されていません。")
        r = desk.resident(w, c.resident_id)
        view = card_out(w, c)
        data = pdf.issue_receipt_pdf(card_id=c.id, name=r.name, issued_on=c.issued_on, expires_on=c.expires_on,
                                     certificates=list(view["current"].values()),
                                     municipality=_muni(w, r.municipality_code), clerk=desk.p.username,
                                     printed_at=w.at, cert_expires_on=c.cert_expires_on)
    return _pdf(data, f"issue-{card_id}.pdf")


@router.get("/pin-reset/{event_id}.pdf", summary="PIN reset receipt (暗証番号再設定受付票)")
def pin_reset_receipt(event_id: Annotated[int, Path(ge=1, le=2_147_483_647)], desk: D) -> Response:
    with desk.act("document.read", f"event:{event_id}") as w:
        ev = w.session.get(Event, event_id)
        if ev is None or ev.action != "pin_reset" or ev.card_id is None:
            raise NotFoundError("No PIN reset with this number.", "暗証番号再設定の記録が見つかりません。")
        c = desk.card(w, ev.card_id)
        r = desk.resident(w, c.resident_id)
        data = pdf.pin_reset_receipt_pdf(card_id=c.id, name=r.name, pin_ja=PIN_JA.get(ev.details.get("pin"), "?"),
                                         at=ev.at, was_locked=bool(ev.details.get("was_locked")),
                                         municipality=_muni(w, r.municipality_code), clerk=ev.actor)
    return _pdf(data, f"pin-reset-{event_id}.pdf")


@router.get("/notices/{notice_id}.pdf", summary="Expiry notice (有効期限通知書, R_USE_3)")
def notice(notice_id: Annotated[int, Path(ge=1, le=2_147_483_647)], desk: D) -> Response:
    with desk.act("document.read", f"notice:{notice_id}") as w:
        n = w.session.get(ExpiryNotice, notice_id)
        if n is None:
            raise NotFoundError("No such expiry notice.", "有効期限通知書が見つかりません。")
        c = desk.card(w, n.card_id)
        r = desk.resident(w, c.resident_id)
        data = pdf.expiry_notice_pdf(name=r.name, address=r.address, subject=n.subject, expires_on=n.expires_on,
                                     sent_on=n.sent_on, application_id=n.application_id,
                                     municipality=_muni(w, r.municipality_code), printed_at=w.at,
                                     cert_expires_on=c.cert_expires_on)
    return _pdf(data, f"notice-{notice_id}.pdf")


__all__ = ["CERT_KIND_JA", "CertKind", "date", "router"]
