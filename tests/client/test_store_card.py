"""The card of the store as readers see it: every state change committed at once (R_PIN_4)."""

from __future__ import annotations

import pytest

from mynacard.chip import PinId
from mynacard.client import JpkiCard
from mynacard.errors import PinLocked, WrongPin
from mynacard.services import pins as pin_service
from mynacard.services.vcard import open_card
from tests.client.conftest import AT, PINS, clock, tries_in_store

SELECT_JPKI = bytes.fromhex("00A4040C0AD392F000260100000001")
SELECT_AUTH_PIN = bytes.fromhex("00A4020C020018")


def test_verify_spends_the_try_in_the_store_before_comparing_R_PIN_4(office, card_id, monkeypatch) -> None:
    """When the chip compares the PIN, another connection already sees the try spent
    (committed); a card pulled out right after the comparison keeps it spent."""
    from mynacard.chip import model
    from mynacard.services.pinstore import StorePins

    card = open_card(office, card_id, clock)
    card.transmit(SELECT_JPKI)
    card.transmit(SELECT_AUTH_PIN)
    seen = []
    compare = model.pin_matches

    def compare_then_pull(verifier, value, key):
        seen.append(tries_in_store(office, card_id)["auth"])
        compare(verifier, value, key)
        raise ConnectionError("card removed")

    monkeypatch.setattr(model, "pin_matches", compare_then_pull)
    answer = card.transmit(bytes.fromhex("0020008004") + PINS["auth"].encode())
    assert answer == bytes.fromhex("6F00")  # no 9000 without the reset being recorded
    assert seen == [2]
    monkeypatch.undo()
    assert StorePins(office, card_id, clock=clock).tries_left(PinId.AUTH) == 2  # the right PIN spent its try


def test_failed_commit_answers_6F00_and_compares_nothing_R_PIN_4(office, card_id, monkeypatch) -> None:
    from mynacard.chip import model
    from mynacard.services.pinstore import StorePins

    card = open_card(office, card_id, clock)
    card.transmit(SELECT_JPKI)
    card.transmit(SELECT_AUTH_PIN)
    spend = StorePins._spend_row
    compared = []

    def spend_then_lose_connection(self, s, pin):
        spend(self, s, pin)
        raise OSError("database is down")  # the transaction with the spent try rolls back

    monkeypatch.setattr(StorePins, "_spend_row", spend_then_lose_connection)
    monkeypatch.setattr(model, "pin_matches", lambda v, value, key: compared.append(1) or False)
    assert card.transmit(bytes.fromhex("0020008004") + b"0000") == bytes.fromhex("6F00")
    assert compared == []
    monkeypatch.undo()
    assert tries_in_store(office, card_id)["auth"] == 3


def test_counters_survive_a_restart_of_the_card_R_PIN_4(office, card_id) -> None:
    with pytest.raises(WrongPin):
        JpkiCard(open_card(office, card_id, clock)).verify(PinId.SIGN, "WRONG1")
    restarted = JpkiCard(open_card(office, card_id, clock))
    assert restarted.tries_left(PinId.SIGN) == 4


def test_window_reset_reaches_an_inserted_card_R_PIN_5(office, card_id) -> None:
    card = JpkiCard(open_card(office, card_id, clock))
    for left in (2, 1):
        with pytest.raises(WrongPin) as err:
            card.verify(PinId.AUTH, "0000")
        assert err.value.tries_left == left
    with pytest.raises(PinLocked):  # the third wrong PIN locks it (R_PIN_2)
        card.verify(PinId.AUTH, "0000")
    assert card.tries_left(PinId.AUTH) == 0
    with office.work(at=AT, actor="clerk") as w:
        pin_service.reset(w, card_id, "auth", "1357", identity_documents=["drivers_license"])
    assert card.tries_left(PinId.AUTH) == 3  # the same inserted card, reloaded from the row
    card.verify(PinId.AUTH, "1357")
