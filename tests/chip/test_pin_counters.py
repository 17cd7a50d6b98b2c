"""PIN error counters on the chip (R_PIN_1..4, R_PIN_6, R_PIN_7)."""

from __future__ import annotations

import pytest

from mynacard.chip import MAX_TRIES, Chip, PinId
from mynacard.errors import PinLocked, StateError, ValidationError, WrongPin
from tests.chip.conftest import AUTH_PIN, CARD_INFO_PIN, MASTER_KEY, RESIDENT_PIN, SIGN_PW, Recorder

RIGHT = {
    PinId.SIGN: SIGN_PW,
    PinId.AUTH: AUTH_PIN,
    PinId.RESIDENT: RESIDENT_PIN,
    PinId.CARD_INFO: CARD_INFO_PIN,
}
WRONG = {PinId.SIGN: "WRONG1", PinId.AUTH: "0000", PinId.RESIDENT: "0000", PinId.CARD_INFO: "0000"}


def test_max_tries_R_PIN_1_R_PIN_2_R_PIN_3() -> None:
    assert MAX_TRIES == {PinId.SIGN: 5, PinId.AUTH: 3, PinId.RESIDENT: 3, PinId.CARD_INFO: 3}


@pytest.mark.parametrize("pin_id", list(PinId))
def test_consecutive_errors_lock_R_PIN_1_R_PIN_2_R_PIN_3(chip: Chip, pin_id: PinId) -> None:
    """5 wrong signing passwords, or 3 wrong 4-digit PINs, lock; the right one is then refused."""
    for left in range(MAX_TRIES[pin_id] - 1, -1, -1):
        with pytest.raises(WrongPin) as info:
            chip.verify_pin(pin_id, WRONG[pin_id])
        assert info.value.tries_left == left
        assert info.value.pin == pin_id.value
    assert chip.is_locked(pin_id)
    with pytest.raises(PinLocked):
        chip.verify_pin(pin_id, RIGHT[pin_id])
    assert chip.tries_left(pin_id) == 0


def test_locked_pin_changes_nothing_R_PIN_4(chip: Chip, recorder: Recorder) -> None:
    for _ in range(3):
        with pytest.raises(WrongPin):
            chip.verify_pin(PinId.AUTH, "0000")
    calls = recorder.calls
    with pytest.raises(PinLocked):
        chip.verify_pin(PinId.AUTH, AUTH_PIN)
    assert recorder.calls == calls


def test_four_digit_pins_have_separate_counters_R_PIN_3(keygen) -> None:  # type: ignore[no-untyped-def]
    """Three 4-digit PINs with the same value are still three objects with three counters."""
    chip = Chip.blank("c", master_key=MASTER_KEY)
    for p in (PinId.AUTH, PinId.RESIDENT, PinId.CARD_INFO):
        chip.set_pin(p, "1111")
    for _ in range(3):
        with pytest.raises(WrongPin):
            chip.verify_pin(PinId.AUTH, "2222")
    assert chip.is_locked(PinId.AUTH)
    assert chip.tries_left(PinId.RESIDENT) == 3
    assert chip.tries_left(PinId.CARD_INFO) == 3
    chip.verify_pin(PinId.RESIDENT, "1111")
    chip.verify_pin(PinId.CARD_INFO, "1111")


def test_counter_resets_only_on_correct_entry_R_PIN_4(chip: Chip) -> None:
    for _ in range(4):
        with pytest.raises(WrongPin):
            chip.verify_pin(PinId.SIGN, "WRONG1")
    assert chip.tries_left(PinId.SIGN) == 1
    # Reading the counter, verifying other PINs, or time passing does not reset it.
    chip.verify_pin(PinId.AUTH, AUTH_PIN)
    assert chip.tries_left(PinId.SIGN) == 1
    chip.verify_pin(PinId.SIGN, SIGN_PW)
    assert chip.tries_left(PinId.SIGN) == 5


def test_try_is_spent_and_persisted_before_comparing_R_PIN_4(
    chip: Chip, recorder: Recorder
) -> None:
    """The persist hook sees the decremented counter first, whatever the result."""
    chip.verify_pin(PinId.AUTH, AUTH_PIN)
    assert [t[PinId.AUTH] for t in recorder.tries] == [2, 3]
    recorder.tries.clear()
    with pytest.raises(WrongPin):
        chip.verify_pin(PinId.AUTH, "0000")
    assert [t[PinId.AUTH] for t in recorder.tries] == [2]


def test_interrupted_verification_has_spent_the_try_R_PIN_4(chip: Chip) -> None:
    """If persisting fails (card pulled out), no comparison happens and the try is gone."""

    def pulled_out(_state) -> None:  # type: ignore[no-untyped-def]
        raise ConnectionError("card removed")

    reloaded = Chip(chip.state, master_key=MASTER_KEY, on_change=pulled_out)
    with pytest.raises(ConnectionError):
        reloaded.verify_pin(PinId.AUTH, AUTH_PIN)
    assert chip.state.pins[PinId.AUTH].tries_left == 2  # type: ignore[union-attr]


def test_wrong_form_is_a_wrong_try_at_chip_level_R_PIN_4(chip: Chip) -> None:
    """The chip does not check forms: '12a4' is just a wrong PIN (the client checks forms)."""
    with pytest.raises(WrongPin) as info:
        chip.verify_pin(PinId.AUTH, "12a4")
    assert info.value.tries_left == 2


def test_signing_password_is_upper_cased_on_verify_R_PIN_1(chip: Chip) -> None:
    chip.verify_pin(PinId.SIGN, SIGN_PW.lower())
    assert chip.tries_left(PinId.SIGN) == 5


def test_tries_left_is_read_without_spending_R_PIN_7(chip: Chip, recorder: Recorder) -> None:
    with pytest.raises(WrongPin):
        chip.verify_pin(PinId.SIGN, "WRONG1")
    calls = recorder.calls
    for _ in range(10):
        assert chip.tries_left(PinId.SIGN) == 4
        assert not chip.is_locked(PinId.SIGN)
    assert recorder.calls == calls


def test_change_after_right_old_pin_R_PIN_6(chip: Chip) -> None:
    chip.change_pin(PinId.AUTH, AUTH_PIN, "4321")
    chip.verify_pin(PinId.AUTH, "4321")
    with pytest.raises(WrongPin):
        chip.verify_pin(PinId.AUTH, AUTH_PIN)


def test_change_with_wrong_old_pin_spends_a_try_R_PIN_6(chip: Chip) -> None:
    with pytest.raises(WrongPin) as info:
        chip.change_pin(PinId.SIGN, "WRONG1", "NEW123")
    assert info.value.tries_left == 4
    chip.verify_pin(PinId.SIGN, SIGN_PW)  # unchanged


def test_change_to_bad_form_costs_no_try_R_PIN_6(chip: Chip) -> None:
    with pytest.raises(ValidationError):
        chip.change_pin(PinId.AUTH, "0000", "12a4")
    assert chip.tries_left(PinId.AUTH) == 3


def test_set_pin_unlocks_at_the_window_R_PIN_5(chip: Chip) -> None:
    for _ in range(3):
        with pytest.raises(WrongPin):
            chip.verify_pin(PinId.CARD_INFO, "0000")
    chip.set_pin(PinId.CARD_INFO, "2468")
    assert chip.tries_left(PinId.CARD_INFO) == 3
    chip.verify_pin(PinId.CARD_INFO, "2468")


def test_unset_pin_cannot_be_verified() -> None:
    chip = Chip.blank("c", master_key=MASTER_KEY)
    assert not chip.is_set(PinId.AUTH)
    assert chip.tries_left(PinId.AUTH) == 3
    with pytest.raises(StateError):
        chip.verify_pin(PinId.AUTH, "1234")


def test_old_argon2id_verifier_of_a_chip_in_memory_is_replaced_on_correct_entry(chip: Chip) -> None:
    """A chip state saved before the keyed verifiers: its Argon2id verifier of a 4-digit PIN
    still verifies, and the correct entry replaces it (same generation: a reset is not undone)."""
    from mynacard.chip.pins import PinVerifier

    rec = chip.state.pins[PinId.RESIDENT]
    assert rec is not None and rec.verifier.kdf == "hmac-sha256"
    rec.verifier, rec.tries_left = PinVerifier.argon2(RESIDENT_PIN.encode()), 2
    generation = rec.generation
    with pytest.raises(WrongPin):
        chip.verify_pin(PinId.RESIDENT, "0000")
    assert chip.state.pins[PinId.RESIDENT].verifier.kdf == "argon2id"
    chip.verify_pin(PinId.RESIDENT, RESIDENT_PIN)
    after = chip.state.pins[PinId.RESIDENT]
    assert after.verifier.kdf == "hmac-sha256" and after.generation == generation
    assert after.tries_left == MAX_TRIES[PinId.RESIDENT]
    chip.verify_pin(PinId.RESIDENT, RESIDENT_PIN)
