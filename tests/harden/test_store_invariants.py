"""Invariants the store enforces whatever a workflow does: one current card per resident, one
card being made per resident, unique certificate serials, and no step of a card dated before
the step it follows. Each is refused with a clear error (ConflictError / StateError), and the
store is left as it was."""

from __future__ import annotations

import pytest

from mynacard.db import repositories as repo
from mynacard.db.models import Card, CardState
from mynacard.errors import ConflictError, StateError
from mynacard.services import loss
from tests.services.conftest import at, issued_card, new_resident


def test_a_second_current_card_is_refused_by_the_store(office):
    rid = new_resident(office, when="2025-03-01")
    card_id = issued_card(office, rid)
    with pytest.raises(ConflictError) as e, office.work(at=at("2025-06-01"), actor="bug") as w:
        # a workflow that forgot the rule: a second card in effect for the same resident
        w.session.add(Card(id="BADC0FFEE001", resident_id=rid, application_id="0" * 23,
                           state=CardState.ISSUED, notes=[]))
    assert "at most one card in effect" in e.value.message
    with office.work(at=at("2025-06-01"), actor="t") as w:
        assert [c.id for c in repo.cards_of(w.session, rid)] == [card_id]


def test_a_second_pending_card_is_refused_by_the_store(office):
    from mynacard.services import cards

    rid = new_resident(office, when="2025-03-01")
    with office.work(at=at("2025-04-01"), actor="clerk") as w:
        cards.apply(w, rid)
    with pytest.raises(ConflictError), office.work(at=at("2025-04-02"), actor="bug") as w:
        w.session.add(Card(id="BADC0FFEE002", resident_id=rid, application_id="0" * 23,
                           state=CardState.APPLIED, notes=[]))


def test_a_duplicate_serial_is_refused(office):
    rid = new_resident(office, when="2025-03-01")
    card_id = issued_card(office, rid)
    with office.work(at=at("2025-06-01"), actor="t") as w:
        cert = repo.certificates_of_card(w.session, card_id)[0]
        serial, der = cert.serial, cert.der
    from mynacard.db.models import Certificate

    with pytest.raises(ConflictError), office.work(at=at("2025-06-01"), actor="bug") as w:
        w.session.add(Certificate(serial=serial, kind="auth", card_id=card_id, resident_id=rid,
                                  municipality_code="174076", status="good", not_before=at("2025-06-01"),
                                  expires_on=at("2030-01-01").date(), der=der))


def test_concurrent_applications_make_one_pending_card(office):
    """Six applications for one resident at once: one card is being made, the others are refused."""
    import threading

    from mynacard.services import cards

    rid = new_resident(office, when="2025-03-01")
    barrier = threading.Barrier(6)
    outcomes: list[str] = []

    def go() -> None:
        barrier.wait()
        try:
            with office.work(at=at("2025-04-01"), actor="clerk") as w:
                cards.apply(w, rid)
            outcomes.append("ok")
        except StateError as e:
            outcomes.append(e.code)

    threads = [threading.Thread(target=go) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok"] + ["wrong_state"] * 5
    with office.work(at=at("2025-04-01"), actor="t") as w:
        assert len(repo.cards_of(w.session, rid)) == 1


def test_a_step_dated_before_the_cards_last_step_is_refused(office):
    rid = new_resident(office, when="2025-03-01")
    card_id = issued_card(office, rid)
    with pytest.raises(StateError) as e, office.work(at=at("2025-05-09"), actor="hotline") as w:
        loss.report_loss(w, card_id)
    assert "backwards" in e.value.message
