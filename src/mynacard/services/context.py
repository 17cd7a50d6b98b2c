"""The office (configuration) and the unit of work every workflow runs in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mynacard.crypto import KeyGenerator, new_rsa_key
from mynacard.db.models import Event
from mynacard.db.store import Store
from mynacard.errors import ConflictError, MynaError, PinError, StateError
from mynacard.rules.wareki import both
from mynacard.services import statuses
from mynacard.timeutil import JST, jst_date, require_aware


@dataclass
class Office:
    """Everything a workflow needs besides its arguments: the store, the master key that seals
    private keys, the key generator of the chips (fresh keys in the product, a pool in tests)
    and the CA settings (base URL of CRLs and OCSP)."""

    store: Store
    master_key: bytes
    keygen: KeyGenerator = new_rsa_key
    base_url: str = "http://127.0.0.1:8000"
    options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # The store derives the keys of the audit chain and of the numbers at rest from it.
        self.store.bind_keys(self.master_key)
        self.store.check_key()

    @contextmanager
    def work(self, *, at: datetime, actor: str) -> Iterator[Work]:
        """One transaction. Committed when the block ends; rolled back on any error, except a
        PIN error: the try it spent must stay spent (R_PIN_4), and workflows check PINs before
        changing anything else. A change the store's constraints refuse (a concurrent duplicate,
        a second current card) is a ``ConflictError``, never a database error. Before the commit,
        the revocation status it changed is published (``mynacard.services.revocation``)."""
        require_aware(at)
        with self.store.write_lock, self.store.sessions() as session:
            w = Work(self, session, at, actor)
            try:
                try:
                    yield w
                    session.flush()
                except PinError:
                    _publish(w)
                    session.commit()
                    raise
                except MynaError as e:
                    # A refusal whose record must outlive it (a replayed login code withdraws the
                    # tokens it gave) keeps what the unit of work did before the refusal.
                    if getattr(e, "keep_changes", False):
                        session.commit()
                    else:
                        session.rollback()
                    raise
                except BaseException:
                    session.rollback()
                    raise
                else:
                    _publish(w)
                    session.commit()
            except IntegrityError as e:
                session.rollback()
                raise ConflictError(_constraint(e)) from None


def _publish(w: Work) -> None:
    """Keep OCSP responses and CRLs current with the statuses this unit of work changed."""
    if not statuses.pending(w.session):
        return  # nothing to publish: a read-only command need not load the CA
    from mynacard.services.revocation import settle

    settle(w)


@dataclass
class Work:
    office: Office
    session: Session
    at: datetime
    actor: str
    _in_order: set[str] = field(default_factory=set, init=False, repr=False)
    #: What this unit of work loaded once and uses again (the CAs with their unsealed keys).
    memo: dict[Any, Any] = field(default_factory=dict, init=False, repr=False)

    @property
    def today(self) -> date:
        """The Japan date of this unit of work."""
        return jst_date(self.at)

    def log(
        self,
        action: str,
        *,
        resident_id: int | None = None,
        card_id: str | None = None,
        serial: int | None = None,
        **details: Any,
    ) -> Event:
        """Append a step to the event log. Never put an individual number or a PIN in ``details``.

        Simulated time must not run backwards for a card: a step of a card's life dated before
        the card's last recorded step (a hand-over before the making, ...) is refused."""
        if card_id is not None and card_id not in self._in_order:
            self._check_order(card_id)
            self._in_order.add(card_id)  # this unit of work's own steps are all dated at ``at``
        ev = Event(
            at=self.at,
            actor=self.actor,
            action=action,
            resident_id=resident_id,
            card_id=card_id,
            certificate_serial=serial,
            details=details,
        )
        self.session.add(ev)
        return ev

    def serialize(self, name: str) -> None:
        """Hold a lock named ``name`` until this unit of work ends, for first-use paths and
        counters that have no row to lock yet (the first CA, the next receipt number). On
        PostgreSQL a transaction-scoped advisory lock; on SQLite the store's write lock, which
        the unit of work already holds. Read again after it: another transaction may just
        have committed what this one was about to create."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:n))"), {"n": "mynacard:" + name})

    def _check_order(self, card_id: str) -> None:
        # "a step after self.at": found by the events index on ``at`` (and on PostgreSQL in the
        # yearly partitions from self.at on), not by reading every step of the card. Not flushed
        # first: this unit of work's own pending steps are all at self.at.
        with self.session.no_autoflush:
            later = self.session.scalar(
                select(Event.id).where(Event.card_id == card_id, Event.at > self.at).limit(1))
        last = None if later is None else self.session.scalar(
            select(func.max(Event.at)).where(Event.card_id == card_id))
        if last is not None and last > self.at:
            raise StateError(
                f"The time {self.at.isoformat()} is before the last recorded step of card {card_id} "
                f"({last.isoformat()}): simulated time cannot run backwards. Use a later --at.",
                f"このカードの直前の記録({both(jst_date(last))} {last.astimezone(JST):%H:%M} JST)"
                "より前の日時では処理できません。",
                card_id=card_id,
                last_at=last.isoformat(),
            )


#: What the store's constraints mean (PostgreSQL names them; SQLite names the columns).
_INVARIANTS = {
    "uq_cards_one_current": "a resident has at most one card in effect",
    "uq_cards_one_pending": "a resident has at most one card being made",
    "cards.resident_id": "a resident has at most one card in effect and one being made",
    "uq_residents_number_hash": "an individual number belongs to one resident",
    "residents.number_hash": "an individual number belongs to one resident",
    "certificates_pkey": "certificate serials are unique",
    "certificates.serial": "certificate serials are unique",
}


def _constraint(e: IntegrityError) -> str:
    """What the refused constraint protects (its name, never the statement's values)."""
    diag = getattr(e.orig, "diag", None)
    name = str(getattr(diag, "constraint_name", None) or "")
    if not name:
        text = next(iter(str(e.orig).splitlines()), "") if e.orig is not None else ""
        name = text.split(":", 1)[-1].strip()[:80] if "constraint failed" in text else ""
    return f"{_INVARIANTS[name]}: {name}" if name in _INVARIANTS else name
