"""Appending to and verifying the audit log.

Each entry's ``hash`` is an HMAC-SHA256 over the previous entry's hash and a canonical JSON of
the entry's own fields, so editing an entry breaks its hash and deleting one breaks the next
entry's ``prev_hash``. The HMAC key is derived from the master key, which is kept outside the
database: whoever can write the database but does not hold the key cannot recompute the chain,
so a rewritten chain fails ``verify`` as well. A successful action's entry is appended in the action's own transaction
(``append_in``), so neither can exist without the other; a refused or failed request is audited
in a transaction of its own (``append``), since its workflow rolled back.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from mynacard.db.staff import AuditEntry
from mynacard.db.store import Store, keys_of
from mynacard.timeutil import require_aware

GENESIS = "0" * 64
_ADVISORY_KEY = 0x6D796E61  # "myna"


def _canonical(e: AuditEntry) -> bytes:
    body = {
        "id": e.id,
        "at": e.at.astimezone(UTC).replace(microsecond=0).isoformat(),
        "actor": e.actor,
        "role": e.role,
        "action": e.action,
        "target": e.target,
        "outcome": e.outcome,
        "details": e.details,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def entry_hash(key: bytes, prev_hash: str, e: AuditEntry) -> str:
    """The entry's link in the chain: HMAC-SHA256 under the audit key (see ``StoreKeys.audit``)."""
    return hmac.new(key, prev_hash.encode() + b"\n" + _canonical(e), hashlib.sha256).hexdigest()


def _clean(details: dict[str, Any]) -> dict[str, Any]:
    """Details are JSON-safe scalars (never a PIN or a number: callers must not pass them)."""
    out: dict[str, Any] = {}
    for k, v in details.items():
        if isinstance(v, str | int | float | bool) or v is None:
            out[k] = v
        else:
            out[k] = str(v)
    return out


def _last(s: Session) -> AuditEntry | None:
    return s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).first()


def append_in(
    s: Session,
    *,
    at: datetime,
    actor: str,
    role: str,
    action: str,
    target: str = "",
    outcome: str = "ok",
    **details: Any,
) -> AuditEntry:
    """Append one entry inside the caller's transaction, so it commits or rolls back with the
    action it records. Appends are serialised until that commit: on PostgreSQL by a
    transaction-scoped advisory lock; on SQLite by the store's write lock, which every unit of
    work holds (``Office.work``)."""
    require_aware(at)
    key = keys_of(s).audit
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_KEY})
    last = _last(s)
    prev = last.hash if last is not None else GENESIS
    e = AuditEntry(
        id=(last.id + 1) if last is not None else 1,
        at=at.replace(microsecond=0),
        actor=actor[:64],
        role=role[:20],
        action=action[:60],
        target=target[:100],
        outcome=outcome[:20],
        details=_clean(details),
        prev_hash=prev,
    )
    e.hash = entry_hash(key, prev, e)
    s.add(e)
    s.flush()
    return e


def append(
    store: Store,
    *,
    at: datetime,
    actor: str,
    role: str,
    action: str,
    target: str = "",
    outcome: str = "ok",
    **details: Any,
) -> AuditEntry:
    """Append one entry in its own transaction (for refusals and errors, whose workflow rolled
    back) and return it."""
    with store.write_lock, store.sessions() as s:
        e = append_in(s, at=at, actor=actor, role=role, action=action, target=target, outcome=outcome, **details)
        s.commit()
        return e


def entries(
    s: Session, *, actor: str | None = None, action: str | None = None, offset: int = 0, limit: int = 100
) -> Sequence[AuditEntry]:
    q = select(AuditEntry)
    if actor:
        q = q.where(AuditEntry.actor == actor)
    if action:
        q = q.where(AuditEntry.action == action)
    return s.scalars(q.order_by(AuditEntry.id.desc()).offset(offset).limit(limit)).all()


@dataclass(frozen=True)
class AuditProblem:
    entry_id: int
    problem: str


def head(store: Store) -> tuple[int, str]:
    """The newest entry's ID and hash: keep them outside the database (print, mail, another
    system) so that ``verify(expect_head=...)`` can tell if entries were cut off the end."""
    with store.sessions() as s:
        last = _last(s)
        return (0, GENESIS) if last is None else (last.id, last.hash)


def verify(store: Store, *, expect_head: tuple[int, str] | None = None) -> tuple[int, list[AuditProblem]]:
    """Walk the chain; return the number of entries and what is wrong (empty when intact).

    An edited entry shows as a hash mismatch; a deleted one as a gap in the IDs and a
    ``prev_hash`` that does not match the entry before. (Deleting the newest entries leaves
    no trace in the chain itself: export the head hash elsewhere to catch that.) A chain rewritten
    without the audit key fails at its first entry.
    """
    key = store.require_keys().audit
    problems: list[AuditProblem] = []
    prev_hash, prev_id, n = GENESIS, 0, 0
    with store.sessions() as s:
        for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id)).yield_per(500):
            n += 1
            if e.id != prev_id + 1:
                problems.append(AuditProblem(e.id, f"entries {prev_id + 1}..{e.id - 1} are missing"))
            if e.prev_hash != prev_hash:
                problems.append(AuditProblem(e.id, "prev_hash does not match the entry before"))
            if not hmac.compare_digest(entry_hash(key, e.prev_hash, e), e.hash):
                problems.append(AuditProblem(e.id, "the entry was edited (hash mismatch)"))
            prev_hash, prev_id = e.hash, e.id
            if expect_head is not None and e.id == expect_head[0] and e.hash != expect_head[1]:
                problems.append(AuditProblem(e.id, "differs from the head recorded outside the database"))
    if expect_head is not None and prev_id < expect_head[0]:
        problems.append(AuditProblem(expect_head[0], f"entries after {prev_id} up to the recorded head were deleted"))
    return n, problems
