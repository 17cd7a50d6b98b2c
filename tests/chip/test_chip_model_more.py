"""The chip model: the master key's size, counters kept outside the chip state (as the store
keeps them), one state write for a block of changes, a current verifier kept as it is on a
correct entry (R_PIN_4), the card-face counters' full count, and the security code on the card
face (chip/model.py, counters.py, card_data.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from mynacard.chip import CardInfo, Chip, FacePin, PinId
from mynacard.chip.card_data import CardData, face_entries_ef
from mynacard.chip.card_os import VirtualCard
from mynacard.chip.counters import StateCounters
from mynacard.chip.state import ChipState
from mynacard.errors import WrongPin
from tests.chip.conftest import AUTH_PIN, CARD_INFO, MASTER_KEY, Recorder, send

FACE_AP = "D3921000310001010402"


# -- the master key ------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 16, 31, 33])
def test_a_chip_refuses_a_master_key_of_another_size_than_32_bytes(size: int) -> None:
    with pytest.raises(ValueError) as info:
        Chip(ChipState(card_id="card-0001"), master_key=bytes(size))
    assert str(info.value) == "The master key must be 32 bytes."


def test_a_blank_chip_refuses_a_short_master_key_too() -> None:
    with pytest.raises(ValueError) as info:
        Chip.blank("card-0001", master_key=b"short")
    assert str(info.value) == "The master key must be 32 bytes."


# -- counters kept elsewhere -----------------------------------------------------------------------


def test_a_chip_uses_the_pin_counters_it_is_given_R_PIN_4() -> None:
    """The store keeps the PIN objects in rows: a chip given such counters sets, counts and
    checks its PINs there, and its own state keeps none."""
    kept = ChipState(card_id="card-0001")
    changes: list[str] = []
    counters = StateCounters(lambda: kept, lambda: changes.append("counter"))
    chip = Chip(ChipState(card_id="card-0001"), master_key=MASTER_KEY, pins=counters)
    assert chip.pins is counters
    chip.set_pin(PinId.AUTH, AUTH_PIN)
    assert kept.pins[PinId.AUTH] is not None
    assert chip.state.pins[PinId.AUTH] is None
    assert chip.is_set(PinId.AUTH)
    with pytest.raises(WrongPin) as info:
        chip.verify_pin(PinId.AUTH, "0000")
    assert info.value.message == "Wrong auth PIN: 2 tries left."
    assert kept.pins[PinId.AUTH].tries_left == 2  # type: ignore[union-attr]
    assert chip.tries_left(PinId.AUTH) == 2
    chip.verify_pin(PinId.AUTH, AUTH_PIN)
    assert chip.tries_left(PinId.AUTH) == 3
    assert changes == ["counter"] * 4  # set, two tries spent, the counter reset


# -- deferred changes --------------------------------------------------------------------------


def test_changes_in_a_deferred_block_are_handed_over_once_at_its_end(chip: Chip, recorder: Recorder) -> None:
    with chip.changes_deferred():
        chip.write_card_info(replace(CARD_INFO, address="東京都港区芝公園4-2-8"))
        chip.set_pin(PinId.AUTH, "4321")
        chip.write_card_info(CARD_INFO)
        assert recorder.calls == 0
    assert recorder.calls == 1
    assert chip.tries_left(PinId.AUTH) == 3


def test_a_deferred_block_without_changes_hands_nothing_over(chip: Chip, recorder: Recorder) -> None:
    with chip.changes_deferred():
        assert chip.tries_left(PinId.AUTH) == 3
    assert recorder.calls == 0
    chip.set_pin(PinId.AUTH, "4321")
    assert recorder.calls == 1


def test_a_fresh_chip_hands_each_change_over_at_once() -> None:
    recorder = Recorder()
    chip = Chip.blank("card-0002", master_key=MASTER_KEY, on_change=recorder)
    chip.set_pin(PinId.AUTH, AUTH_PIN)
    assert recorder.calls == 1
    chip.set_pin(PinId.RESIDENT, "5678")
    assert recorder.calls == 2


# -- a current verifier is not rewritten -----------------------------------------------------------


def test_a_correct_entry_keeps_a_current_verifier_as_it_is_R_PIN_4(chip: Chip) -> None:
    before = chip.state.pins[PinId.AUTH]
    assert before is not None and not before.verifier.outdated
    verifier = before.verifier
    chip.verify_pin(PinId.AUTH, AUTH_PIN)
    after = chip.state.pins[PinId.AUTH]
    assert after is not None and after.verifier is verifier
    assert after.tries_left == 3


# -- the card-face counters ------------------------------------------------------------------------


@pytest.mark.parametrize("pin", list(FacePin))
def test_a_card_face_pin_without_a_counter_shows_its_full_count(pin: FacePin) -> None:
    """A chip state that holds no counter for PIN A or PIN B (built without them) shows the
    model's full count of 10, as an unset PIN shows its maximum (R_PIN_7)."""
    state = ChipState(card_id="card-0001", face_pin_tries={})
    counters = StateCounters(lambda: state, lambda: None)
    assert counters.tries_left(pin) == 10
    chip = Chip(state, master_key=MASTER_KEY)
    assert chip.face_tries_left(pin) == 10


def test_the_card_face_pin_query_answers_63ca_without_a_stored_counter() -> None:
    state = ChipState(card_id="card-0001", face_pin_tries={}, card_info=CARD_INFO)
    card = VirtualCard(Chip(state, master_key=MASTER_KEY))
    assert send(card, f"00A4040C0A{FACE_AP}") == (b"", 0x9000)
    assert send(card, "0020009300") == (b"", 0x63CA)  # PIN A, EF 0013
    assert send(card, "0020009200") == (b"", 0x63CA)  # PIN B, EF 0012


# -- the security code on the card face ------------------------------------------------------------


def test_card_data_keeps_every_field_of_the_card_info() -> None:
    assert CardData.of(CARD_INFO) == CardData(
        "123456789018", "番号 花子", "東京都千代田区千代田1-1", CARD_INFO.birth_date, "2", 2034, "4321"
    )


def test_the_card_face_shows_the_security_code_of_the_card() -> None:
    other: CardInfo = replace(CARD_INFO, security_code="8765")
    assert CardData.of(other).security_code == "8765"
    assert face_entries_ef(CardData.of(CARD_INFO)) != face_entries_ef(CardData.of(other))
    without = replace(CARD_INFO, security_code=None)
    assert face_entries_ef(CardData.of(CARD_INFO)) != face_entries_ef(CardData.of(without))
