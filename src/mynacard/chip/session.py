"""The security status of one card session (ISO 7816-4 "security status").

A real card remembers which PINs were verified only until it is reset or another
application is selected; the counters, in contrast, are persistent (``ChipState``). The
APDU front end keeps one ``ChipSession`` per card connection; ``Chip.sign`` is the
one-shot service-level shortcut that verifies and signs in one call.
"""

from __future__ import annotations

from mynacard.chip.model import Chip
from mynacard.chip.pins import SLOT_PIN, FacePin, KeySlot, PinId, check_pin_format
from mynacard.errors import StateError, ValidationError

PinRef = PinId | FacePin


class SecurityStatusError(StateError):
    """The command needs a PIN that was not verified in this session (SW 6982)."""

    code = "security_status_not_satisfied"

    def __init__(self, pin: PinRef) -> None:
        super().__init__(
            f"The {pin.value} PIN must be verified first in this session.",
            "暗証番号の照合が必要です。",
            pin=pin.value,
        )


class ChipSession:
    """Which PINs are verified since the last reset or application selection."""

    def __init__(self, chip: Chip) -> None:
        self.chip = chip
        self._verified: set[PinRef] = set()

    def reset(self) -> None:
        """Card reset or selection of another application: forget all verifications."""
        self._verified.clear()

    def is_verified(self, pin: PinRef) -> bool:
        return pin in self._verified

    def require(self, *pins: PinRef) -> None:
        """Raise ``SecurityStatusError`` unless one of ``pins`` is verified."""
        if not any(p in self._verified for p in pins):
            raise SecurityStatusError(pins[0])

    def tries_left(self, pin: PinRef) -> int:
        if isinstance(pin, FacePin):
            return self.chip.face_tries_left(pin)
        return self.chip.tries_left(pin)

    def verify(self, pin: PinRef, value: bytes) -> None:
        """VERIFY: on success the PIN counts as verified; any failure clears that status."""
        self._verified.discard(pin)
        if isinstance(pin, FacePin):
            self.chip.verify_face_pin(pin, value)
        else:
            self.chip.verify_pin_bytes(pin, value)
        self._verified.add(pin)

    def change(self, pin: PinId, new: bytes) -> None:
        """CHANGE REFERENCE DATA after VERIFY: set ``new`` (whose form is checked, R_PIN_6)."""
        self.require(pin)
        # The chip compares bytes, so the new value is stored exactly as sent; a lower-case
        # signing password is refused rather than silently upper-cased.
        text = new.decode("ascii", errors="replace")
        if check_pin_format(pin, text) != text:
            raise ValidationError(
                f"pin.{pin.value}",
                "The signing password should be sent in upper case (R_PIN_1).",
                "署名用電子証明書のパスワードは英大文字で送信してください。",
            )
        self.chip.set_pin(pin, text)
        self._verified.add(pin)

    def sign(self, slot: KeySlot, data: bytes) -> bytes:
        """COMPUTE DIGITAL SIGNATURE with the slot's key, after VERIFY of its PIN."""
        self.require(SLOT_PIN[slot])
        return self.chip.private_key_operation(slot, data)
