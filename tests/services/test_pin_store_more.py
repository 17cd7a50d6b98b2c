"""The store's PIN objects at a correct entry: a verifier of an earlier release is replaced, and a
correct entry that ends after the PIN was set again at the window leaves the new PIN's counter as
it is (R_PIN_4, R_PIN_5)."""

from __future__ import annotations

import pytest

from mynacard.chip.pins import PinId, PinVerifier, pin_matches
from mynacard.crypto import pin_verifier_key
from mynacard.errors import StateError
from mynacard.services.pinstore import StorePins
from tests.services.conftest import MASTER_KEY, at, issued_card, new_resident


def test_a_verifier_of_an_earlier_release_is_replaced_by_a_keyed_one_at_a_correct_entry(office):
    key = pin_verifier_key(MASTER_KEY)
    card_id = issued_card(office, new_resident(office))
    with office.work(at=at("2026-01-01"), actor="upgrade") as w:
        StorePins(office, card_id, work=w).set(PinId.AUTH, PinVerifier.argon2(b"1234"))
    with office.work(at=at("2026-01-02"), actor="holder") as w:
        store = StorePins(office, card_id, work=w)
        spent = store.spend(PinId.AUTH)
        assert spent.verifier is not None and spent.verifier.outdated
        assert pin_matches(spent.verifier, b"1234", key)
        store.succeeded(spent, PinVerifier.new(b"1234", key))
    with office.work(at=at("2026-01-03"), actor="holder") as w:
        again = StorePins(office, card_id, work=w).spend(PinId.AUTH)
    assert again.verifier is not None and not again.verifier.outdated
    assert pin_matches(again.verifier, b"1234", key)
    assert (again.tries_left, again.generation) == (2, spent.generation)


def test_a_correct_entry_ending_after_a_reset_at_the_window_leaves_the_new_pins_counter_R_PIN_5(office):
    key = pin_verifier_key(MASTER_KEY)
    card_id = issued_card(office, new_resident(office))
    clock = lambda: at("2026-01-02")  # noqa: E731
    reader = StorePins(office, card_id, clock=clock)
    spent = reader.spend(PinId.AUTH)  # the holder's entry, compared after the try is recorded
    with office.work(at=at("2026-01-02T11:00"), actor="clerk") as w:
        StorePins(office, card_id, work=w).set(PinId.AUTH, PinVerifier.new(b"5678", key))
    wrong = reader.spend(PinId.AUTH)  # a wrong entry of the new PIN
    assert (wrong.tries_left, wrong.generation) == (2, spent.generation + 1)
    reader.succeeded(spent)  # the first entry was right: for the PIN it was compared with
    assert reader.tries_left(PinId.AUTH) == 2
    last = reader.spend(PinId.AUTH)
    assert last.verifier is not None and pin_matches(last.verifier, b"5678", key)


def test_an_unset_pin_has_no_try_to_spend_and_the_holder_is_told_it_was_never_set_R_PIN_7(office):
    card_id = issued_card(office, new_resident(office))
    with office.work(at=at("2026-01-01"), actor="clerk") as w:
        StorePins(office, card_id, work=w).set(PinId.SIGN, None)
    with pytest.raises(StateError) as err, office.work(at=at("2026-01-02"), actor="holder") as w:
        StorePins(office, card_id, work=w).spend(PinId.SIGN)
    assert (err.value.message, err.value.fields["pin"]) == ("The sign PIN has not been set.", "sign")
    with office.work(at=at("2026-01-03"), actor="holder") as w:
        store = StorePins(office, card_id, work=w)
        assert (store.is_set(PinId.SIGN), store.tries_left(PinId.SIGN)) == (False, 5)
