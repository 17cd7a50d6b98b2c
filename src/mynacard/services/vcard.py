"""A card of the store, inserted in a reader: the chip persists through the store.

``StoreCard`` is what a reader transport (``mynacard.vcard.VpcdClient``, or the cardholder
client's in-process transport) talks to. Before each command it reloads the chip state from
the card's row, so a PIN reset at the window applies to a card that stays inserted. The PIN
objects are rows of the store (``services.pinstore.StorePins``): a VERIFY spends its try with
one conditional UPDATE, committed in its own short transaction *before* the PIN is compared
(R_PIN_4). So any number of readers, threads and processes on one card compare exactly as
many PINs as its counter allows, and the counters survive a restart of the card.

If the try cannot be recorded, the command answers 6F00 (the card OS turns the error into a
status word) and the PIN is not compared: the card never answers for a try it did not record.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import update

from mynacard.chip import Chip, ChipState, VirtualCard
from mynacard.chip.apdu import SW, Response
from mynacard.db import repositories as repo
from mynacard.db.models import Card
from mynacard.errors import StateError
from mynacard.services.common import card as card_row
from mynacard.services.context import Office
from mynacard.services.pinstore import StorePins, is_sealed, open_state, seal_state, upgrade_chip

log = logging.getLogger(__name__)

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
            open_state(card_id, self._stored, office.master_key),
            master_key=office.master_key,
            on_change=self._commit,
            pins=StorePins(office, card_id, clock=clock, actor=actor),
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
            if not is_sealed(c.chip_state):  # a store of the first form: upgrade on first read
                locked = repo.card(w.session, self.card_id, for_update=True)
                assert locked is not None
                upgrade_chip(w.session, locked, self.office.master_key)
            assert c.chip_state is not None
            return c.chip_state

    def _refresh(self) -> None:
        """Take over a change made in the store meanwhile (new card data, keys)."""
        stored = self._read()
        if stored != self._stored:
            self._stored = stored
            self.chip.state = open_state(self.card_id, stored, self.office.master_key)

    def _commit(self, state: ChipState) -> None:
        """Write a change of the (non-PIN) state, only over the state it was made from."""
        text = seal_state(state, self.office.master_key)
        with self.office.work(at=self.clock(), actor=self.actor) as w:
            done = w.session.execute(
                update(Card)
                .where(Card.id == self.card_id, Card.chip_state == self._stored)
                .values(chip_state=text)
                .execution_options(synchronize_session=False)
            )
            if done.rowcount != 1:  # type: ignore[attr-defined]
                raise StateError(f"Card {self.card_id} changed in the store meanwhile.", "カードの状態が変わりました。")
        self._stored = text

    def reset(self) -> bytes:
        """Warm reset or power cycle: the security status is lost; the state is reloaded."""
        self._refresh()
        return self._card.reset()

    def transmit(self, apdu: bytes) -> bytes:
        try:
            self._refresh()
        except Exception:  # the store is unreachable: answer as a card with a fault would
            log.exception("Cannot read card %s from the store", self.card_id)
            return Response(SW.NO_PRECISE_DIAGNOSIS).to_bytes()
        answer = self._card.transmit(apdu)
        if len(apdu) > 5 and apdu[1] == 0x20:  # a VERIFY with a PIN: audit the try, never the PIN
            self._audit_pin_try(answer[-2:])
        return answer

    def _audit_pin_try(self, sw: bytes) -> None:
        from mynacard import audit

        # the card answers a try on a locked PIN with 69 84 (SW.PIN_BLOCKED), as the real one does
        outcome = "ok" if sw == b"\x90\x00" else ("locked" if sw == b"\x69\x84" else "denied")
        try:
            audit.append(self.office.store, at=self.clock(), actor=self.actor, role="card",
                         action="card.pin_try", target=f"card:{self.card_id}", outcome=outcome, sw=sw.hex())
        except Exception:
            log.error("could not audit a PIN try on card %s", self.card_id)


def open_card(office: Office, card_id: str, clock: Clock) -> StoreCard:
    """The card ``card_id`` as a reader sees it; ``StateError`` if J-LIS has not made it."""
    return StoreCard(office, card_id, clock)


# -- a demo card ---------------------------------------------------------------------------

DEMO_PINS = {"sign": "NOTO2025", "auth": "4821", "resident": "4821", "card_info": "4821"}
DEMO_MUNICIPALITY = ("174076", "中能登町", "石川県")


def issue_demo_card(
    office: Office, at: datetime, *, pins: dict[str, str] | None = None, certificates: str | None = None
) -> str:
    """Register a sample resident and take a card through application, making and hand-over,
    ending at ``at`` (so its certificates are valid then), with the ``certificates`` chosen
    (both/sign/auth/none; default both) and the PINs of those only. Returns the card ID."""
    from datetime import date, timedelta

    from mynacard.ids import IndividualNumber
    from mynacard.services import cards, residents

    pins = dict(pins or DEMO_PINS)
    if certificates is not None:
        from mynacard.rules.certchoice import CertChoice

        chosen = {k.value for k in CertChoice.parse(certificates).kinds} | {"resident", "card_info"}
        pins = {k: v for k, v in pins.items() if k in chosen}
    code, name, prefecture = DEMO_MUNICIPALITY
    with office.work(at=at - timedelta(days=30), actor="demo") as w:
        residents.add_municipality(w, code, name, prefecture)
        resident = residents.register(
            w,
            individual_number=str(IndividualNumber.generate()),
            name="見本 太郎",
            address="石川県鹿島郡中能登町能登部下91部23番地",
            birth_date=date(1990, 6, 15),
            sex="1",
            municipality_code=code,
        )
        card_id = cards.apply(w, resident.id, channel="online", certificates=certificates).card.id
    with office.work(at=at - timedelta(days=20), actor="demo J-LIS") as w:
        cards.make(w, card_id)
    with office.work(at=at, actor="demo clerk") as w:
        cards.issue(w, card_id, identity_documents=["drivers_license"], pins=pins)
    return card_id
