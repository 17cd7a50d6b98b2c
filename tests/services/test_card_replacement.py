"""A card replaced by the holder's next one: when and why it ended, as the register and the event
log keep it (R_CARD_6, R_CERT_7)."""

from __future__ import annotations

from mynacard.db import repositories as repo
from tests.services.conftest import at, issued_card, new_resident


def test_a_renewed_card_ends_when_the_new_one_is_handed_over_and_says_what_replaced_it_R_CARD_6(office):
    rid = new_resident(office)
    old = issued_card(office, rid)
    issued_card(office, rid, kind="renewal", applied="2034-04-01", made="2034-04-20", handed="2034-05-01T14:30")
    with office.work(at=at("2034-05-02"), actor="reader") as w:
        c = repo.card(w.session, old)
        assert (c.state, c.ended_at, c.end_reason) == ("reissued", at("2034-05-01T14:30"), "replaced by renewal")
        [event] = [e for e in repo.events(w.session, card_id=old) if e.action == "card_reissued"]
        assert event.details["reason"] == "replaced by renewal"
