"""The per-session security status (VERIFY, then SIGN in the same session)."""

from __future__ import annotations

import pytest

from mynacard.chip import (
    Chip,
    ChipSession,
    FacePin,
    KeySlot,
    PinId,
    SecurityStatusError,
    digest_info,
)
from mynacard.errors import PinLocked, StateError, ValidationError, WrongPin
from tests.chip.conftest import AUTH_PIN, SIGN_PW

DI = digest_info("sha256", bytes(32))


def test_sign_needs_verify_in_the_session(chip: Chip) -> None:
    session = ChipSession(chip)
    with pytest.raises(SecurityStatusError):
        session.sign(KeySlot.AUTH, DI)
    session.verify(PinId.AUTH, AUTH_PIN.encode())
    assert len(session.sign(KeySlot.AUTH, DI)) == 256
    assert len(session.sign(KeySlot.AUTH, DI)) == 256  # status holds for the session


def test_reset_forgets_verification(chip: Chip) -> None:
    session = ChipSession(chip)
    session.verify(PinId.SIGN, SIGN_PW.encode())
    session.reset()
    with pytest.raises(SecurityStatusError):
        session.sign(KeySlot.SIGN, DI)


def test_wrong_verify_clears_the_status(chip: Chip) -> None:
    session = ChipSession(chip)
    session.verify(PinId.AUTH, AUTH_PIN.encode())
    with pytest.raises(WrongPin):
        session.verify(PinId.AUTH, b"0000")
    assert not session.is_verified(PinId.AUTH)


def test_session_compares_bytes_R_PIN_1(chip: Chip) -> None:
    """On the wire the client must send the upper-cased password; lower case is a wrong try."""
    session = ChipSession(chip)
    with pytest.raises(WrongPin):
        session.verify(PinId.SIGN, SIGN_PW.lower().encode())
    assert chip.tries_left(PinId.SIGN) == 4


def test_change_needs_verify_R_PIN_6(chip: Chip) -> None:
    session = ChipSession(chip)
    with pytest.raises(SecurityStatusError):
        session.change(PinId.AUTH, b"4321")
    session.verify(PinId.AUTH, AUTH_PIN.encode())
    with pytest.raises(ValidationError):
        session.change(PinId.AUTH, b"43")
    with pytest.raises(ValidationError):
        session.change(PinId.AUTH, b"\xff\xfe12")
    session.verify(PinId.SIGN, SIGN_PW.encode())
    with pytest.raises(ValidationError):
        session.change(PinId.SIGN, b"new123")  # lower case on the wire
    session.change(PinId.AUTH, b"4321")
    chip.verify_pin(PinId.AUTH, "4321")


def test_face_pins_count_and_lock(chip: Chip) -> None:
    session = ChipSession(chip)
    session.verify(FacePin.A, b"123456789018")
    assert session.is_verified(FacePin.A)
    for left in range(9, -1, -1):
        with pytest.raises(WrongPin) as info:
            session.verify(FacePin.B, b"00000000000000")
        assert info.value.tries_left == left
    with pytest.raises(PinLocked):
        session.verify(FacePin.B, b"90040120344321")
    chip.write_card_info(chip.card_info)  # type: ignore[arg-type]  # rewritten at the window
    session.verify(FacePin.B, b"90040120344321")


def test_face_pin_b_unusable_without_security_code(chip: Chip) -> None:
    from dataclasses import replace

    chip.write_card_info(replace(chip.card_info, security_code=None))  # type: ignore[type-var]
    with pytest.raises(StateError):
        ChipSession(chip).verify(FacePin.B, b"90040120344321")
