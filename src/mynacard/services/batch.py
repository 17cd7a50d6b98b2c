"""The daily batch: expire what expired, lapse missed continued uses, list expiry notices (R_USE_3).

Set-based and in chunks: each step takes at most ``chunk`` rows by an index and changes them
with one statement per table (an UPDATE that chooses its own chunk, the events and notices in
one COPY on PostgreSQL), so memory, transaction size and the rows each chunk reads are bounded
whatever the number of cards. ``daily`` runs every step in the
caller's unit of work (the window's and the API's batch); ``run_daily`` runs each chunk in a
unit of work of its own and records a checkpoint with it, so that a batch stopped half-way
(a crash, a kill) resumes where it stopped when it is run again for the same day.

Idempotent: running it twice on a day changes nothing more. The first three steps select only
what is still to do (a good certificate past its date, a card in effect past its expiry, a move
past its deadline); the notice steps select only the due expiry dates and the notices not
sent, walking (expiry date, card ID) in index order.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, case, func, insert, select, tuple_, update

from mynacard.db.copy import insert_rows
from mynacard.db.models import (
    Card,
    CardState,
    Certificate,
    CertStatus,
    Event,
    ExpiryNotice,
    Move,
    Resident,
    StoreMeta,
)
from mynacard.errors import StateError
from mynacard.ids import ApplicationId
from mynacard.rules.dates import add_months
from mynacard.rules.events import LifeEvent, certificate_effects
from mynacard.services import revocation
from mynacard.services.context import Office, Work

NOTICE_FROM_MONTHS = 3  # J-LIS mails the notice 2-3 months before expiry (R_USE_3)
NOTICE_UNTIL_MONTHS = 2
CHUNK = 5000
STEPS = ("certificates", "cards", "moves", "card_notices", "certificate_notices")
LIVE = (CardState.ISSUED, CardState.SUSPENDED)
LIVE_CERTS = (CertStatus.GOOD, CertStatus.HOLD)


@dataclass
class BatchReport:
    expired_cards: list[str] = field(default_factory=list)
    expired_certificates: list[str] = field(default_factory=list)
    lapsed_cards: list[str] = field(default_factory=list)
    notices: list[ExpiryNotice] = field(default_factory=list)
    #: How many of each, also when the lists are not kept (``run_daily``).
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        ("expired_certificates", "expired_cards", "lapsed_cards", "revoked_certificates", "notices"), 0))
    keep: bool = True
    resumed_from: str | None = None


@dataclass(frozen=True)
class _Scope:
    today: date
    municipality_code: str | None

    def residents(self) -> Select[Any] | None:
        if self.municipality_code is None:
            return None
        return select(Resident.id).where(Resident.municipality_code == self.municipality_code)


def daily(w: Work, *, municipality_code: str | None = None, chunk: int = CHUNK, keep: bool = True) -> BatchReport:
    """Run the day's batch at ``w.at`` in the caller's unit of work.

    With ``municipality_code`` (a supervisor's batch) only the cards and certificates of that
    municipality's residents are touched; without it (J-LIS, an administrator) all of them.
    ``keep=False`` counts what was done instead of listing it (national scale)."""
    rep = BatchReport(keep=keep)
    scope = _Scope(w.today, municipality_code)
    for step in STEPS:
        after: str | None = None
        while True:
            n, after = _STEP[step](w, rep, scope, after, chunk)
            if n < chunk:
                break
    w.session.flush()
    return rep


def checkpoint_name(today: date, municipality_code: str | None) -> str:
    return f"batch:{today.isoformat()}:{municipality_code or 'all'}"


def run_daily(
    office: Office,
    *,
    at: datetime,
    actor: str = "batch",
    municipality_code: str | None = None,
    chunk: int = CHUNK,
    progress: Callable[[str, int], None] | None = None,
) -> BatchReport:
    """The day's batch in chunks, one unit of work each, with a checkpoint (resumable).

    The checkpoint (``store_meta`` ``batch:<day>:<scope>`` = ``<step> <last key> <counts>``) is
    written in the same transaction as the chunk it follows, so after a crash the batch starts
    again at the first chunk not committed. ``progress(step, n)`` is told after each chunk.
    The report keeps counts only (bounded memory)."""
    rep = BatchReport(keep=False)
    with office.work(at=at, actor=actor) as w:
        scope = _Scope(w.today, municipality_code)
        name = checkpoint_name(scope.today, municipality_code)
        saved = w.session.get(StoreMeta, name)
        state: dict[str, Any] = json.loads(saved.value) if saved is not None else {"step": STEPS[0], "after": None}
        if saved is not None:
            rep.resumed_from = f"{state['step']} {state.get('after') or ''}".strip()
            rep.counts.update(state.get("counts") or {})
    start = STEPS.index(state["step"]) if state["step"] in STEPS else len(STEPS)
    for i, step in enumerate(STEPS[start:], start):
        after = state["after"] if i == start else None
        while True:
            with office.work(at=at, actor=actor) as w:
                n, after = _STEP[step](w, rep, scope, after, chunk)
                finished = n < chunk
                nxt = {"step": STEPS[i + 1] if i + 1 < len(STEPS) else "done", "after": None} if finished else {
                    "step": step, "after": after}
                _save(w, name, {**nxt, "counts": rep.counts})
            if progress is not None:
                progress(step, n)
            if finished:
                break
    return rep


def _save(w: Work, name: str, state: dict[str, Any]) -> None:
    row = w.session.get(StoreMeta, name)
    value = json.dumps(state, separators=(",", ":"))
    if row is None:
        w.session.add(StoreMeta(name=name, value=value))
    else:
        row.value = value
    w.session.flush()


# --- steps: each takes at most ``limit`` keys after ``after``; returns (how many, last key) ---


def _check_order(w: Work, card_ids: Sequence[str]) -> None:
    """``Work.log``'s rule for many cards at once: no step dated before a card's last one."""
    if not card_ids:
        return
    # "a step after w.at" rather than "the last step of each card": the events index on ``at``
    # (and on PostgreSQL the yearly partitions) finds the few steps after w.at, instead of one
    # probe of every card's steps in every partition.
    found = w.session.execute(
        select(Event.card_id).where(Event.at > w.at, Event.card_id.in_(card_ids)).limit(1)
    ).scalar()
    if found is not None:
        late = (found, w.session.execute(select(func.max(Event.at)).where(Event.card_id == found)).scalar_one())
        raise StateError(
            f"The time {w.at.isoformat()} is before the last recorded step of card {late[0]} "
            f"({late[1].isoformat()}): simulated time cannot run backwards. Use a later --at.",
            f"このカードの直前の記録({late[1]:%Y-%m-%d %H:%M} UTC)より前の日時では処理できません。",
            card_id=late[0],
            last_at=late[1].isoformat(),
        )


def _events(w: Work, rows: list[dict[str, Any]]) -> None:
    """The events of a chunk, in one COPY on PostgreSQL."""
    w.session.flush()
    insert_rows(w.session.connection(), Event.__table__,  # type: ignore[arg-type]
                [{"at": w.at, "actor": w.actor, **r} for r in rows])


def _expire_certificates(w: Work, rep: BatchReport, scope: _Scope, after: str | None, limit: int,
                         ) -> tuple[int, str | None]:
    """Good or held certificates past their date become expired, one event each, and the
    publisher is told which statuses changed."""
    where = [Certificate.status.in_(LIVE_CERTS), Certificate.expires_on < scope.today]
    ours = scope.residents()
    if ours is not None:
        where.append(Certificate.resident_id.in_(ours))
    w.session.flush()
    # One statement: the chunk is chosen by the (status, expires_on) index inside the UPDATE, so
    # no list of serials is sent back and probed in every partition's primary key.
    chunk = select(Certificate.serial).where(*where).limit(limit).scalar_subquery()
    due = w.session.execute(
        update(Certificate).where(*where, Certificate.serial.in_(chunk)).values(status=CertStatus.EXPIRED)
        .returning(Certificate.serial, Certificate.kind, Certificate.municipality_code, Certificate.resident_id,
                   Certificate.card_id).execution_options(synchronize_session=False)
    ).all()
    if not due:
        return 0, after
    _check_order(w, sorted({r.card_id for r in due if r.card_id is not None}))
    _events(w, [{"action": "certificate_expired", "resident_id": r.resident_id, "card_id": r.card_id,
                 "certificate_serial": r.serial, "details": {"kind": r.kind}} for r in due])
    rep.counts["expired_certificates"] += len(due)
    if rep.keep:
        rep.expired_certificates += [format(r.serial, "x") for r in sorted(due, key=lambda r: r.serial)]
    revocation.status_changed(w, [(r.serial, r.kind, r.municipality_code) for r in due])
    return len(due), after


def _end_cards(w: Work, rep: BatchReport, card_ids: Sequence[str], state: CardState, event: LifeEvent,
               reason: str) -> list[str]:
    """Cards lose effect (state, end date and reason), their live certificates revoked as
    ``event`` says (R_CERT_7), one event per card and per certificate. Returns the cards ended."""
    if not card_ids:
        return []
    _check_order(w, card_ids)
    w.session.flush()
    ended = w.session.execute(
        update(Card).where(Card.id.in_(card_ids), Card.state.in_(LIVE))
        .values(state=state, ended_at=w.at, end_reason=reason, continued_use_by=None)
        .returning(Card.id, Card.resident_id).execution_options(synchronize_session=False)
    ).all()
    ids = sorted(r.id for r in ended)
    reasons = {kind.value: effect.reason.value for kind, effect in certificate_effects(event).items()
               if effect.reason is not None}
    revoked: list[Any] = []
    if ids and reasons:  # one statement for every kind: one probe of the card index per partition
        revoked = list(w.session.execute(
            update(Certificate)
            .where(Certificate.card_id.in_(ids), Certificate.kind.in_(sorted(reasons)),
                   Certificate.status.in_(LIVE_CERTS))
            .values(status=CertStatus.REVOKED, revoked_at=w.at,
                    reason=case(reasons, value=Certificate.kind))
            .returning(Certificate.serial, Certificate.kind, Certificate.municipality_code, Certificate.resident_id,
                       Certificate.card_id, Certificate.reason).execution_options(synchronize_session=False)
        ).all())
        revoked.sort(key=lambda r: (r.card_id, r.kind))
    _events(w, [{"action": "certificate_revoked", "resident_id": r.resident_id, "card_id": r.card_id,
                 "certificate_serial": r.serial, "details": {"kind": r.kind, "reason": r.reason}} for r in revoked]
            + [{"action": f"card_{state.value}", "resident_id": r.resident_id, "card_id": r.id,
                "certificate_serial": None, "details": {"reason": reason}} for r in ended])
    revocation.status_changed(w, [(r.serial, r.kind, r.municipality_code) for r in revoked])
    rep.counts["revoked_certificates"] += len(revoked)
    return ids


def _expire_cards(w: Work, rep: BatchReport, scope: _Scope, after: str | None, limit: int,
                  ) -> tuple[int, str | None]:
    q = select(Card.id).where(Card.state.in_(LIVE), Card.expires_on < scope.today)
    ours = scope.residents()
    if ours is not None:
        q = q.where(Card.resident_id.in_(ours))
    # ordered as the (state, expires_on) index is: ordered by the ID alone, PostgreSQL walks
    # the primary key over every card to find the few expired ones
    ids = w.session.scalars(q.order_by(Card.expires_on, Card.id).limit(limit)).all()
    done = _end_cards(w, rep, ids, CardState.EXPIRED, LifeEvent.CARD_EXPIRED, "expired")
    rep.counts["expired_cards"] += len(done)
    if rep.keep:
        rep.expired_cards += done
    return len(ids), after


def _lapse_moves(w: Work, rep: BatchReport, scope: _Scope, after: str | None, limit: int,
                 ) -> tuple[int, str | None]:
    """Moves whose card was not presented within 90 days lapse, and so does the card (R_CARD_8)."""
    q = select(Move.id).where(Move.status == "moved_in", Move.present_by < scope.today)
    ours = scope.residents()
    if ours is not None:
        q = q.where(Move.resident_id.in_(ours))
    moves = w.session.scalars(q.order_by(Move.id).limit(limit)).all()
    if not moves:
        return 0, after
    w.session.flush()
    # the cards of the moves this UPDATE lapsed: not of one presented at the window meanwhile
    lapsed = w.session.execute(update(Move).where(Move.id.in_(moves), Move.status == "moved_in")
                               .values(status="lapsed").returning(Move.card_id)
                               .execution_options(synchronize_session=False)).scalars()
    cards = sorted({c for c in lapsed if c})
    done = _end_cards(w, rep, cards, CardState.LAPSED, LifeEvent.CARD_LAPSED,
                      "not presented within 90 days of moving")  # end_reason is 40 characters at most
    rep.counts["lapsed_cards"] += len(done)
    if rep.keep:
        rep.lapsed_cards += done
    return len(moves), after


def _window(today: date) -> tuple[date, date]:
    """The first and last expiry dates whose notice is due ``today`` (``_due``). ``add_months``
    never decreases, so those dates are one range; it is found among the dates of a superset
    (month ends clip ``add_months``)."""
    lo = add_months(today, NOTICE_UNTIL_MONTHS) - timedelta(days=3)
    hi = add_months(today, NOTICE_FROM_MONTHS) + timedelta(days=3)
    due = [d for d in (lo + timedelta(days=i) for i in range((hi - lo).days + 1)) if _due(today, d)]
    return (due[0], due[-1]) if due else (hi, lo)


def _due(today: date, expires: date) -> bool:
    return add_months(expires, -NOTICE_FROM_MONTHS) <= today <= add_months(expires, -NOTICE_UNTIL_MONTHS)


def _issued(scope: _Scope) -> Select[Any]:
    q: Select[Any] = (select(Card.id, Card.resident_id, Resident.municipality_code)  # type: ignore[assignment]
         .join(Resident, Resident.id == Card.resident_id)
         .where(Card.state == CardState.ISSUED, Resident.period_of_stay_end.is_(None)))
    if scope.municipality_code is not None:
        q = q.where(Resident.municipality_code == scope.municipality_code)
    return q


def _unsent(subject: str, card_id: Any, expires_on: Any) -> Any:
    """No notice of ``subject`` was sent for this card and expiry date (a notice goes out once)."""
    return ~select(ExpiryNotice.id).where(
        ExpiryNotice.card_id == card_id, ExpiryNotice.subject == subject, ExpiryNotice.expires_on == expires_on
    ).exists()


# The notice steps walk their rows in (expiry date, card ID) order, the order of the
# (state/status, expires_on) indexes, from the last key of the chunk before ("<date> <card ID>"):
# each chunk reads about its own rows, not the whole 2-3 month window again.


def _key(expires_on: date, card_id: str) -> str:
    return f"{expires_on.isoformat()} {card_id}"


def _after(expires_on: Any, card_id: Any, after: str | None) -> list[Any]:
    """Conditions for the rows after the key ``after`` (none without one, or for a key of an
    earlier form: the step then starts again, which sends nothing twice)."""
    if after is None or " " not in after:
        return []
    day, last = after.split(" ", 1)
    start = date.fromisoformat(day)
    return [expires_on >= start, tuple_(expires_on, card_id) > tuple_(start, last)]


def _card_notices(w: Work, rep: BatchReport, scope: _Scope, after: str | None, limit: int,
                  ) -> tuple[int, str | None]:
    """Notices for issued cards expiring in 2-3 months (R_USE_3), none for stay-bound cards."""
    lo, hi = _window(scope.today)
    rows = w.session.execute(
        _issued(scope).add_columns(Card.expires_on)
        .where(Card.expires_on.between(lo, hi), _unsent("card", Card.id, Card.expires_on),
               *_after(Card.expires_on, Card.id, after))
        .order_by(Card.expires_on, Card.id).limit(limit)).all()
    _send(w, rep, scope, [(r.id, r.resident_id, r.municipality_code, "card", r.expires_on) for r in rows])
    return len(rows), _key(rows[-1].expires_on, rows[-1].id) if rows else after


def _certificate_notices(w: Work, rep: BatchReport, scope: _Scope, after: str | None, limit: int,
                         ) -> tuple[int, str | None]:
    """Notices for good certificates of issued cards expiring in 2-3 months, before the card:
    one per card and expiry date (both certificates usually expire together).

    Two statements: the chunk of certificates from their (status, expires_on) index, then their
    cards by primary key. One join would have PostgreSQL hash every card in effect for each chunk."""
    lo, hi = _window(scope.today)
    q = (select(Certificate.card_id, Certificate.expires_on)
         .where(Certificate.status == CertStatus.GOOD, Certificate.expires_on.between(lo, hi),
                _unsent("certificate", Certificate.card_id, Certificate.expires_on),
                *_after(Certificate.expires_on, Certificate.card_id, after))
         .order_by(Certificate.expires_on, Certificate.card_id).limit(limit))
    ours = scope.residents()
    if ours is not None:
        q = q.where(Certificate.resident_id.in_(ours))
    rows = w.session.execute(q).all()
    n = len(rows)
    if n == limit:  # the last card's other certificate of that date may be in the next chunk
        rows = [r for r in rows if tuple(r) != tuple(rows[-1])] or rows
    pairs = list(dict.fromkeys((r[0], r[1]) for r in rows))  # one notice per card and date
    ids = sorted({p[0] for p in pairs})
    cards = {r.id: r for r in w.session.execute(
        _issued(scope).add_columns(Card.expires_on).where(Card.id.in_(ids)))} if ids else {}
    due = sorted((cid, c.resident_id, c.municipality_code, "certificate", exp) for cid, exp in pairs
                 if (c := cards.get(cid)) is not None and exp < c.expires_on)
    _send(w, rep, scope, due)
    return n, _key(pairs[-1][1], pairs[-1][0]) if pairs else after


def _send(w: Work, rep: BatchReport, scope: _Scope, due: list[tuple[str, int, str, str, date]]) -> None:
    new = [d for d in due if _due(scope.today, d[4])]  # the queries select only unsent notices
    if not new:
        return
    _check_order(w, [d[0] for d in new])
    rows = [{"card_id": cid, "subject": subject, "expires_on": exp, "sent_on": scope.today,
             "application_id": ApplicationId.generate(code, scope.today)}
            for cid, _, code, subject, exp in new]
    w.session.flush()
    if rep.keep:
        notices = list(w.session.scalars(insert(ExpiryNotice).returning(ExpiryNotice), rows))
        rep.notices += sorted(notices, key=lambda n: (n.card_id, n.subject != "card"))
    else:
        insert_rows(w.session.connection(), ExpiryNotice.__table__, rows)  # type: ignore[arg-type]
    rep.counts["notices"] += len(rows)
    _events(w, [{"action": "expiry_notice", "resident_id": rid, "card_id": cid, "certificate_serial": None,
                 "details": {"subject": subject, "expires_on": exp.isoformat(),
                             "application_id": row["application_id"]}}
                for (cid, rid, _, subject, exp), row in zip(new, rows, strict=True)])


_STEP: dict[str, Callable[[Work, BatchReport, _Scope, str | None, int], tuple[int, str | None]]] = {
    "certificates": _expire_certificates,
    "cards": _expire_cards,
    "moves": _lapse_moves,
    "card_notices": _card_notices,
    "certificate_notices": _certificate_notices,
}
