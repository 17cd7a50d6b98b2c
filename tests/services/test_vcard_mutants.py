"""A card of the store in a reader writes each change of its chip back to its own row, and only
over the state it was read from: a change made in the store meanwhile is never overwritten."""

from __future__ import annotations

import pytest

from mynacard.chip import KeySlot
from mynacard.db import repositories as repo
from mynacard.errors import StateError
from mynacard.services.context import Office
from mynacard.services.pinstore import open_state
from mynacard.services.vcard import StoreCard
from tests.services.conftest import at, issued_card, new_resident, open_office


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    off = open_office(tmp_path_factory.mktemp("vcard") / "test.db")
    yield off
    off.store.dispose()


def _clock():
    return at("2026-01-10")


def _stored_chip(office: Office, card_id: str):
    with office.work(at=at("2026-01-10"), actor="t") as w:
        return open_state(card_id, repo.card(w.session, card_id).chip_state, office.master_key)


def test_chip_change_written_to_its_own_card_row(office):
    card_id = issued_card(office, new_resident(office))
    other_id = issued_card(office, new_resident(office, name="能登 花子"))
    other_before = _stored_chip(office, other_id)
    sc = StoreCard(office, card_id, _clock)
    sc.chip.clear_slot(KeySlot.SIGN)
    stored = _stored_chip(office, card_id)
    assert stored.card_id == card_id
    reopened = StoreCard(office, card_id, _clock)
    assert reopened.chip.certificate(KeySlot.SIGN) is None and not reopened.chip.has_key(KeySlot.SIGN)
    assert reopened.chip.has_key(KeySlot.AUTH)
    # a second change of the same reader goes over the state it wrote itself
    sc.chip.clear_slot(KeySlot.AUTH)
    assert not StoreCard(office, card_id, _clock).chip.has_key(KeySlot.AUTH)
    assert _stored_chip(office, other_id) == other_before


def test_chip_change_over_a_change_made_meanwhile_refused(office):
    card_id = issued_card(office, new_resident(office))
    first = StoreCard(office, card_id, _clock)
    second = StoreCard(office, card_id, _clock)
    second.chip.clear_slot(KeySlot.AUTH)
    with pytest.raises(StateError) as e:
        first.chip.clear_slot(KeySlot.SIGN)
    assert e.value.to_dict() == {
        "code": "wrong_state",
        "message": f"Card {card_id} changed in the store meanwhile.",
        "message_ja": "カードの状態が変わりました。",
    }
    kept = StoreCard(office, card_id, _clock).chip
    assert kept.has_key(KeySlot.SIGN) and not kept.has_key(KeySlot.AUTH)
