"""The window's documents built from records that lack a detail (a hand-over or a receipt loaded
without who did it or which identity documents were shown), the loss report slip of a card whose
held certificates were revoked before the report, and the owner of a document whose record is
gone: the values kept at its first print answer (R_CARD_1, R_LOSS_2, R_CERT_6)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from mynacard.db.models import Application, IssuedDocument, Receipt
from mynacard.services import documents, loss
from mynacard.services.context import Office
from tests.services.conftest import at, issued_card, new_resident

PRINTED = at("2026-04-01")


def _printed(office: Office, kind: str, key: str) -> tuple[int, dict]:
    """Print the original; returns (the resident it is about, the values kept)."""
    with office.work(at=PRINTED, actor="clerk") as w:
        rid = documents.original(w, kind, key).resident_id
        doc = w.session.scalars(select(IssuedDocument).where(IssuedDocument.kind == kind,
                                                              IssuedDocument.key == key)).one()
        return rid, doc.data


def _receipt(office: Office, rid: int) -> str:
    """A receipt of an application that left no record of who took it (no card, no card_applied)."""
    with office.work(at=at("2025-04-01"), actor="loader") as w:
        w.session.add(Application(id="10000000000000000000001", resident_id=rid, kind="new", reason="",
                                  channel="window", received_on=date(2025, 4, 1)))
        w.session.add(Receipt(number="R2025-000042", application_id="10000000000000000000001", resident_id=rid,
                              issued_at=at("2025-04-01"), total=800,
                              lines=[{"item": "card", "item_ja": "個人番号カード交付手数料", "amount": 800}]))
    return "R2025-000042"


def test_a_hand_over_recorded_without_identity_documents_lists_none_R_CARD_1(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid, certificates="none", pins={"resident": "2345", "card_info": "3456"})
    with office.work(at=at("2025-05-11"), actor="loader") as w:  # as the bulk loader records a hand-over
        w.log("card_issued", resident_id=rid, card_id=card_id, signing=True)
    owner, data = _printed(office, "handover", card_id)
    assert (owner, data["identity_documents"], data["staff"]) == (rid, [], documents.STAFF_FALLBACK)


def test_a_receipt_of_an_application_without_its_record_is_signed_by_window_staff(office):
    rid = new_resident(office)
    owner, data = _printed(office, "receipt", _receipt(office, rid))
    assert (owner, data["staff"], data["total"]) == (rid, "窓口職員", 800)


def test_a_report_after_the_hotline_and_a_revocation_of_the_holds_did_not_suspend_the_card_R_LOSS_2(office):
    """The hotline suspended the card; its held certificates were then revoked (the card stays
    suspended): the report that follows suspended nothing."""
    rid = new_resident(office)
    card_id = issued_card(office, rid, certificates="auth", pins={"auth": "1234", "resident": "2345",
                                                                  "card_info": "3456"})
    with office.work(at=at("2025-08-01T03:00"), actor="hotline") as w:
        loss.hotline_suspend(w, name="能登 太郎", birth_date=date(1990, 6, 15))
    with office.work(at=at("2025-08-01T09:00"), actor="clerk") as w:
        assert loss.revoke_after_hold(w, card_id) == {"auth": "revoke"}
    with office.work(at=at("2025-08-02"), actor="clerk") as w:
        loss.report_loss(w, card_id)
        event_id = documents.loss_report_documents(w, card_id)["event_id"]
    _, data = _printed(office, "loss_report", str(event_id))
    assert (data["card_id"], data["suspended_now"]) == (card_id, False)


def test_a_printed_document_whose_record_is_gone_keeps_its_owner_and_reprints(office):
    rid = new_resident(office)
    number = _receipt(office, rid)
    _printed(office, "receipt", number)
    with office.work(at=PRINTED, actor="setup") as w:
        w.session.delete(w.session.scalars(select(Receipt).where(Receipt.number == number)).one())
    with office.work(at=PRINTED, actor="clerk") as w:
        assert documents.owner(w, "receipt", number) == rid  # the adapter's access check
        assert documents.reprint(w, "receipt", number).resident_id == rid
