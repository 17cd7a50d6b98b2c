"""Expiry notices go out once for each expiry date: a card's later certificate gets a notice of its
own for its expiry, though one was mailed for the card's earlier certificates (R_USE_3)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from mynacard.db.models import ExpiryNotice
from mynacard.services import batch, certificates
from tests.services.conftest import at, issued_card, new_resident


def _notices(office) -> list[tuple[str, str, date, date]]:
    with office.store.session() as s:
        return sorted((n.subject, n.card_id, n.expires_on, n.sent_on) for n in s.scalars(select(ExpiryNotice)))


def test_a_later_certificate_of_the_card_gets_a_notice_for_its_own_expiry_R_USE_3(office):
    card_id = issued_card(office, new_resident(office))  # certificates to 2029-06-15, the card to 2034-06-15
    with office.work(at=at("2027-03-01"), actor="clerk") as w:  # a new authentication certificate
        certificates.revoke(w, card_id, "auth")
        new_expiry = certificates.add(w, card_id, "auth", pin="1234").certificate.expires_on
    assert date(2029, 6, 15) < new_expiry < date(2034, 6, 15)
    day = date(new_expiry.year, new_expiry.month - 2, 1)
    for today in ("2029-04-01", day.isoformat()):
        with office.work(at=at(today), actor="batch") as w:
            batch.daily(w)
    assert _notices(office) == [
        ("certificate", card_id, date(2029, 6, 15), date(2029, 4, 1)),
        ("certificate", card_id, new_expiry, day),
    ]
