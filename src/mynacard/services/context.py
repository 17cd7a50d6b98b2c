"""The office (configuration) and the unit of work every workflow runs in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from mynacard.crypto import KeyGenerator, new_rsa_key
from mynacard.db.models import Event
from mynacard.db.store import Store
from mynacard.errors import MynaError, PinError
from mynacard.timeutil import jst_date, require_aware


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
        changing anything else. Before the commit, the revocation status it changed is published
        (``mynacard.services.revocation``)."""
        require_aware(at)
        with self.store.write_lock, self.store.sessions() as session:
            w = Work(self, session, at, actor)
            try:
                yield w
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


def _publish(w: Work) -> None:
    """Keep OCSP responses and CRLs current with the statuses this unit of work changed."""
    from mynacard.services.revocation import settle

    settle(w)


@dataclass
class Work:
    office: Office
    session: Session
    at: datetime
    actor: str

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
        """Append a step to the event log. Never put an individual number or a PIN in ``details``."""
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
