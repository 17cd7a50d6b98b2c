"""Receipts of fees, and the certificate fee of certificates issued after the application
(R_LOSS_4, R_CERT_10): what the application's receipts already cover decides what is due."""

from __future__ import annotations

from mynacard.db import repositories as repo
from mynacard.db.models import Application, Receipt, Resident
from mynacard.rules.fees import CARD_ITEM, CERTIFICATE_ITEM, Fee, FeeSchedule, certificate_added_fee
from mynacard.services.context import Work


def schedule_of(w: Work, r: Resident) -> FeeSchedule:
    m = repo.municipality(w.session, r.municipality_code)
    assert m is not None
    return FeeSchedule(card=m.card_fee, certificates=m.cert_fee)


def paid_items(w: Work, app: Application) -> set[str]:
    """The items (``CARD_ITEM``, ``CERTIFICATE_ITEM``, ...) paid for ``app`` so far."""
    return {line["item"] for rc in repo.receipts_of_application(w.session, app.id) for line in rc.lines}


def certificate_fee_paid(w: Work, app: Application) -> bool:
    return CERTIFICATE_ITEM in paid_items(w, app)


def certificate_fee_due(w: Work, r: Resident, app: Application) -> Fee:
    """What issuing a certificate now costs on the card of ``app`` (``certificate_added_fee``)."""
    paid = paid_items(w, app)
    return certificate_added_fee(
        card_fee_paid=CARD_ITEM in paid, certificate_fee_paid=CERTIFICATE_ITEM in paid, schedule=schedule_of(w, r)
    )


def receipt(w: Work, r: Resident, app: Application, fee: Fee) -> Receipt | None:
    """Record a receipt (領収書) for ``fee``, one line per item; none for a free step."""
    if not fee.total:
        return None
    w.serialize(f"receipts:{w.today.year}")  # one receipt number at a time
    rc = Receipt(
        number=repo.next_receipt_number(w.session, w.today.year),
        application_id=app.id,
        resident_id=r.id,
        issued_at=w.at,
        lines=[{"item": x.item, "item_ja": x.item_ja, "amount": x.amount} for x in fee.lines],
        total=fee.total,
    )
    w.session.add(rc)
    return rc
