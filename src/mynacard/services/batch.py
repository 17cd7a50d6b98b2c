"""The daily batch: expire what expired, lapse missed continued uses, list expiry notices (R_USE_3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Select, insert, select, update
from sqlalchemy.orm import defer

from mynacard.db import repositories as repo
from mynacard.db.models import Card, CardState, Certificate, CertStatus, Event, ExpiryNotice, Move, Resident
from mynacard.ids import ApplicationId
from mynacard.rules.dates import add_months
from mynacard.rules.events import LifeEvent
from mynacard.services import revocation
from mynacard.services.common import end_card
from mynacard.services.context import Work

NOTICE_FROM_MONTHS = 3  # J-LIS mails the notice 2-3 months before expiry (R_USE_3)
NOTICE_UNTIL_MONTHS = 2


@dataclass
class BatchReport:
    expired_cards: list[str] = field(default_factory=list)
    expired_certificates: list[str] = field(default_factory=list)
    lapsed_cards: list[str] = field(default_factory=list)
    notices: list[ExpiryNotice] = field(default_factory=list)


def daily(w: Work, *, municipality_code: str | None = None) -> BatchReport:
    """Run the day's batch at ``w.at``. Idempotent: running it twice on a day changes nothing more.

    With ``municipality_code`` (a supervisor's batch) only the cards and certificates of that
    municipality's residents are touched; without it (J-LIS, an administrator) all of them.
    Set-based: each step is one or two statements over the indexed columns it needs, whatever
    the number of cards; only the cards that end today are loaded as objects."""
    rep = BatchReport()
    today = w.today
    ours = (
        select(Resident.id).where(Resident.municipality_code == municipality_code)
        if municipality_code is not None
        else None
    )
    _expire_certificates(w, rep, ours)
    cards = select(Card).options(defer(Card.chip_state)).where(
        Card.state.in_([CardState.ISSUED, CardState.SUSPENDED]), Card.expires_on < today
    )
    if ours is not None:
        cards = cards.where(Card.resident_id.in_(ours))
    expired = w.session.scalars(cards.order_by(Card.id)).all()
    for c in expired:
        end_card(w, c, CardState.EXPIRED, LifeEvent.CARD_EXPIRED, "expired")
        rep.expired_cards.append(c.id)
    moves = select(Move).where(Move.status == "moved_in", Move.present_by < today)
    if ours is not None:
        moves = moves.where(Move.resident_id.in_(ours))
    for mv in w.session.scalars(moves).all():
        mv.status = "lapsed"
        c = repo.card(w.session, mv.card_id) if mv.card_id else None
        if c is not None and c.state in (CardState.ISSUED, CardState.SUSPENDED):
            end_card(w, c, CardState.LAPSED, LifeEvent.CARD_LAPSED, "not presented for continued use within 90 days")
            rep.lapsed_cards.append(c.id)
    _notices(w, rep, municipality_code)
    w.session.flush()
    return rep


def _expire_certificates(w: Work, rep: BatchReport, ours: Select[tuple[int]] | None) -> None:
    """Good or held certificates past their date become expired: one UPDATE, one event each,
    and the publisher told which statuses changed."""
    live = [CertStatus.GOOD, CertStatus.HOLD]
    where = [Certificate.status.in_(live), Certificate.expires_on < w.today]
    if ours is not None:
        where.append(Certificate.resident_id.in_(ours))
    due = w.session.execute(
        select(Certificate.serial, Certificate.kind, Certificate.municipality_code, Certificate.resident_id,
               Certificate.card_id).where(*where)
    ).all()
    if not due:
        return
    w.session.flush()
    w.session.execute(
        update(Certificate).where(*where)
        .values(status=CertStatus.EXPIRED).execution_options(synchronize_session="fetch")
    )
    w.session.execute(insert(Event), [
        {"at": w.at, "actor": w.actor, "action": "certificate_expired", "resident_id": r.resident_id,
         "card_id": r.card_id, "certificate_serial": r.serial, "details": {"kind": r.kind}} for r in due])
    rep.expired_certificates += [format(r.serial, "x") for r in due]
    revocation.status_changed(w, [(r.serial, r.kind, r.municipality_code) for r in due])


def _notices(w: Work, rep: BatchReport, municipality_code: str | None) -> None:
    """Expiry notices for issued cards and their good certificates due in 2-3 months (R_USE_3),
    none for cards bound to a period of stay; each (card, subject, expiry) once."""
    today = w.today
    lo = add_months(today, NOTICE_UNTIL_MONTHS) - timedelta(days=3)  # a superset of the window:
    hi = add_months(today, NOTICE_FROM_MONTHS) + timedelta(days=3)  # month ends clip add_months
    issued = (select(Card.id, Card.resident_id, Card.expires_on, Resident.municipality_code)
              .join(Resident, Resident.id == Card.resident_id)
              .where(Card.state == CardState.ISSUED, Resident.period_of_stay_end.is_(None)))
    if municipality_code is not None:
        issued = issued.where(Resident.municipality_code == municipality_code)
    due: list[tuple[str, int, str, str, date]] = [
        (cid, rid, code, "card", exp)
        for cid, rid, exp, code in w.session.execute(issued.where(Card.expires_on.between(lo, hi)))
    ]
    certs = (select(Card.id, Card.resident_id, Resident.municipality_code, Certificate.expires_on)
             .join(Resident, Resident.id == Card.resident_id)
             .join(Certificate, Certificate.card_id == Card.id)
             .where(Card.state == CardState.ISSUED, Resident.period_of_stay_end.is_(None),
                    Certificate.status == CertStatus.GOOD, Certificate.expires_on.between(lo, hi),
                    Certificate.expires_on < Card.expires_on))
    if municipality_code is not None:
        certs = certs.where(Resident.municipality_code == municipality_code)
    due += [(cid, rid, code, "certificate", exp) for cid, rid, code, exp in w.session.execute(certs)]
    due = [d for d in due if add_months(d[4], -NOTICE_FROM_MONTHS) <= today <= add_months(d[4], -NOTICE_UNTIL_MONTHS)]
    if not due:
        return
    sent: set[tuple[str, str, date]] = set()
    ids = sorted({d[0] for d in due})
    for i in range(0, len(ids), 500):
        q = select(ExpiryNotice.card_id, ExpiryNotice.subject, ExpiryNotice.expires_on).where(
            ExpiryNotice.card_id.in_(ids[i : i + 500]))
        sent.update((c, s, e) for c, s, e in w.session.execute(q))
    for card_id, resident_id, code, subject, expires in sorted(due, key=lambda d: (d[0], d[3] != "card")):
        if (card_id, subject, expires) in sent:
            continue
        sent.add((card_id, subject, expires))
        n = ExpiryNotice(card_id=card_id, subject=subject, expires_on=expires, sent_on=today,
                         application_id=ApplicationId.generate(code, today))
        w.session.add(n)
        rep.notices.append(n)
        w.log("expiry_notice", resident_id=resident_id, card_id=card_id, subject=subject,
              expires_on=expires.isoformat(), application_id=n.application_id)
