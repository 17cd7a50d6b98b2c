"""A card of the store, inserted in a reader: the chip persists through the card's row.

``StoreCard`` is what a reader transport (``mynacard.vcard.VpcdClient``, or the cardholder
client's in-process transport) talks to. Before each command it reloads the chip state from
the card's row, so a PIN reset at the window applies to a card that stays inserted; every
state change the command makes (``Chip.on_change``) is committed at once in its own short
transaction, with the row locked (``SELECT ... FOR UPDATE`` on PostgreSQL). So a VERIFY has
spent its try in the store before the card compares the PIN and answers (R_PIN_4), and the
counters and lock state survive a restart of the card.

If a commit fails, the command answers 6F00 (the card OS turns the error into a status word)
and the PIN is not compared: the card never says 9000 for a try it could not record.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from mynacard.chip import Chip, ChipState, VirtualCard
from mynacard.db import repositories as repo
from mynacard.errors import StateError
from mynacard.services.common import card as card_row
from mynacard.services.context import Office

Clock = Callable[[], datetime]

ACTOR = "card"


class StoreCard:
    """The APDU interface (``atr``, ``reset``, ``transmit``) of a card kept in the store."""

    def __init__(self, office: Office, card_id: str, clock: Clock, *, actor: str = ACTOR) -> None:
        self.office = office
        self.card_id = card_id
        self.clock = clock
        self.actor = actor
        self._stored = self._read()
        self.chip = Chip(
            ChipState.from_json(self._stored), master_key=office.master_key, on_change=self._commit
        )
        self._card = VirtualCard(self.chip)

    @property
    def atr(self) -> bytes:
        return self._card.atr

    def _read(self) -> str:
        with self.office.work(at=self.clock(), actor=self.actor) as w:
            c = card_row(w, self.card_id, for_update=False)
            if c.chip_state is None:
                raise StateError(
                    f"Card {self.card_id} has no chip yet: J-LIS has not made it.",
                    "このカードはまだ作成されていません。",
                    card_id=self.card_id,
                )
            return c.chip_state

    def _refresh(self) -> None:
        """Take over a change made in the store meanwhile (a PIN reset at the window)."""
        stored = self._read()
        if stored != self._stored:
            self._stored = stored
            self.chip.state = ChipState.from_json(stored)

    def _commit(self, state: ChipState) -> None:
        text = state.to_json()
        with self.office.work(at=self.clock(), actor=self.actor) as w:
            c = repo.card(w.session, self.card_id, for_update=True)
            if c is None:
                raise StateError(f"Card {self.card_id} is gone from the store.", "カードがありません。")
            c.chip_state = text
        self._stored = text

    def reset(self) -> bytes:
        """Warm reset or power cycle: the security status is lost; the state is reloaded."""
        self._refresh()
        return self._card.reset()

    def transmit(self, apdu: bytes) -> bytes:
        self._refresh()
        return self._card.transmit(apdu)


def open_card(office: Office, card_id: str, clock: Clock) -> StoreCard:
    """The card ``card_id`` as a reader sees it; ``StateError`` if J-LIS has not made it."""
    return StoreCard(office, card_id, clock)
