"""Loading a card's chip from the store and writing it back (the chip is a library).

The PIN objects are rows of their own, spent atomically (``services.pinstore``); the rest of
the chip state is sealed in the card's row.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from mynacard.chip import CardInfo, Chip, ChipState
from mynacard.db import repositories as repo
from mynacard.db.models import Card, Resident
from mynacard.errors import PinError, PinLocked, StateError
from mynacard.services.context import Work
from mynacard.services.pinstore import StorePins, create_pin_rows, seal_state, upgrade_chip


def chip_of(w: Work, card: Card) -> Chip:
    """The chip of ``card``. A PIN try is committed in the store before the PIN is compared
    (R_PIN_4): a workflow checks PINs before it changes anything. Other changes of the chip
    are written to the card's row and flushed at once."""
    if card.chip_state is None:
        raise StateError(
            f"Card {card.id} has no chip yet: J-LIS has not made it.", "このカードはまだ作成されていません。"
        )
    master_key = w.office.master_key
    state = upgrade_chip(w.session, card, master_key)

    def persist(state: ChipState) -> None:
        card.chip_state = seal_state(state, master_key)
        w.session.flush()

    return Chip(state, master_key=master_key, on_change=persist, pins=StorePins(w.office, card.id, work=w))


def new_chip(w: Work, card: Card) -> Chip:
    chip = Chip.blank(card.id, master_key=w.office.master_key)
    card.chip_state = seal_state(chip.state, w.office.master_key)
    create_pin_rows(w.session, chip.state, w.office.master_key)
    return chip_of(w, card)


def card_info(resident: Resident, card: Card) -> CardInfo:
    return CardInfo(
        individual_number=repo.number_of(resident),
        name=resident.name,
        address=resident.address,
        birth_date=resident.birth_date,
        sex=resident.sex,
        expiry_year=card.expires_on.year if card.expires_on else None,
        security_code=repo.security_code_of(card),
    )


@contextmanager
def pin_try(w: Work, card_id: str, pin: str) -> Iterator[None]:
    """Every PIN try on a card goes into the audit trail: which card, which PIN, the outcome (a
    refused try is kept: ``Office.work`` commits a PIN error with its spent try)."""
    from mynacard import audit

    def record(outcome: str) -> None:
        audit.append_in(w.session, at=w.at, actor=w.actor, role="card", action="card.pin_try",
                        target=f"card:{card_id}", outcome=outcome, pin=pin)

    try:
        yield
    except PinError as e:
        record("locked" if isinstance(e, PinLocked) else "denied")
        raise
    record("ok")
