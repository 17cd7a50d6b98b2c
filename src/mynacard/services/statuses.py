"""Which certificates' status a unit of work changed: noted on the session as it flushes, so the
revocation publisher (``services.revocation``, loaded only when needed) can bring the OCSP
responses and CRLs up to those changes before the commit (R_CERT_8)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from mynacard.db.models import Certificate

CHANGED = "mynacard.status_changed"


def note(session: Session, changes: list[tuple[int, str, str]] | set[tuple[int, str, str]]) -> None:
    """Note certificates (serial, kind, municipality code) whose status a statement changed."""
    session.info.setdefault(CHANGED, set()).update(changes)


def pending(session: Session) -> bool:
    """Whether this session changed a status not yet published (flushed or not)."""
    return bool(session.info.get(CHANGED)) or any(
        isinstance(o, Certificate) and inspect(o).attrs.status.history.has_changes() for o in session.dirty
    )


def _collect(session: Session, _ctx: Any, _instances: Any) -> None:
    changed: set[tuple[int, str, str]] = session.info.setdefault(CHANGED, set())
    for obj in session.dirty:
        if isinstance(obj, Certificate) and inspect(obj).attrs.status.history.has_changes():
            changed.add((obj.serial, obj.kind, obj.municipality_code))


event.listen(Session, "before_flush", _collect)
