"""Reading the audit log for people: filters (staff member, resident, action, outcome, a range of
Japan dates), a page of entries, the count, and every matching entry for an export."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, func, literal, or_, select
from sqlalchemy.orm import Session

from mynacard.db.models import Card
from mynacard.db.staff import AuditEntry, StaffAccount
from mynacard.timeutil import JST


@dataclass(frozen=True)
class AuditFilter:
    """What to show; every field optional. Dates are Japan dates, both ends included."""

    actor: str | None = None
    resident_id: int | None = None
    action: str | None = None
    outcome: str | None = None
    since: date | None = None
    until: date | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        c: list[ColumnElement[bool]] = []
        if self.actor:
            c.append(AuditEntry.actor == self.actor)
        if self.action:
            c.append(AuditEntry.action == self.action)
        if self.outcome:
            c.append(AuditEntry.outcome == self.outcome)
        if self.since:
            c.append(AuditEntry.at >= datetime.combine(self.since, time(), JST))
        if self.until:
            c.append(AuditEntry.at < datetime.combine(self.until + timedelta(days=1), time(), JST))
        if self.resident_id is not None:
            # the resident's own page and forms, and any of the resident's cards
            cards = select(literal("card:") + Card.id).where(Card.resident_id == self.resident_id)
            c.append(or_(AuditEntry.target == f"resident:{self.resident_id}", AuditEntry.target.in_(cards)))
        return c


def count(s: Session, f: AuditFilter) -> int:
    return s.scalar(select(func.count()).select_from(AuditEntry).where(*f.conditions())) or 0


def page(s: Session, f: AuditFilter, *, offset: int = 0, limit: int = 50) -> Sequence[AuditEntry]:
    """Matching entries, newest first."""
    q = select(AuditEntry).where(*f.conditions()).order_by(AuditEntry.id.desc())
    return s.scalars(q.offset(offset).limit(limit)).all()


def every(s: Session, f: AuditFilter, *, batch: int = 1000) -> Iterator[AuditEntry]:
    """Every matching entry, oldest first, read in batches by ID (for an export)."""
    last = 0
    while True:
        q = select(AuditEntry).where(AuditEntry.id > last, *f.conditions()).order_by(AuditEntry.id).limit(batch)
        rows = s.scalars(q).all()
        yield from rows
        if len(rows) < batch:
            return
        last = rows[-1].id


def actors(s: Session) -> Sequence[str]:
    """The staff accounts, for the filter's choices (the log also names CLI users and verifiers)."""
    return s.scalars(select(StaffAccount.username).order_by(StaffAccount.username)).all()
