"""The client's PIN handling: tries shown first, form checked first, never retried."""

from __future__ import annotations

import pytest

from mynacard.chip import PinId
from mynacard.chip.apdu import SW
from mynacard.errors import PinLocked, ValidationError, WrongPin
from tests.client.conftest import PINS, tries_in_store

FULL = {"sign": 5, "auth": 3, "resident": 3, "card_info": 3}


def test_tries_left_of_all_four_pins_spend_nothing_R_PIN_7(card, office, card_id) -> None:
    first = {p.value: n for p, n in card.all_tries_left().items()}
    again = {p.value: n for p, n in card.all_tries_left().items()}
    assert first == again == FULL
    assert tries_in_store(office, card_id) == FULL


@pytest.mark.parametrize(
    ("pin", "bad"),
    [(PinId.SIGN, "abc"), (PinId.SIGN, "ABCDEF"), (PinId.AUTH, "12345"), (PinId.CARD_INFO, "12a4")],
)
def test_wrong_form_is_refused_before_the_card_R_PIN_1_R_PIN_2(card, office, card_id, pin, bad) -> None:
    sent_before = len(card.apdu.log)
    with pytest.raises(ValidationError):
        card.verify(pin, bad)
    assert len(card.apdu.log) == sent_before  # nothing reached the card
    assert tries_in_store(office, card_id) == FULL


def test_wrong_pin_counts_down_in_the_store_then_locks_R_PIN_2_R_PIN_4(card, office, card_id) -> None:
    with pytest.raises(WrongPin) as e1:
        card.verify(PinId.AUTH, "0000")
    assert e1.value.fields["tries_left"] == 2
    assert tries_in_store(office, card_id)["auth"] == 2  # spent in the store, seen by a new session
    with pytest.raises(WrongPin):
        card.verify(PinId.AUTH, "0000")
    with pytest.raises(PinLocked) as locked:
        card.verify(PinId.AUTH, "0000")
    assert "window" in locked.value.message and "窓口" in locked.value.message_ja
    # Locked: even the right PIN is refused (69 84) and the status query says 63 C0, as real
    # cards answer (R_CHIP_3 says 6983; see CardOS.verify).
    with pytest.raises(PinLocked):
        card.verify(PinId.AUTH, PINS["auth"])
    assert card.apdu.log[-1][1][-2:] == SW.PIN_BLOCKED.to_bytes(2, "big") == b"\x69\x84"
    assert card.tries_left(PinId.AUTH) == 0
    assert card.apdu.log[-1][1][-2:] == b"\x63\xc0"
    assert tries_in_store(office, card_id) == {**FULL, "auth": 0}


def test_one_verify_per_request_no_automatic_retry_R_PIN_4(card) -> None:
    with pytest.raises(WrongPin):
        card.verify(PinId.SIGN, "WRONG1")
    verifies = [c for c, _ in card.apdu.log if c[1] == 0x20 and len(c) > 5]
    assert len(verifies) == 1


def test_correct_pin_resets_the_counter_R_PIN_4(card, office, card_id) -> None:
    with pytest.raises(WrongPin):
        card.verify(PinId.SIGN, "WRONG1")
    card.verify(PinId.SIGN, PINS["sign"].lower())  # upper-cased by the client (R_PIN_1)
    assert tries_in_store(office, card_id)["sign"] == 5


def test_change_pin_after_the_current_one_R_PIN_6(card, office, card_id) -> None:
    card.change_pin(PinId.AUTH, PINS["auth"], "9876")
    with pytest.raises(WrongPin):
        card.verify(PinId.AUTH, PINS["auth"])
    card.verify(PinId.AUTH, "9876")
    card.change_pin(PinId.SIGN, PINS["sign"], "newpass7")
    card.verify(PinId.SIGN, "NEWPASS7")


def test_change_pin_with_a_new_pin_of_the_wrong_form_spends_nothing_R_PIN_6(card, office, card_id) -> None:
    with pytest.raises(ValidationError):
        card.change_pin(PinId.AUTH, "0000", "12")
    assert tries_in_store(office, card_id) == FULL


def test_resident_and_card_info_pins_are_separate_counters_R_PIN_3(card, office, card_id) -> None:
    with pytest.raises(WrongPin):
        card.verify(PinId.RESIDENT, "0000")
    assert tries_in_store(office, card_id) == {**FULL, "resident": 2}
