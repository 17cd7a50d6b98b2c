"""Putting a card of the store in a reader: a card J-LIS has not made yet is refused with the reason,
a card kept in the first, plain form is sealed (its PINs moved into rows) on the first read, and
the reader reads the card's row without locking it, so it answers while the window works on the
card (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from mynacard.chip import KeySlot
from mynacard.db.models import Card, ChipPin
from mynacard.errors import StateError
from mynacard.services import cards
from mynacard.services.common import card as card_row
from mynacard.services.pinstore import SEALED_PREFIX
from mynacard.services.vcard import StoreCard, open_card
from tests.chipforms import as_first_form
from tests.services.conftest import MASTER_KEY, PINS, at, issued_card, new_resident, open_office, pg_office

JPKI_AID = bytes.fromhex("D392F000260100000001")
SELECT_JPKI = bytes.fromhex("00A4040C0A") + JPKI_AID
SELECT_AUTH_PIN = bytes.fromhex("00A4020C020018")
TRIES_LEFT = bytes.fromhex("0020008000")
NOW = at("2026-03-01")


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    off = open_office(tmp_path_factory.mktemp("vcard-reads") / "test.db")
    yield off
    off.store.dispose()


def _clock():
    return NOW


def _verify(pin: str) -> bytes:
    data = pin.encode("ascii")
    return bytes([0x00, 0x20, 0x00, 0x80, len(data)]) + data


def _stored(office, card_id: str) -> tuple[str, dict[str, int]]:
    with office.store.session() as s:
        rows = s.execute(select(ChipPin.pin, ChipPin.tries_left).where(ChipPin.card_id == card_id))
        return s.get(Card, card_id).chip_state, dict(rows.all())


def test_a_card_not_made_yet_cannot_be_put_in_a_reader_and_the_reason_is_given(office):
    rid = new_resident(office)
    with office.work(at=at("2026-02-01"), actor="clerk") as w:
        card_id = cards.apply(w, rid, channel="online").card.id
    with pytest.raises(StateError) as err:
        open_card(office, card_id, _clock)
    assert err.value.to_dict() == {
        "code": "wrong_state",
        "message": f"Card {card_id} has no chip yet: J-LIS has not made it.",
        "message_ja": "このカードはまだ作成されていません。",
        "card_id": card_id,
    }


def test_a_card_of_the_first_form_is_sealed_when_put_in_a_reader_and_keeps_its_pins(office):
    card_id = issued_card(office, new_resident(office))
    as_first_form(office, card_id, pins=PINS, tries={"auth": 2}, at=NOW, master_key=MASTER_KEY)
    sc = StoreCard(office, card_id, _clock)
    state, tries = _stored(office, card_id)
    assert state.startswith(SEALED_PREFIX)
    assert tries == {"sign": 5, "auth": 2, "resident": 3, "card_info": 3, "face_a": 10, "face_b": 7}
    assert sc.transmit(SELECT_JPKI) == b"\x90\x00"
    assert sc.transmit(SELECT_AUTH_PIN) == b"\x90\x00"
    assert sc.transmit(TRIES_LEFT) == b"\x63\xc2"
    assert sc.transmit(_verify(PINS["auth"])) == b"\x90\x00"
    assert _stored(office, card_id)[1]["auth"] == 3
    # the reader holds the sealed state it wrote: its own change goes over it
    sc.chip.clear_slot(KeySlot.SIGN)
    assert not StoreCard(office, card_id, _clock).chip.has_key(KeySlot.SIGN)


def test_a_card_in_a_reader_answers_while_the_window_holds_its_row(pg_url):
    with pg_office(pg_url) as office:
        card_id = issued_card(office, new_resident(office))
        sc = StoreCard(office, card_id, _clock)
        answers: list[bytes] = []
        reader = threading.Thread(target=lambda: answers.append(sc.transmit(SELECT_JPKI)))
        with office.work(at=NOW, actor="clerk") as w:
            card_row(w, card_id)  # the window's unit of work locks the card's row
            reader.start()
            reader.join(timeout=5)
            answered_while_held = not reader.is_alive()
        reader.join()
        assert answered_while_held
        assert answers == [b"\x90\x00"]
