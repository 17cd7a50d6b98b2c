"""Where the chip keeps its PIN objects, and how a try is spent (R_PIN_4).

A VERIFY spends the try first, records it, and only then compares the PIN: a command that
cannot record its try compares nothing, and no interleaving of concurrent commands can make
the chip compare a PIN more often than its counter allows. ``PinCounters`` is that contract;
``StateCounters`` keeps the PINs in the ``ChipState`` (a chip in memory, one lock), and the
store keeps them in rows spent by a conditional UPDATE (``mynacard.services.pinstore``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from mynacard.chip.pins import FACE_MAX_TRIES, MAX_TRIES, FacePin, PinId, PinRecord, PinVerifier
from mynacard.chip.state import ChipState
from mynacard.errors import PinLocked, StateError

PinRef = PinId | FacePin


def max_tries(pin: PinRef) -> int:
    return FACE_MAX_TRIES if isinstance(pin, FacePin) else MAX_TRIES[pin]


def not_set(pin: PinRef) -> StateError:
    return StateError(f"The {pin.value} PIN has not been set.", "暗証番号が設定されていません。", pin=pin.value)


@dataclass(frozen=True)
class SpentTry:
    """A try spent and recorded: what the PIN is compared with, and the tries then left.

    ``verifier`` is None for a card-face PIN (compared with the card data instead).
    """

    pin: PinRef
    verifier: PinVerifier | None
    tries_left: int
    generation: int


class PinCounters(Protocol):
    def tries_left(self, pin: PinRef) -> int:
        """Tries left, without spending one; an unset PIN shows its maximum (R_PIN_7)."""

    def is_set(self, pin: PinId) -> bool: ...

    def spend(self, pin: PinRef) -> SpentTry:
        """Spend one try and record it. ``PinLocked`` when none is left (nothing changes),
        ``StateError`` when the PIN was never set; any other error: nothing was spent."""

    def succeeded(self, spent: SpentTry, verifier: PinVerifier | None = None) -> None:
        """A correct entry: the counter starts again, unless the PIN was set meanwhile; with
        ``verifier`` (the same value in the current scheme) the stored verifier is replaced too,
        keeping its generation."""

    def set_all(self, verifiers: Mapping[PinId, PinVerifier | None]) -> None:
        """``set`` of several PINs (a hand-over), at once where the store can."""

    def set(self, pin: PinRef, verifier: PinVerifier | None) -> None:
        """A new value (or, for a card-face PIN, new card data): full counter. ``None`` for a
        holder's PIN unsets it (its certificate was revoked and its key removed)."""


class StateCounters:
    """The PIN objects of a ``ChipState`` in memory; ``on_change`` is told of every change."""

    def __init__(self, state: Callable[[], ChipState], on_change: Callable[[], None]) -> None:
        self._state = state
        self._on_change = on_change
        self._lock = threading.RLock()

    def _record(self, pin: PinId) -> PinRecord | None:
        return self._state().pins.get(pin)

    def tries_left(self, pin: PinRef) -> int:
        if isinstance(pin, FacePin):
            return self._state().face_pin_tries.get(pin, FACE_MAX_TRIES)
        rec = self._record(pin)
        return MAX_TRIES[pin] if rec is None else rec.tries_left

    def is_set(self, pin: PinId) -> bool:
        return self._record(pin) is not None

    def spend(self, pin: PinRef) -> SpentTry:
        with self._lock:
            if isinstance(pin, FacePin):
                tries = self.tries_left(pin)
                if tries <= 0:
                    raise PinLocked(pin.value)
                self._state().face_pin_tries[pin] = tries - 1
                self._on_change()
                return SpentTry(pin, None, tries - 1, 0)
            rec = self._record(pin)
            if rec is None:
                raise not_set(pin)
            if rec.tries_left <= 0:
                raise PinLocked(pin.value)
            rec.tries_left -= 1
            self._on_change()
            return SpentTry(pin, rec.verifier, rec.tries_left, rec.generation)

    def succeeded(self, spent: SpentTry, verifier: PinVerifier | None = None) -> None:
        with self._lock:
            if isinstance(spent.pin, FacePin):
                self._state().face_pin_tries[spent.pin] = FACE_MAX_TRIES
            else:
                rec = self._record(spent.pin)
                if rec is None or rec.generation != spent.generation:
                    return
                rec.tries_left = MAX_TRIES[spent.pin]
                if verifier is not None:
                    rec.verifier = verifier
            self._on_change()

    def set_all(self, verifiers: Mapping[PinId, PinVerifier | None]) -> None:
        for pin, verifier in verifiers.items():
            self.set(pin, verifier)

    def set(self, pin: PinRef, verifier: PinVerifier | None) -> None:
        with self._lock:
            if isinstance(pin, FacePin):
                self._state().face_pin_tries[pin] = FACE_MAX_TRIES
            else:
                old = self._record(pin)
                generation = 0 if old is None else old.generation + 1
                self._state().pins[pin] = None if verifier is None else PinRecord(verifier, MAX_TRIES[pin], generation)
            self._on_change()
