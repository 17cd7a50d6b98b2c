"""PIN reset and unlock at the window, and the holder's own changes (R_PIN_5, R_PIN_6)."""

from __future__ import annotations

from dataclasses import dataclass

from mynacard.chip import PinId, check_pin_format
from mynacard.db.models import CardState
from mynacard.errors import ValidationError
from mynacard.rules.identity import identity_error
from mynacard.services import chips
from mynacard.services.common import card, require_state
from mynacard.services.context import Work


def _pin(pin: PinId | str) -> PinId:
    try:
        return PinId(pin)
    except ValueError:
        raise ValidationError(
            "pin", f"PIN must be one of {', '.join(p.value for p in PinId)}.", "暗証番号の種類が正しくありません。"
        ) from None


@dataclass(frozen=True)
class PinReset:
    """A reset at the window: what its receipt (暗証番号再設定受付票) and the adapters need."""

    card_id: str
    pin: str
    tries_left: int  # the tries the PIN now has
    was_locked: bool
    event_id: int  # the ``pin_reset`` event: the receipt's number


def reset(w: Work, card_id: str, pin: PinId | str, new_value: str, *, identity_documents: list[str]) -> PinReset:
    """Reset a forgotten or locked PIN at the window after identity verification (free, R_PIN_5)."""
    pid = _pin(pin)
    value = check_pin_format(pid, new_value)
    problem = identity_error(identity_documents)
    if problem:
        raise ValidationError(
            "identity_documents", f"Identity not verified: {problem}.", "本人確認書類が不足しています。"
        )
    c = card(w, card_id)
    require_state(c, CardState.ISSUED, CardState.SUSPENDED, doing="reset a PIN", doing_ja="暗証番号の再設定")
    chip = chips.chip_of(w, c)
    was_locked = chip.is_locked(pid)
    chip.set_pin(pid, value)
    ev = w.log("pin_reset", resident_id=c.resident_id, card_id=c.id, pin=pid.value, was_locked=was_locked,
               documents=sorted(identity_documents))
    w.session.flush()
    return PinReset(c.id, pid.value, chip.tries_left(pid), was_locked, ev.id)


def self_reset(w: Work, card_id: str, pin: PinId | str, new_value: str, *, other_pin: str) -> int:
    """[policy] Self-service reset of one certificate PIN, proving the other one (R_PIN_5)."""
    pid = _pin(pin)
    if pid not in (PinId.SIGN, PinId.AUTH):
        raise ValidationError(
            "pin",
            "Only a certificate PIN can be reset without the window.",
            "窓口以外で再設定できるのは電子証明書の暗証番号のみです。",
        )
    value = check_pin_format(pid, new_value)
    c = card(w, card_id)
    require_state(c, CardState.ISSUED, doing="reset a PIN", doing_ja="暗証番号の再設定")
    chip = chips.chip_of(w, c)
    other = PinId.AUTH if pid is PinId.SIGN else PinId.SIGN
    with chips.pin_try(w, c.id, other.value):
        chip.verify_pin(other, other_pin)
    chip.set_pin(pid, value)
    w.log("pin_self_reset", resident_id=c.resident_id, card_id=c.id, pin=pid.value)
    return chip.tries_left(pid)


def change(w: Work, card_id: str, pin: PinId | str, old: str, new: str) -> None:
    """The holder changes a PIN after entering the current one (R_PIN_6)."""
    pid = _pin(pin)
    check_pin_format(pid, new)
    c = card(w, card_id)
    with chips.pin_try(w, c.id, pid.value):
        chips.chip_of(w, c).change_pin(pid, old, new)
    w.log("pin_changed", resident_id=c.resident_id, card_id=c.id, pin=pid.value)


def tries_left(w: Work, card_id: str) -> dict[str, int]:
    """Tries left for all four PINs, without spending any (R_PIN_7)."""
    c = card(w, card_id, for_update=False)
    chip = chips.chip_of(w, c)
    return {p.value: chip.tries_left(p) for p in PinId}
