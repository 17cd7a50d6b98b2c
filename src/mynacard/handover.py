"""What an application, a hand-over and a PIN reset give the resident: the documents and the result, built
once from the workflow's result for every adapter (CLI JSON, the API, the window's messages)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mynacard.db.models import Receipt
from mynacard.rules.events import CERT_KIND_JA, CertKind
from mynacard.services.cards import Applied, Issued
from mynacard.services.pins import PinReset


@dataclass(frozen=True)
class Document:
    title_ja: str
    path: str  # served by the web service under /documents


def applied_documents(res: Applied) -> list[Document]:
    """The fee receipt (領収書), when a fee was taken."""
    if res.receipt is None:
        return []
    return [Document("領収書(PDF)", f"/documents/receipts/{res.receipt.number}.pdf")]


def issued_documents(res: Issued) -> list[Document]:
    """The hand-over receipt (交付受領書), and the fee receipt when a certificate fee fell due."""
    docs = [Document("交付受領書(PDF)", f"/documents/issue/{res.card.id}.pdf")]
    if res.receipt is not None:
        docs.append(Document("領収書(PDF)", f"/documents/receipts/{res.receipt.number}.pdf"))
    return docs


def _documents(docs: list[Document]) -> list[dict[str, str]]:
    return [{"title_ja": d.title_ja, "path": d.path} for d in docs]


def receipt_out(receipt: Receipt | None) -> dict[str, Any] | None:
    """A receipt (領収書) for JSON: one line per fee (card, certificates, express), R_LOSS_4."""
    if receipt is None:
        return None
    return {"number": receipt.number, "lines": receipt.lines, "total": receipt.total,
            "pdf": f"/documents/receipts/{receipt.number}.pdf"}


def applied_dict(res: Applied) -> dict[str, Any]:
    """An application received, for JSON (the API and ``mynacard card apply --json``)."""
    return {
        "application_id": res.application.id,
        "card_id": res.card.id,
        "kind": res.application.kind,
        "reason": res.application.reason,
        "certificates": res.application.certificates,
        "fee": res.application.fee_total,
        "receipt": receipt_out(res.receipt),
        "event_id": res.event_id,
        "documents": _documents(applied_documents(res)),
    }


def applied_message_ja(res: Applied) -> str:
    msg = f"交付申請を受け付けました(申請書ID {res.application.id})。"
    if res.receipt is not None:
        return msg + f" 手数料 {res.receipt.total:,}円を領収しました(領収書番号 {res.receipt.number})。"
    return msg + " 手数料は無料です。"


def issued_extra(res: Issued) -> dict[str, Any]:
    """What a hand-over adds to the card's own fields, for JSON (the API and the CLI)."""
    return {
        "replaced_card_id": res.replaced_card_id,
        "issued_certificates": sorted(res.certificates),
        "receipt": receipt_out(res.receipt),
        "receipt_pdf": f"/documents/issue/{res.card.id}.pdf",
        "event_id": res.event_id,
        "documents": _documents(issued_documents(res)),
    }


def issued_message_ja(res: Issued) -> str:
    kinds = "・".join(CERT_KIND_JA[CertKind(k)] for k in res.certificates) or "なし"
    msg = f"カードを交付しました。発行した電子証明書: {kinds}。"
    if res.receipt is not None:
        msg += f" 電子証明書の発行手数料 {res.receipt.total:,}円を領収しました(領収書番号 {res.receipt.number})。"
    return msg


def links(docs: list[Document]) -> list[tuple[str, str]]:
    """Documents as the window's page links them."""
    return [(d.title_ja, d.path) for d in docs]


def pin_reset_documents(res: PinReset) -> list[Document]:
    """The PIN reset receipt (暗証番号再設定受付票), numbered by the reset's event."""
    return [Document("暗証番号再設定受付票(PDF)", f"/documents/pin-reset/{res.event_id}.pdf")]


def pin_reset_dict(res: PinReset) -> dict[str, Any]:
    """A PIN reset, for JSON (the API and ``mynacard pin reset --json``)."""
    return {
        "card_id": res.card_id,
        "pin": res.pin,
        "tries_left": res.tries_left,
        "receipt_pdf": f"/documents/pin-reset/{res.event_id}.pdf",
        "event_id": res.event_id,
        "documents": _documents(pin_reset_documents(res)),
    }
