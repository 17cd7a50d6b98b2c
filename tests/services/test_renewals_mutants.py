"""The renewals-due list's order when expiries are equal (R_CARD_6, R_CERT_3). Written against
the mutants that lived in ``services/renewals.py``."""

from __future__ import annotations

from datetime import date

from mynacard.services import cards
from mynacard.services.renewals import renewals_due
from tests.services.conftest import at, issued_card, new_resident


def test_cards_with_the_same_expiry_are_listed_by_card_id_every_time_R_CERT_3(office, monkeypatch):
    """Two residents born the same day, cards handed over the same day: all expiries are equal,
    so the list falls back on the card ID, not on the order the cards were made in."""
    ids = iter(["EEEEEEEEEEEE", "111111111111"])
    monkeypatch.setattr(cards, "new_card_id", lambda: next(ids))
    first = issued_card(office, new_resident(office, name="能登 太郎"))
    second = issued_card(office, new_resident(office, name="能登 次郎"))
    assert (first, second) == ("EEEEEEEEEEEE", "111111111111")
    with office.work(at=at("2029-03-16"), actor="clerk") as w:
        rows = renewals_due(w, municipality_code=None, until=date(2029, 3, 16))
    assert [(r.card_id, r.resident_name) for r in rows] == [(second, "能登 次郎"), (first, "能登 太郎")]
