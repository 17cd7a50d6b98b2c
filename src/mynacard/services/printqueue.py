"""The print queue of expiry notices (有効期限通知書, R_USE_3): the notices the daily batch made
on a day, and which of them a clerk has printed for mailing.

A notice is marked printed once, by whoever printed it and when (``printed_by``,
``printed_at``); marking it again changes nothing, so two clerks marking the same notices at
the same moment record the first of them. The queue shows the unprinted by default.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import Select, select, update

from mynacard.db.models import Card, ExpiryNotice, Resident
from mynacard.errors import ValidationError
from mynacard.services.context import Work

Show = Literal["unprinted", "printed", "all"]
SHOW_JA: dict[str, str] = {"unprinted": "未印刷", "printed": "印刷済み", "all": "すべて"}
MAX_MARK = 1000  # notices marked in one request (a page of the queue)


def check_show(show: str) -> Show:
    """Which notices to list; anything else is refused with the choices."""
    if show not in SHOW_JA:
        raise ValidationError("show", "show must be unprinted, printed or all.",
                              "表示する通知書は「未印刷」「印刷済み」「すべて」から選んでください。")
    return show  # type: ignore[return-value]


def _scoped(q: Select[Any], municipality_code: str | None) -> Select[Any]:
    return q if municipality_code is None else q.where(Resident.municipality_code == municipality_code)


def notices(w: Work, *, day: date, municipality_code: str | None = None, show: Show = "unprinted",
            ) -> list[dict[str, Any]]:
    """The notices made on ``day`` (of one municipality's residents, or all), in order."""
    q = (select(ExpiryNotice, Card, Resident).join(Card, Card.id == ExpiryNotice.card_id)
         .join(Resident, Resident.id == Card.resident_id).where(ExpiryNotice.sent_on == day))
    if show == "unprinted":
        q = q.where(ExpiryNotice.printed_at.is_(None))
    elif show == "printed":
        q = q.where(ExpiryNotice.printed_at.is_not(None))
    rows = w.session.execute(_scoped(q, municipality_code).order_by(ExpiryNotice.id))
    return [{"id": n.id, "name": r.name, "address": r.address, "rid": r.id, "card_id": c.id,
             "subject": n.subject, "expires_on": n.expires_on, "application_id": n.application_id,
             "printed_at": n.printed_at, "printed_by": n.printed_by} for n, c, r in rows]


def counts(w: Work, *, day: date, municipality_code: str | None = None) -> dict[str, int]:
    """How many of the day's notices are printed and not yet."""
    q = (select(ExpiryNotice.printed_at.is_not(None)).join(Card, Card.id == ExpiryNotice.card_id)
         .join(Resident, Resident.id == Card.resident_id).where(ExpiryNotice.sent_on == day))
    flags = list(w.session.scalars(_scoped(q, municipality_code)))
    printed = sum(1 for f in flags if f)
    return {"printed": printed, "unprinted": len(flags) - printed, "all": len(flags)}


@dataclass(frozen=True)
class Marked:
    """What a marking did: the notices it marked, those printed before, those not found (unknown,
    or of another municipality: the same to the caller)."""

    marked: list[int]
    already: int
    unknown: int


def mark_printed(w: Work, notice_ids: Sequence[int], *, municipality_code: str | None = None) -> Marked:
    """Mark the notices printed by ``w.actor`` at ``w.at``; a notice printed before keeps who
    printed it first."""
    ids = sorted(set(notice_ids))
    if not ids:
        raise ValidationError("notice", "Choose the notices that were printed.",
                              "印刷済みにする通知書を選んでください。")
    if len(ids) > MAX_MARK:
        raise ValidationError("notice", f"At most {MAX_MARK} notices at a time.",
                              f"一度に印刷済みにできる通知書は{MAX_MARK}件までです。")
    ours = select(ExpiryNotice.id).join(Card, Card.id == ExpiryNotice.card_id).join(
        Resident, Resident.id == Card.resident_id).where(ExpiryNotice.id.in_(ids))
    allowed = list(w.session.scalars(_scoped(ours, municipality_code)))
    done: list[int] = []
    if allowed:
        at: datetime = w.at
        done = sorted(w.session.execute(
            update(ExpiryNotice).where(ExpiryNotice.id.in_(allowed), ExpiryNotice.printed_at.is_(None))
            .values(printed_at=at, printed_by=w.actor[:64]).returning(ExpiryNotice.id)
            .execution_options(synchronize_session=False)).scalars().all())
    return Marked(done, len(allowed) - len(done), len(ids) - len(allowed))
