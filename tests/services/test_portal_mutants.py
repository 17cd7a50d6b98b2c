"""What the holder's portal lists, and in what order, when a card was made but never handed
over. Written against the mutants that lived in ``services/portal.py``."""

from __future__ import annotations

from datetime import date

from mynacard.services import cards, portal
from tests.services.conftest import at, issued_card, new_resident


def test_a_withdrawn_card_is_listed_by_the_day_it_was_made_not_today(office):
    rid = new_resident(office, when="2024-12-01")
    with office.work(at=at("2025-01-05"), actor="clerk") as w:
        withdrawn = cards.apply(w, rid, kind="new", channel="window").card.id
    with office.work(at=at("2025-01-20"), actor="j-lis") as w:
        cards.make(w, withdrawn)
    with office.work(at=at("2025-01-25"), actor="clerk") as w:
        cards.cancel(w, withdrawn, reason="withdrawn by the applicant")
    handed = issued_card(office, rid)  # made 2025-04-20, handed over 2025-05-10
    with office.work(at=at("2026-03-04"), actor="portal") as w:
        shown = portal.overview(w, rid)["cards"]
    assert [(c["id"], c["state"], c["issued_on"]) for c in shown] == [
        (handed, "issued", date(2025, 5, 10)),
        (withdrawn, "cancelled", None),
    ]
