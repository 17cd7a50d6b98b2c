"""The end of a card's effect and the stay extension: what is refused and why, and what the card
and the event log keep (R_CARD_9, R_CARD_10, R_NUM_2). Written against the mutants that lived in
``services/lifecycle.py``."""

from __future__ import annotations

from datetime import date

import pytest

from mynacard.db import repositories as repo
from mynacard.errors import NotAllowedError, StateError, ValidationError
from mynacard.ids import IndividualNumber
from mynacard.services import lifecycle, loss
from tests.services.conftest import at, issued_card, new_resident

STAY_END = date(2027, 3, 31)


def _events(office, action: str, resident_id: int) -> list:
    with office.work(at=at("2031-01-01"), actor="reader") as w:
        found = [e for e in repo.events(w.session, resident_id=resident_id) if e.action == action]
        w.session.expunge_all()
        return found


def _ended(office, card_id: str) -> tuple[str, str | None]:
    with office.work(at=at("2031-01-01"), actor="reader") as w:
        c = repo.card(w.session, card_id)
        return c.state, c.end_reason


def test_a_suspended_card_can_be_returned_and_keeps_why_it_ended_R_CARD_10(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2026-01-01"), actor="clerk") as w:
        loss.report_loss(w, card_id)
    with office.work(at=at("2026-01-02"), actor="clerk") as w:
        lifecycle.return_card(w, card_id)
    assert _ended(office, card_id) == ("returned", "returned by the holder")
    [event] = _events(office, "card_returned", rid)
    assert event.card_id == card_id and event.details == {"reason": "returned by the holder"}


def test_a_returned_card_cannot_be_returned_again_and_the_refusal_says_why_R_CARD_10(office):
    card_id = issued_card(office, new_resident(office))
    with office.work(at=at("2026-01-01"), actor="clerk") as w:
        lifecycle.return_card(w, card_id)
    with pytest.raises(StateError) as err, office.work(at=at("2026-01-02"), actor="clerk") as w:
        lifecycle.return_card(w, card_id)
    assert err.value.message == (
        f"Cannot return the card: card {card_id} is returned (it must be issued or suspended)."
    )
    assert err.value.message_ja == "返納できません。カードの状態は「返納済み」です。"


def test_a_number_change_needs_a_reason_R_NUM_2(office):
    rid = new_resident(office)
    with pytest.raises(ValidationError) as err, office.work(at=at("2026-01-01"), actor="clerk") as w:
        lifecycle.change_number(w, rid, reason="  ")
    assert err.value.to_dict() == {
        "code": "invalid_input",
        "message": "State why the number is changed (leak and risk of misuse).",
        "message_ja": "番号変更の理由を入力してください。",
        "field": "reason",
    }


def test_the_number_the_office_chooses_is_the_residents_new_number_R_NUM_2(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    chosen = str(IndividualNumber.generate())
    with office.work(at=at("2026-01-01"), actor="clerk") as w:
        done = lifecycle.change_number(w, rid, reason="leaked", new_number=chosen)
        assert str(done.new_number) == chosen
        assert done.old_card is not None and done.old_card.id == card_id
        assert done.application.application.channel == "window"
        assert repo.has_number(repo.resident(w.session, rid), IndividualNumber(chosen))
    assert _ended(office, card_id) == ("lapsed", "number changed")
    [event] = _events(office, "number_changed", rid)
    assert event.details == {"reason": "leaked"}


def test_a_number_in_use_by_someone_else_is_refused_R_NUM_2(office):
    rid = new_resident(office)
    other = new_resident(office, name="能登 次郎")
    with office.work(at=at("2026-01-01"), actor="clerk") as w:
        taken = str(repo.number_of(repo.resident(w.session, other)))
    with pytest.raises(StateError) as err, office.work(at=at("2026-01-01"), actor="clerk") as w:
        lifecycle.change_number(w, rid, reason="leaked", new_number=taken)
    assert (err.value.message, err.value.message_ja) == (
        "The new number is already in use.", "新しい個人番号はすでに使われています。"
    )
    assert _events(office, "number_changed", rid) == []


def test_a_card_not_bound_to_a_stay_cannot_be_extended_R_CARD_9(office):
    rid = new_resident(office)
    with pytest.raises(NotAllowedError) as err, office.work(at=at("2026-01-01"), actor="clerk") as w:
        lifecycle.extend_for_stay(w, rid, new_period_of_stay_end=date(2030, 3, 31))
    assert (err.value.message, err.value.message_ja) == (
        "This resident's card is not bound to a period of stay.", "在留期間に連動するカードではありません。"
    )


def test_the_new_period_of_stay_must_end_later_not_on_the_same_day_R_CARD_9(office):
    rid = new_resident(office, nationality="VN", residence_status="technical_intern", period_of_stay_end=STAY_END)
    issued_card(office, rid)
    with pytest.raises(ValidationError) as err, office.work(at=at("2027-03-01"), actor="clerk") as w:
        lifecycle.extend_for_stay(w, rid, new_period_of_stay_end=STAY_END)
    assert err.value.to_dict() == {
        "code": "invalid_input",
        "message": "The new period of stay must end later than the old one.",
        "message_ja": "新しい在留期間の満了日は現在より後の日付にしてください。",
        "field": "new_period_of_stay_end",
    }


def test_an_extension_without_a_card_in_effect_is_refused_R_CARD_9(office):
    rid = new_resident(office, nationality="VN", residence_status="technical_intern", period_of_stay_end=STAY_END)
    with pytest.raises(StateError) as err, office.work(at=at("2027-03-01"), actor="clerk") as w:
        lifecycle.extend_for_stay(w, rid, new_period_of_stay_end=date(2030, 3, 31))
    assert (err.value.message, err.value.message_ja) == (
        "No card in effect to extend.", "延長する有効なカードがありません。"
    )


def test_the_extension_is_logged_with_the_expiry_before_and_after_R_CARD_9(office):
    rid = new_resident(office, nationality="VN", residence_status="technical_intern", period_of_stay_end=STAY_END)
    card_id = issued_card(office, rid)
    with office.work(at=at("2027-03-01"), actor="clerk") as w:
        lifecycle.extend_for_stay(w, rid, new_period_of_stay_end=date(2030, 3, 31))
    [event] = _events(office, "card_extended", rid)
    assert event.card_id == card_id
    assert event.details == {"before": "2027-03-31", "after": "2030-03-31"}
