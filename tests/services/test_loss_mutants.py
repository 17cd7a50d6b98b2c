"""Finding a card, revoking after a hold, the hotline and signing: what is refused and why, what
the holder can still do, and what the event log and the audit trail keep (R_LOSS_1, R_LOSS_3,
R_CERT_2, R_CERT_6). Written against the mutants that lived in ``services/loss.py`` and
``services/holder.py``."""

from __future__ import annotations

from datetime import date

import pytest

from mynacard.audit.log import entries
from mynacard.db import repositories as repo
from mynacard.errors import NotFoundError, StateError, ValidationError, WrongPin
from mynacard.ids import IndividualNumber
from mynacard.services import holder, lifecycle, loss
from tests.services.conftest import at, issued_card, new_resident


def _events(office, card_id: str, action: str) -> list:
    with office.work(at=at("2027-01-01"), actor="reader") as w:
        found = [e for e in repo.events(w.session, card_id=card_id) if e.action == action]
        w.session.expunge_all()
        return found


@pytest.fixture
def card(office):
    return issued_card(office, new_resident(office))


def test_a_found_card_signs_again_with_its_released_certificates_R_LOSS_3(office, card):
    with office.work(at=at("2026-01-01"), actor="clerk") as w:
        loss.report_loss(w, card)
    with office.work(at=at("2026-01-02"), actor="clerk") as w:
        assert loss.found(w, card) == {"sign": "release", "auth": "release"}
    with office.work(at=at("2026-01-03"), actor="holder") as w:  # the keys are still on the chip
        assert len(holder.sign(w, card, "auth", b"login", pin="1234")) == 256
        assert len(holder.sign(w, card, "sign", b"doc", pin="ABC123")) == 256
    [event] = _events(office, card, "card_found")
    assert event.resident_id is not None
    assert event.details == {"certificates": {"sign": "release", "auth": "release"}, "policy": "release"}


def test_only_a_suspended_card_can_be_found_and_the_refusal_says_why_R_LOSS_3(office, card):
    with pytest.raises(StateError) as err, office.work(at=at("2026-01-02"), actor="clerk") as w:
        loss.found(w, card)
    assert err.value.message == f"Cannot lift the suspension: card {card} is issued (it must be suspended)."
    assert err.value.message_ja == "一時停止を解除できません。カードの状態は「交付済み(有効)」です。"


def test_revoking_after_a_hold_needs_a_suspended_card_with_a_held_certificate_R_CERT_6(office, card):
    with pytest.raises(StateError) as err, office.work(at=at("2026-01-02"), actor="clerk") as w:
        loss.revoke_after_hold(w, card)
    assert err.value.message == (
        f"Cannot revoke held certificates: card {card} is issued (it must be suspended)."
    )
    assert err.value.message_ja == "保留中の証明書を失効できません。カードの状態は「交付済み(有効)」です。"
    with office.work(at=at("2026-01-03"), actor="clerk") as w:
        loss.report_loss(w, card)
    with office.work(at=at("2026-01-04"), actor="clerk") as w:
        assert loss.revoke_after_hold(w, card) == {"sign": "revoke", "auth": "revoke"}
    with pytest.raises(StateError) as err, office.work(at=at("2026-01-05"), actor="clerk") as w:
        loss.revoke_after_hold(w, card)  # nothing is on hold any more
    assert (err.value.message, err.value.message_ja) == (
        "No certificate of this card is on hold.", "一時保留中の電子証明書はありません。"
    )


def test_the_hotline_records_that_the_holder_called_unless_told_otherwise_R_LOSS_1(office):
    card_id = issued_card(office, new_resident(office))
    with office.work(at=at("2026-01-01T03:00"), actor="hotline") as w:
        loss.hotline_suspend(w, name="能登 太郎", birth_date=date(1990, 6, 15))
    [event] = _events(office, card_id, "card_suspended")
    assert event.details["caller"] == "holder" and event.details["channel"] == "hotline"


def test_only_an_issued_card_signs_and_the_refusal_says_why_R_CERT_2(office, card):
    with office.work(at=at("2026-01-01"), actor="clerk") as w:
        lifecycle.return_card(w, card)
    with pytest.raises(StateError) as err, office.work(at=at("2026-01-02"), actor="holder") as w:
        holder.sign(w, card, "auth", b"login", pin="1234")
    assert err.value.message == f"Cannot sign: card {card} is returned (it must be issued)."
    assert err.value.message_ja == "署名できません。カードの状態は「返納済み」です。"


def test_each_signature_is_a_pin_try_in_the_audit_trail_R_CERT_2(office, card):
    with pytest.raises(WrongPin), office.work(at=at("2026-01-01"), actor="holder") as w:
        holder.sign(w, card, "sign", b"doc", pin="WRONG1")
    with office.work(at=at("2026-01-01"), actor="holder") as w:
        holder.sign(w, card, "auth", b"login", pin="1234")
    with office.work(at=at("2026-01-02"), actor="reader") as w:
        audited = reversed(entries(w.session, action="card.pin_try"))
        tries = [(e.target, e.outcome, e.details.get("pin")) for e in audited]
    assert tries == [(f"card:{card}", "denied", "sign"), (f"card:{card}", "ok", "auth")]


@pytest.mark.parametrize("field", ["name", "address", "caller"])
def test_the_hotline_refuses_a_control_character_naming_the_answer_it_was_in_R_LOSS_1(office, card, field):
    answers = {"name": "能登 太郎", "address": "石川県鹿島郡中能登町能登部下91部23番地", "caller": "holder"}
    answers[field] += "\x00"
    with pytest.raises(ValidationError) as err, office.work(at=at("2026-01-01T03:00"), actor="hotline") as w:
        loss.hotline_suspend(w, birth_date=date(1990, 6, 15), **answers)
    assert err.value.field == field
    with office.work(at=at("2026-01-01T03:00"), actor="reader") as w:
        assert repo.card(w.session, card).state == "issued"


def test_the_hotline_finds_the_caller_by_the_individual_number_R_LOSS_1(office, card):
    with office.work(at=at("2026-01-01T03:00"), actor="reader") as w:
        number = str(repo.number_of(repo.resident(w.session, repo.card(w.session, card).resident_id)))
    other = str(IndividualNumber.generate())
    with pytest.raises(NotFoundError), office.work(at=at("2026-01-01T03:00"), actor="hotline") as w:
        loss.hotline_suspend(w, name="能登 太郎", birth_date=date(1990, 6, 15), individual_number=other)
    with office.work(at=at("2026-01-01T03:00"), actor="hotline") as w:
        done = loss.hotline_suspend(w, name="能登 太郎", birth_date=date(1990, 6, 15), individual_number=number)
        assert done.card.id == card and done.card.state == "suspended"


def test_a_loss_report_is_for_a_loss_or_a_theft_and_the_refusal_says_so_R_LOSS_2(office, card):
    with pytest.raises(ValidationError) as err, office.work(at=at("2026-01-01"), actor="clerk") as w:
        loss.report_loss(w, card, kind="misplaced")
    assert err.value.to_dict() == {
        "code": "invalid_input",
        "message": "A loss report is for a 'loss' or a 'theft'.",
        "message_ja": "紛失または盗難を選んでください。",
        "field": "kind",
    }
    with office.work(at=at("2026-01-01"), actor="reader") as w:
        assert repo.card(w.session, card).state == "issued"


def test_only_an_issued_or_suspended_card_can_be_reported_lost_and_the_refusal_says_why_R_LOSS_2(office, card):
    with office.work(at=at("2026-01-01"), actor="clerk") as w:
        lifecycle.return_card(w, card)
    with pytest.raises(StateError) as err, office.work(at=at("2026-01-02"), actor="clerk") as w:
        loss.report_loss(w, card, kind="theft", police_report="第55号")
    assert err.value.message == (
        f"Cannot report a loss: card {card} is returned (it must be issued or suspended)."
    )
    assert err.value.message_ja == "紛失の届出できません。カードの状態は「返納済み」です。"


def test_a_loss_report_at_the_window_records_the_suspension_and_the_holds_it_made_R_LOSS_2(office, card):
    with office.work(at=at("2026-01-20T14:30"), actor="clerk") as w:
        loss.report_loss(w, card, kind="theft", police_report="第55号")
    with office.work(at=at("2026-01-21"), actor="reader") as w:
        c = repo.card(w.session, card)
        assert (c.state, c.suspended_at) == ("suspended", at("2026-01-20T14:30"))
        number = str(repo.number_of(repo.resident(w.session, c.resident_id)))
    [event] = _events(office, card, "loss_reported")
    assert event.resident_id is not None
    assert event.details == {"kind": "theft", "police_report": "第55号", "holds": {"sign": "hold", "auth": "hold"}}
    assert number not in str(event.details)  # no individual number in the event log


def test_a_loss_reported_after_the_hotline_call_keeps_its_suspension_and_holds_nothing_more_R_LOSS_2(office, card):
    with office.work(at=at("2026-01-18T03:00"), actor="hotline") as w:
        loss.hotline_suspend(w, name="能登 太郎", birth_date=date(1990, 6, 15))
    with office.work(at=at("2026-01-20"), actor="clerk") as w:
        loss.report_loss(w, card)
    with office.work(at=at("2026-01-21"), actor="reader") as w:
        assert repo.card(w.session, card).suspended_at == at("2026-01-18T03:00")
    [event] = _events(office, card, "loss_reported")
    assert event.details == {"kind": "loss", "police_report": "", "holds": {}}
