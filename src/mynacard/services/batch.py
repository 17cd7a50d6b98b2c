"""The daily batch: expire what expired, lapse missed continued uses, list expiry notices (R_USE_3)."""

from __future__ import annotations

from dataclasses import dataclass, field

from mynacard.db import repositories as repo
from mynacard.db.models import CardState, CertStatus, ExpiryNotice
from mynacard.ids import ApplicationId
from mynacard.rules.dates import add_months
from mynacard.rules.events import LifeEvent
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
    municipality's residents are touched; without it (J-LIS, an administrator) all of them."""
    rep = BatchReport()
    today = w.today

    def ours(resident_id: int) -> bool:
        if municipality_code is None:
            return True
        r = repo.resident(w.session, resident_id)
        return r is not None and r.municipality_code == municipality_code

    for cert in repo.certificates(w.session, statuses=[CertStatus.GOOD, CertStatus.HOLD]):
        if cert.expires_on < today and ours(cert.resident_id):
            cert.status = CertStatus.EXPIRED
            rep.expired_certificates.append(format(cert.serial, "x"))
            w.log(
                "certificate_expired",
                resident_id=cert.resident_id,
                card_id=cert.card_id,
                serial=cert.serial,
                kind=cert.kind,
            )
    for c in repo.cards_in_states(w.session, [CardState.ISSUED, CardState.SUSPENDED]):
        if c.expires_on is not None and c.expires_on < today and ours(c.resident_id):
            end_card(w, c, CardState.EXPIRED, LifeEvent.CARD_EXPIRED, "expired")
            rep.expired_cards.append(c.id)
    for mv in repo.moves_awaiting_card(w.session):
        if mv.present_by is not None and mv.present_by < today and ours(mv.resident_id):
            mv.status = "lapsed"
            c = repo.card(w.session, mv.card_id) if mv.card_id else None
            if c is not None and c.state in (CardState.ISSUED, CardState.SUSPENDED):
                end_card(
                    w, c, CardState.LAPSED, LifeEvent.CARD_LAPSED, "not presented for continued use within 90 days"
                )
                rep.lapsed_cards.append(c.id)
    for c in repo.cards_in_states(w.session, [CardState.ISSUED]):
        r = repo.resident(w.session, c.resident_id)
        if r is None or r.period_of_stay_end is not None or not ours(r.id):
            continue  # none for cards bound to a period of stay (R_USE_3)
        due = [("card", c.expires_on)]
        due += [
            ("certificate", cert.expires_on)
            for cert in repo.certificates_of_card(w.session, c.id)
            if cert.status == CertStatus.GOOD and cert.expires_on < (c.expires_on or cert.expires_on)
        ]
        for subject, expires in due:
            if expires is None:
                continue
            if not add_months(expires, -NOTICE_FROM_MONTHS) <= today <= add_months(expires, -NOTICE_UNTIL_MONTHS):
                continue
            if repo.notices_for(w.session, c.id, subject, expires) is not None:
                continue
            n = ExpiryNotice(
                card_id=c.id,
                subject=subject,
                expires_on=expires,
                sent_on=today,
                application_id=ApplicationId.generate(r.municipality_code, today),
            )
            w.session.add(n)
            rep.notices.append(n)
            w.log(
                "expiry_notice",
                resident_id=r.id,
                card_id=c.id,
                subject=subject,
                expires_on=expires.isoformat(),
                application_id=n.application_id,
            )
    w.session.flush()
    return rep
