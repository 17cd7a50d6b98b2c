"""PINs at the window and the holder's changes (R_PIN_4..7)."""

from __future__ import annotations

import pytest
from sqlalchemy import delete

from mynacard.chip.pins import FacePin, PinId
from mynacard.db import repositories as repo
from mynacard.db.models import ChipPin
from mynacard.errors import PinLocked, StateError, ValidationError, WrongPin
from mynacard.services import holder, loss, pins
from mynacard.services.pinstore import StorePins
from tests.services.conftest import NAKANOTO, at, issued_card, new_resident


def test_locked_auth_pin_is_unlocked_at_the_window_R_PIN_2_R_PIN_5(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    for left in (2, 1, 0):
        with pytest.raises(WrongPin) as err, office.work(at=at("2026-01-01"), actor="holder") as w:
            holder.sign(w, card_id, "auth", b"login", pin="9999")
        assert err.value.tries_left == left
    with pytest.raises(PinLocked) as err, office.work(at=at("2026-01-01"), actor="holder") as w:
        holder.sign(w, card_id, "auth", b"login", pin="1234")  # right PIN, but locked
    assert "window" in str(err.value)
    with office.work(at=at("2026-01-05"), actor="clerk") as w:
        assert pins.reset(w, card_id, "auth", "5678", identity_documents=["drivers_license"]).tries_left == 3
    with office.work(at=at("2026-01-05"), actor="holder") as w:
        assert len(holder.sign(w, card_id, "auth", b"login", pin="5678")) == 256


def test_tries_left_visible_without_spending_R_PIN_7(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2026-01-01"), actor="holder") as w:
        assert pins.tries_left(w, card_id) == {"sign": 5, "auth": 3, "resident": 3, "card_info": 3}
    with pytest.raises(WrongPin), office.work(at=at("2026-01-01"), actor="holder") as w:
        holder.sign(w, card_id, "auth", b"login", pin="9999")
    for _ in range(3):  # the holder sees the spent try, and looking spends none
        with office.work(at=at("2026-01-01"), actor="holder") as w:
            assert pins.tries_left(w, card_id) == {"sign": 5, "auth": 2, "resident": 3, "card_info": 3}


def test_signing_password_locks_after_5_and_resets_only_on_success_R_PIN_1_R_PIN_4(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    for _ in range(4):
        with pytest.raises(WrongPin), office.work(at=at("2026-01-01"), actor="holder") as w:
            holder.sign(w, card_id, "sign", b"doc", pin="WRONG1")
    with office.work(at=at("2030-01-01"), actor="holder") as w:  # years later: no reset by time
        assert pins.tries_left(w, card_id)["sign"] == 1
        holder.sign(w, card_id, "sign", b"doc", pin="abc123")  # lower case is upper-cased
        assert pins.tries_left(w, card_id)["sign"] == 5
    for left in (4, 3, 2, 1, 0):  # five consecutive errors lock it (R_PIN_1)
        with pytest.raises(WrongPin) as err, office.work(at=at("2030-01-02"), actor="holder") as w:
            holder.sign(w, card_id, "sign", b"doc", pin="WRONG1")
        assert err.value.tries_left == left
    with pytest.raises(PinLocked), office.work(at=at("2030-01-02"), actor="holder") as w:
        holder.sign(w, card_id, "sign", b"doc", pin="ABC123")  # the right password is refused now
    with office.work(at=at("2030-01-02"), actor="holder") as w:
        assert pins.tries_left(w, card_id)["sign"] == 0


def test_change_pin_after_current_one_R_PIN_6(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with office.work(at=at("2026-01-01"), actor="holder") as w:
        pins.change(w, card_id, "auth", "1234", "4321")
    with pytest.raises(ValidationError), office.work(at=at("2026-01-01"), actor="holder") as w:
        pins.change(w, card_id, "auth", "4321", "12345")
    with office.work(at=at("2026-01-01"), actor="holder") as w:
        holder.sign(w, card_id, "auth", b"x", pin="4321")


def test_self_reset_of_one_certificate_pin_requires_the_other_R_PIN_5(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with pytest.raises(WrongPin), office.work(at=at("2026-01-01"), actor="holder") as w:
        pins.self_reset(w, card_id, "sign", "NEWPW1", other_pin="0000")
    with office.work(at=at("2026-01-01"), actor="holder") as w:
        pins.self_reset(w, card_id, "sign", "NEWPW1", other_pin="1234")
        holder.sign(w, card_id, "sign", b"x", pin="NEWPW1")


def test_pin_reset_needs_identity_documents_R_PIN_5(office):
    rid = new_resident(office)
    card_id = issued_card(office, rid)
    with pytest.raises(ValidationError), office.work(at=at("2026-01-01"), actor="clerk") as w:
        pins.reset(w, card_id, "auth", "5678", identity_documents=[])


def test_the_pins_of_certificates_revoked_when_the_card_was_found_show_their_full_counters_R_PIN_7(office):
    """A municipality that reissues revokes the certificates of a found card and removes their
    keys: the two certificate PINs are unset, and an unset PIN shows its maximum."""
    card_id = issued_card(office, new_resident(office))
    with office.work(at=at("2026-01-01"), actor="admin") as w:
        repo.municipality(w.session, NAKANOTO).found_policy = "reissue"
    with pytest.raises(WrongPin), office.work(at=at("2026-01-02"), actor="holder") as w:
        holder.sign(w, card_id, "sign", b"doc", pin="WRONG1")
    with office.work(at=at("2026-01-03"), actor="clerk") as w:
        loss.report_loss(w, card_id)
    with office.work(at=at("2026-01-04"), actor="clerk") as w:
        loss.found(w, card_id)
    with office.work(at=at("2026-01-05"), actor="holder") as w:
        assert pins.tries_left(w, card_id) == {"sign": 5, "auth": 3, "resident": 3, "card_info": 3}


def test_a_pin_the_store_has_no_row_for_is_unset_with_its_full_counter_R_PIN_7(office):
    card_id = issued_card(office, new_resident(office))
    with office.work(at=at("2026-01-01"), actor="test") as w:
        w.session.execute(delete(ChipPin).where(ChipPin.card_id == card_id, ChipPin.pin.in_(["sign", "face_a"])))
    with office.work(at=at("2026-01-02"), actor="holder") as w:
        assert pins.tries_left(w, card_id) == {"sign": 5, "auth": 3, "resident": 3, "card_info": 3}
        store = StorePins(office, card_id, work=w)
        assert (store.tries_left(FacePin.A), store.tries_left(FacePin.B)) == (10, 10)
        assert not store.is_set(PinId.SIGN) and store.is_set(PinId.AUTH)
    with pytest.raises(StateError) as err, office.work(at=at("2026-01-02"), actor="holder") as w:
        StorePins(office, card_id, work=w).spend(PinId.SIGN)
    assert err.value.message == "The sign PIN has not been set."
