"""The PIN objects' counters and the session's security status, as the card answers them
(chip/counters.py, chip/session.py, R_PIN_2, R_PIN_4, R_PIN_6, R_CHIP_3). Written to kill mutants
(docs/testing.md)."""

from __future__ import annotations

import pytest

from mynacard.chip import Chip, ChipSession, FacePin, KeySlot, PinId, digest_info
from mynacard.chip.counters import StateCounters, max_tries
from mynacard.chip.pins import PinVerifier
from mynacard.chip.state import ChipState
from mynacard.errors import PinLocked, StateError, ValidationError, WrongPin
from tests.chip.conftest import AUTH_PIN, CARD_INFO, MASTER_KEY, SIGN_PW

DI = digest_info("sha256", bytes(32))


def counters() -> StateCounters:
    state = ChipState(card_id="card-0001")
    return StateCounters(lambda: state, lambda: None)


def test_each_pin_object_has_its_own_number_of_tries_R_PIN_2() -> None:
    assert max_tries(PinId.SIGN) == 5
    assert max_tries(PinId.AUTH) == 3
    assert max_tries(FacePin.A) == 10
    assert max_tries(FacePin.B) == 10


def test_an_unset_pin_says_which_pin_and_that_it_was_never_set() -> None:
    chip = Chip.blank("card-0001", master_key=MASTER_KEY)
    assert not chip.is_set(PinId.AUTH)
    with pytest.raises(StateError) as e:
        chip.verify_pin(PinId.AUTH, AUTH_PIN)
    assert (e.value.message, e.value.message_ja) == ("The auth PIN has not been set.", "暗証番号が設定されていません。")
    assert e.value.fields == {"pin": "auth"}
    chip.set_pin(PinId.AUTH, AUTH_PIN)
    assert chip.is_set(PinId.AUTH)


def test_a_locked_pin_is_named_in_the_refusal_R_PIN_2(chip: Chip) -> None:
    for _ in range(3):
        with pytest.raises(WrongPin):
            chip.verify_pin(PinId.AUTH, "0000")
    with pytest.raises(PinLocked) as e:
        chip.verify_pin(PinId.AUTH, AUTH_PIN)
    assert e.value.fields["pin"] == "auth" and "auth PIN" in e.value.message


def test_a_locked_card_face_pin_is_named_in_the_refusal(chip: Chip) -> None:
    for _ in range(10):
        with pytest.raises(WrongPin):
            chip.verify_face_pin(FacePin.A, b"000000000000")
    with pytest.raises(PinLocked) as e:
        chip.verify_face_pin(FacePin.A, CARD_INFO.individual_number.encode())
    assert e.value.fields["pin"] == "face_a"


def test_card_face_pins_start_with_ten_tries_and_a_right_entry_restores_them(chip: Chip) -> None:
    assert chip.face_tries_left(FacePin.A) == 10
    assert chip.face_tries_left(FacePin.B) == 10
    with pytest.raises(WrongPin):
        chip.verify_face_pin(FacePin.A, b"000000000000")
    assert chip.face_tries_left(FacePin.A) == 9
    chip.verify_face_pin(FacePin.A, CARD_INFO.individual_number.encode())
    assert chip.face_tries_left(FacePin.A) == 10


def test_every_setting_of_a_pin_is_a_new_generation_R_PIN_4() -> None:
    """0 the first time, one more each time: the same count as the store's PIN rows keep."""
    c = counters()
    c.set(PinId.AUTH, PinVerifier.new(b"1234", bytes(32)))
    assert c.spend(PinId.AUTH).generation == 0
    c.set(PinId.AUTH, PinVerifier.new(b"1234", bytes(32)))
    assert c.spend(PinId.AUTH).generation == 1
    c.set(PinId.AUTH, PinVerifier.new(b"1234", bytes(32)))
    assert c.spend(PinId.AUTH).generation == 2


def test_a_right_entry_does_not_restore_a_pin_set_again_meanwhile_R_PIN_4() -> None:
    """A VERIFY that matched the old value must not give back the tries of a new one."""
    c = counters()
    c.set(PinId.AUTH, PinVerifier.new(b"1234", bytes(32)))
    old = c.spend(PinId.AUTH)
    c.set(PinId.AUTH, PinVerifier.new(b"5678", bytes(32)))  # reset at the window while the VERIFY ran
    c.spend(PinId.AUTH)
    assert c.tries_left(PinId.AUTH) == 2
    c.succeeded(old)
    assert c.tries_left(PinId.AUTH) == 2


def test_a_right_entry_of_a_pin_unset_meanwhile_leaves_it_unset() -> None:
    c = counters()
    c.set(PinId.SIGN, PinVerifier.new(b"ABC123", bytes(32)))
    spent = c.spend(PinId.SIGN)
    c.set(PinId.SIGN, None)  # the signing certificate was revoked and its key removed
    c.succeeded(spent)
    assert not c.is_set(PinId.SIGN)


def test_a_pin_is_needed_before_signing_and_the_refusal_names_it_R_CHIP_3(chip: Chip) -> None:
    session = ChipSession(chip)
    with pytest.raises(StateError) as e:
        session.sign(KeySlot.SIGN, DI)
    assert e.value.code == "security_status_not_satisfied"
    assert e.value.message == "The sign PIN must be verified first in this session."
    assert e.value.message_ja == "暗証番号の照合が必要です。"
    assert e.value.fields == {"pin": "sign"}


def test_a_lower_case_new_signing_password_is_refused_with_the_reason_R_PIN_6(chip: Chip) -> None:
    session = ChipSession(chip)
    session.verify(PinId.SIGN, SIGN_PW.encode())
    with pytest.raises(ValidationError) as e:
        session.change(PinId.SIGN, b"abc456")
    assert e.value.fields == {"field": "pin.sign"}
    assert e.value.message == "The signing password should be sent in upper case (R_PIN_1)."
    assert e.value.message_ja == "署名用電子証明書のパスワードは英大文字で送信してください。"
    chip.verify_pin(PinId.SIGN, SIGN_PW)  # the old password still holds


def test_the_pin_stays_verified_after_it_is_changed_R_PIN_6(chip: Chip) -> None:
    session = ChipSession(chip)
    session.verify(PinId.AUTH, AUTH_PIN.encode())
    session.change(PinId.AUTH, b"4321")
    assert session.is_verified(PinId.AUTH)
    assert len(session.sign(KeySlot.AUTH, DI)) == 256


def test_a_card_face_pin_never_tried_shows_all_its_tries_R_PIN_7() -> None:
    """Also on a chip whose card data is not written yet (its counters were never started)."""
    chip = Chip.blank("card-0001", master_key=MASTER_KEY)
    assert chip.face_tries_left(FacePin.A) == 10
    assert chip.face_tries_left(FacePin.B) == 10
