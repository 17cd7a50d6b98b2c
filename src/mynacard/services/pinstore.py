"""The chip's PIN objects in the store, and the chip state sealed at rest.

**Tries** (R_PIN_4). Each PIN object is a row of ``chip_pins``. A VERIFY spends its try with
one conditional UPDATE (``tries_left = tries_left - 1 WHERE tries_left > 0 RETURNING ...``),
which the database applies atomically on SQLite and on PostgreSQL alike, and *commits* it
before the PIN is compared. So concurrent VERIFYs, from threads, processes, the PC/SC reader,
the API or the CLI, compare exactly as many PINs as the counter allows, and a VERIFY whose
try cannot be recorded compares nothing. A correct entry restores the counter only if the PIN
was not set meanwhile (``generation``), so a reset at the window is never undone.

Inside a workflow (``work=``) the PIN check is a commit point: the workflow must not have
changed anything before it (as before, "workflows check PINs before changing anything"), the
try is committed with the workflow's reads, and the card's row is locked again afterwards.

**Secrets at rest.** Verifiers (``chip.pins.PinVerifier``: HMAC-SHA256 keyed from the master
key; Argon2id in earlier releases, replaced on the next correct entry) are sealed under the
master key (AES-GCM, bound to the card and PIN); the rest of the chip state (card data
with the individual number and the security code, certificates, sealed keys) is sealed as a
whole in ``cards.chip_state``. A state in the first, plain form is upgraded on first read
(``upgrade_chip``) and by ``upgrade_all`` when ``mynacard`` opens a store that was just migrated
or restored (the store's ``chip_upgrade_pending`` marker), not on every command.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from mynacard.chip.counters import PinRef, SpentTry, max_tries, not_set
from mynacard.chip.pins import FacePin, PinId, PinVerifier
from mynacard.chip.state import ChipState
from mynacard.crypto import seal, unseal
from mynacard.db.models import Card, ChipPin
from mynacard.errors import PinLocked
from mynacard.services.context import Office, Work

SEALED_PREFIX = "sealed:"

Clock = Callable[[], datetime]


def _state_context(card_id: str) -> bytes:
    return b"chip_state:" + card_id.encode("utf-8")


def _pin_context(card_id: str, pin: PinRef) -> bytes:
    return b"pin:" + card_id.encode("utf-8") + b":" + pin.value.encode("ascii")


def seal_state(state: ChipState, master_key: bytes) -> str:
    """The text stored in ``cards.chip_state``: the state without its PINs, sealed."""
    raw = state.to_json(include_pins=False).encode("utf-8")
    return SEALED_PREFIX + base64.b64encode(seal(raw, master_key, context=_state_context(state.card_id))).decode()


def is_sealed(text: str) -> bool:
    return text.startswith(SEALED_PREFIX)


def open_state(card_id: str, text: str, master_key: bytes) -> ChipState:
    """The chip state of ``cards.chip_state`` (sealed, or the plain form of version 1)."""
    if not is_sealed(text):
        return ChipState.from_json(text)
    blob = base64.b64decode(text[len(SEALED_PREFIX) :], validate=True)
    return ChipState.from_json(unseal(blob, master_key, context=_state_context(card_id)).decode("utf-8"))


def seal_verifier(card_id: str, pin: PinRef, verifier: PinVerifier, master_key: bytes) -> bytes:
    return seal(verifier.to_bytes(), master_key, context=_pin_context(card_id, pin))


def open_verifier(card_id: str, pin: PinRef, blob: bytes, master_key: bytes) -> PinVerifier:
    return PinVerifier.from_bytes(unseal(blob, master_key, context=_pin_context(card_id, pin)))


def create_pin_rows(session: Session, state: ChipState, master_key: bytes) -> None:
    """The PIN rows of a chip, from its state (a new chip: all unset, counters full)."""
    for pin_id in PinId:
        rec = state.pins.get(pin_id)
        session.add(
            ChipPin(
                card_id=state.card_id,
                pin=pin_id.value,
                tries_left=max_tries(pin_id) if rec is None else rec.tries_left,
                generation=0 if rec is None else rec.generation,
                verifier=None if rec is None else seal_verifier(state.card_id, pin_id, rec.verifier, master_key),
            )
        )
    for face in FacePin:
        session.add(
            ChipPin(
                card_id=state.card_id,
                pin=face.value,
                tries_left=state.face_pin_tries.get(face, max_tries(face)),
                generation=0,
                verifier=None,
            )
        )
    session.flush()


def upgrade_chip(session: Session, card: Card, master_key: bytes) -> ChipState:
    """The card's chip state; a plain (version 1) state is upgraded in this transaction first.

    The conditional UPDATE makes concurrent upgrades safe: only the one that replaces the
    plain text creates the PIN rows.
    """
    text = card.chip_state
    assert text is not None
    if is_sealed(text):
        return open_state(card.id, text, master_key)
    state = ChipState.from_json(text)
    sealed = seal_state(state, master_key)
    done = session.execute(
        update(Card)
        .where(Card.id == card.id, Card.chip_state == text)
        .values(chip_state=sealed)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount == 1:  # type: ignore[attr-defined]
        create_pin_rows(session, state, master_key)
        set_committed_value(card, "chip_state", sealed)
        return state
    session.refresh(card)
    assert card.chip_state is not None
    return open_state(card.id, card.chip_state, master_key)


def upgrade_all(office: Office, at: datetime) -> int:
    """Upgrade every card whose chip state is still in the plain form; returns how many."""
    with office.work(at=at, actor="upgrade") as w:
        ids = w.session.scalars(
            select(Card.id).where(Card.chip_state.is_not(None), Card.chip_state.not_like(SEALED_PREFIX + "%"))
        ).all()
    for card_id in ids:
        with office.work(at=at, actor="upgrade") as w:
            card = w.session.scalars(select(Card).where(Card.id == card_id).with_for_update()).first()
            if card is not None and card.chip_state is not None:
                upgrade_chip(w.session, card, office.master_key)
    office.store.clear_chip_upgrade()
    return len(ids)


class StorePins:
    """``PinCounters`` on the rows of ``chip_pins`` (see the module docstring).

    ``work``: the PINs are used inside that workflow's unit of work (commit points).
    Otherwise (a card in a reader) each operation is a short unit of work of its own at
    ``clock()``.
    """

    def __init__(
        self,
        office: Office,
        card_id: str,
        *,
        work: Work | None = None,
        clock: Clock | None = None,
        actor: str = "card",
    ) -> None:
        if work is None and clock is None:
            raise ValueError("StorePins needs a unit of work or a clock.")
        self.office = office
        self.card_id = card_id
        self.work = work
        self.clock = clock
        self.actor = actor

    # -- transactions ---------------------------------------------------------------------------

    @contextmanager
    def _session(self) -> Iterator[Session]:
        """A session for reads, or for changes that the workflow commits."""
        if self.work is not None:
            yield self.work.session
            return
        assert self.clock is not None
        with self.office.work(at=self.clock(), actor=self.actor) as w:
            yield w.session

    @contextmanager
    def _committed(self) -> Iterator[Session]:
        """A session whose changes are committed when the block ends (before any comparison)."""
        if self.work is None:
            with self._session() as s:
                yield s
            return
        s = self.work.session
        if s.new or s.dirty or s.deleted:
            raise RuntimeError("A workflow checks a PIN before it changes anything (R_PIN_4).")
        yield s
        s.commit()
        # The workflow goes on with its card's row locked again (PostgreSQL) and re-read.
        s.execute(
            select(Card).where(Card.id == self.card_id).with_for_update().execution_options(populate_existing=True)
        )

    def _where(self, pin: PinRef) -> tuple[Any, ...]:
        return (ChipPin.card_id == self.card_id, ChipPin.pin == pin.value)

    # -- PinCounters --------------------------------------------------------------------------------

    def _row(self, s: Session, pin: PinRef) -> tuple[int, bytes | None] | None:
        row = s.execute(select(ChipPin.tries_left, ChipPin.verifier).where(*self._where(pin))).first()
        return None if row is None else (int(row[0]), row[1])

    def tries_left(self, pin: PinRef) -> int:
        with self._session() as s:
            row = self._row(s, pin)
        if row is None or (isinstance(pin, PinId) and row[1] is None):
            return max_tries(pin)
        return row[0]

    def is_set(self, pin: PinId) -> bool:
        with self._session() as s:
            row = self._row(s, pin)
        return row is not None and row[1] is not None

    def _spend_row(self, s: Session, pin: PinRef) -> Any:
        """The conditional UPDATE that spends one try, if one is left."""
        conditions = [*self._where(pin), ChipPin.tries_left > 0]
        if isinstance(pin, PinId):
            conditions.append(ChipPin.verifier.is_not(None))
        stmt = (
            update(ChipPin)
            .where(*conditions)
            .values(tries_left=ChipPin.tries_left - 1)
            .returning(ChipPin.verifier, ChipPin.tries_left, ChipPin.generation)
            .execution_options(synchronize_session=False)
        )
        return s.execute(stmt).first()

    def spend(self, pin: PinRef) -> SpentTry:
        with self._committed() as s:
            row = self._spend_row(s, pin)
            if row is None:
                current = self._row(s, pin)
                if current is None or (isinstance(pin, PinId) and current[1] is None):
                    raise not_set(pin)
                raise PinLocked(pin.value)
        verifier = None if row[0] is None else open_verifier(self.card_id, pin, row[0], self.office.master_key)
        return SpentTry(pin, verifier, int(row[1]), int(row[2]))

    def succeeded(self, spent: SpentTry, verifier: PinVerifier | None = None) -> None:
        values: dict[str, Any] = {"tries_left": max_tries(spent.pin)}
        if verifier is not None:  # an older scheme's verifier replaced, same generation
            values["verifier"] = seal_verifier(self.card_id, spent.pin, verifier, self.office.master_key)
        with self._committed() as s:
            s.execute(
                update(ChipPin)
                .where(*self._where(spent.pin), ChipPin.generation == spent.generation)
                .values(**values)
                .execution_options(synchronize_session=False)
            )

    def set_all(self, verifiers: Mapping[PinId, PinVerifier | None]) -> None:
        """Several PINs at once (a hand-over): one read of which rows exist and one batched
        UPDATE (a single round trip on PostgreSQL), instead of one statement per PIN."""
        table = ChipPin.__table__
        rows = [{"c": self.card_id, "p": pin.value, "t": max_tries(pin),
                 "v": None if v is None else seal_verifier(self.card_id, pin, v, self.office.master_key)}
                for pin, v in verifiers.items()]
        with self._session() as s:
            there = set(s.scalars(select(ChipPin.pin).where(ChipPin.card_id == self.card_id,
                                                             ChipPin.pin.in_([r["p"] for r in rows]))))
            if there:
                s.execute(
                    update(table).where(table.c.card_id == bindparam("c"), table.c.pin == bindparam("p"))
                    .values(tries_left=bindparam("t"), generation=table.c.generation + 1, verifier=bindparam("v")),
                    [r for r in rows if r["p"] in there],
                )
            for r in rows:
                if r["p"] not in there:
                    s.add(ChipPin(card_id=self.card_id, pin=r["p"], tries_left=r["t"], generation=0, verifier=r["v"]))
            s.flush()

    def set(self, pin: PinRef, verifier: PinVerifier | None) -> None:
        # A holder's PIN with no verifier is unset (its certificate revoked, its key removed).
        sealed = None if verifier is None else seal_verifier(self.card_id, pin, verifier, self.office.master_key)
        with self._session() as s:
            done = s.execute(
                update(ChipPin)
                .where(*self._where(pin))
                .values(tries_left=max_tries(pin), generation=ChipPin.generation + 1, verifier=sealed)
                .execution_options(synchronize_session=False)
            )
            if done.rowcount == 0:  # type: ignore[attr-defined]
                s.add(ChipPin(card_id=self.card_id, pin=pin.value, tries_left=max_tries(pin), generation=0,
                              verifier=sealed))
                s.flush()
