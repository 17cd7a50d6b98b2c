"""What the PIN workflows tell the clerk and the holder, and what they leave in the event log and
the audit trail (R_PIN_5..7). Written against the mutants that lived in ``services/pins.py``."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from mynacard.audit.log import entries
from mynacard.db import repositories as repo
from mynacard.db.models import Event
from mynacard.errors import StateError, ValidationError, WrongPin
from mynacard.services import holder, lifecycle, loss, pins
from tests.services.conftest import at, issued_card, new_resident, pg_office

DOCS = ["drivers_license"]


def _events(office, card_id: str, action: str) -> list[Event]:
    with office.work(at=at("2026-02-01"), actor="reader") as w:
        found = [e for e in repo.events(w.session, card_id=card_id) if e.action == action]
        w.session.expunge_all()
        return found


def _pin_tries(office) -> list[tuple[str, str, str | None]]:
    """Every PIN try of the audit trail, oldest first: (target, outcome, which PIN)."""
    with office.work(at=at("2026-02-01"), actor="reader") as w:
        found = entries(w.session, action="card.pin_try", limit=1000)
        return [(e.target, e.outcome, e.details.get("pin")) for e in reversed(found)]


@pytest.fixture
def card(office):
    return issued_card(office, new_resident(office))


def test_an_unknown_pin_kind_is_refused_naming_the_four_kinds(office, card):
    with pytest.raises(ValidationError) as err, office.work(at=at("2026-01-01"), actor="clerk") as w:
        pins.reset(w, card, "email", "1234", identity_documents=DOCS)
    assert err.value.to_dict() == {
        "code": "invalid_input",
        "message": "PIN must be one of sign, auth, resident, card_info.",
        "message_ja": "暗証番号の種類が正しくありません。",
        "field": "pin",
    }


def test_a_window_reset_without_identity_proof_says_what_is_missing_R_PIN_5(office, card):
    with pytest.raises(ValidationError) as err, office.work(at=at("2026-01-01"), actor="clerk") as w:
        pins.reset(w, card, "auth", "5678", identity_documents=["student_id"])
    assert err.value.to_dict() == {
        "code": "invalid_input",
        "message": "Identity not verified: identity needs one photo ID, or two other documents (R_CARD_1).",
        "message_ja": "本人確認書類が不足しています。",
        "field": "identity_documents",
    }
    with office.work(at=at("2026-01-01"), actor="holder") as w:  # the old PIN still works
        holder.sign(w, card, "auth", b"x", pin="1234")


def test_a_suspended_card_can_have_its_pin_reset_at_the_window_R_PIN_5(office, card):
    with office.work(at=at("2026-01-01"), actor="clerk") as w:
        loss.report_loss(w, card)
    with office.work(at=at("2026-01-02"), actor="clerk") as w:
        done = pins.reset(w, card, "resident", "7777", identity_documents=DOCS)
    assert (done.card_id, done.pin, done.tries_left, done.was_locked) == (card, "resident", 3, False)


def test_a_returned_card_has_no_pin_to_reset_and_the_refusal_says_why(office, card):
    with office.work(at=at("2026-01-01"), actor="clerk") as w:
        lifecycle.return_card(w, card)
    with pytest.raises(StateError) as err, office.work(at=at("2026-01-02"), actor="clerk") as w:
        pins.reset(w, card, "auth", "5678", identity_documents=DOCS)
    assert err.value.message == f"Cannot reset a PIN: card {card} is returned (it must be issued or suspended)."
    assert err.value.message_ja == "暗証番号の再設定できません。カードの状態は「返納済み」です。"
    with pytest.raises(StateError) as err, office.work(at=at("2026-01-02"), actor="holder") as w:
        pins.self_reset(w, card, "sign", "NEWPW1", other_pin="1234")
    assert err.value.message == f"Cannot reset a PIN: card {card} is returned (it must be issued)."
    assert err.value.message_ja == "暗証番号の再設定できません。カードの状態は「返納済み」です。"


def test_the_reset_receipt_and_event_record_what_was_done_R_PIN_5(office, card):
    for _ in range(3):
        with pytest.raises(WrongPin), office.work(at=at("2026-01-01"), actor="holder") as w:
            holder.sign(w, card, "auth", b"login", pin="9999")
    with office.work(at=at("2026-01-05"), actor="clerk") as w:
        locked = pins.reset(w, card, "auth", "5678", identity_documents=["passport", "drivers_license"])
    with office.work(at=at("2026-01-06"), actor="clerk") as w:
        unlocked = pins.reset(w, card, "card_info", "4444", identity_documents=DOCS)
    assert (locked.card_id, locked.pin, locked.tries_left) == (card, "auth", 3)
    assert locked.was_locked is True and unlocked.was_locked is False
    events = _events(office, card, "pin_reset")
    assert [e.id for e in events] == [locked.event_id, unlocked.event_id]
    rid = events[0].resident_id
    assert rid is not None and all(e.card_id == card and e.resident_id == rid for e in events)
    assert events[0].details == {"pin": "auth", "was_locked": True, "documents": ["drivers_license", "passport"]}
    assert events[1].details == {"pin": "card_info", "was_locked": False, "documents": ["drivers_license"]}


def test_only_a_certificate_pin_can_be_reset_by_the_holder_R_PIN_5(office, card):
    with pytest.raises(ValidationError) as err, office.work(at=at("2026-01-01"), actor="holder") as w:
        pins.self_reset(w, card, "resident", "1111", other_pin="1234")
    assert err.value.to_dict() == {
        "code": "invalid_input",
        "message": "Only a certificate PIN can be reset without the window.",
        "message_ja": "窓口以外で再設定できるのは電子証明書の暗証番号のみです。",
        "field": "pin",
    }


def test_the_auth_pin_is_reset_by_proving_the_signing_password_R_PIN_5(office, card):
    with office.work(at=at("2026-01-01"), actor="holder") as w:
        assert pins.self_reset(w, card, "auth", "5678", other_pin="ABC123") == 3
    with office.work(at=at("2026-01-01"), actor="holder") as w:
        holder.sign(w, card, "auth", b"x", pin="5678")
    [event] = _events(office, card, "pin_self_reset")
    assert event.card_id == card and event.resident_id is not None
    assert event.details == {"pin": "auth"}
    assert _pin_tries(office)[-2] == (f"card:{card}", "ok", "sign")  # the proof, then the sign above


def test_a_refused_self_reset_keeps_the_spent_try_in_the_audit_trail_R_PIN_4(office, card):
    with pytest.raises(WrongPin), office.work(at=at("2026-01-01"), actor="holder") as w:
        pins.self_reset(w, card, "sign", "NEWPW1", other_pin="0000")
    assert _pin_tries(office) == [(f"card:{card}", "denied", "auth")]


def test_a_pin_change_is_logged_and_its_try_audited_R_PIN_6(office, card):
    with pytest.raises(WrongPin), office.work(at=at("2026-01-01"), actor="holder") as w:
        pins.change(w, card, "resident", "0000", "6666")
    with office.work(at=at("2026-01-01"), actor="holder") as w:
        pins.change(w, card, "resident", "2345", "6666")
    assert _pin_tries(office) == [(f"card:{card}", "denied", "resident"), (f"card:{card}", "ok", "resident")]
    [event] = _events(office, card, "pin_changed")
    assert event.card_id == card and event.resident_id is not None
    assert event.details == {"pin": "resident"}


@pytest.mark.postgres
def test_looking_at_the_tries_left_does_not_wait_for_a_pin_try_in_progress_R_PIN_7(pg_url):
    """A holder's screen shows the counters while a PIN try on the card is under way: the look
    takes no row lock, so it neither waits for the try nor makes the try wait (PostgreSQL)."""
    with pg_office(pg_url) as office:
        card_id = issued_card(office, new_resident(office))
        with office.store.engine.connect() as other, other.begin():  # a try in progress holds the card's row
            other.execute(text("SELECT id FROM cards WHERE id = :c FOR UPDATE"), {"c": card_id})
            with office.work(at=at("2026-01-01"), actor="holder") as w:
                w.session.execute(text("SET LOCAL lock_timeout = '3s'"))
                assert pins.tries_left(w, card_id) == {"sign": 5, "auth": 3, "resident": 3, "card_info": 3}
