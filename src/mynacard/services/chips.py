"""Loading a card's chip from the store and writing it back (the chip is a library)."""

from __future__ import annotations

from mynacard.chip import CardInfo, Chip, ChipState
from mynacard.db import repositories as repo
from mynacard.db.models import Card, Resident
from mynacard.errors import StateError
from mynacard.services.context import Work


def chip_of(w: Work, card: Card) -> Chip:
    """The chip of ``card``. Every change is written to the card's row and flushed at once, so
    a PIN try is spent in the store before the PIN is compared (R_PIN_4)."""
    if card.chip_state is None:
        raise StateError(
            f"Card {card.id} has no chip yet: J-LIS has not made it.", "このカードはまだ作成されていません。"
        )

    def persist(state: ChipState) -> None:
        card.chip_state = state.to_json()
        w.session.flush()

    return Chip(ChipState.from_json(card.chip_state), master_key=w.office.master_key, on_change=persist)


def new_chip(w: Work, card: Card) -> Chip:
    chip = Chip.blank(card.id, master_key=w.office.master_key)
    card.chip_state = chip.state.to_json()
    return chip_of(w, card)


def card_info(resident: Resident, card: Card) -> CardInfo:
    return CardInfo(
        individual_number=repo.number_of(resident),
        name=resident.name,
        address=resident.address,
        birth_date=resident.birth_date,
        sex=resident.sex,
        expiry_year=card.expires_on.year if card.expires_on else None,
        security_code=card.security_code,
    )
