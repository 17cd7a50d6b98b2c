"""Renewals due: the cards and certificates whose renewal window is open (R_CARD_6, R_CERT_3).

One query and one rule for the window's page, the API and the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from mynacard.db.models import Card, CardState, Certificate, CertStatus, Resident
from mynacard.errors import ValidationError
from mynacard.rules.validity import in_renewal_window, renewal_window_opens
from mynacard.services.context import Work

#: What falls due: the card itself or one of its certificates (``sign``, ``auth``).
CARD = "card"


@dataclass(frozen=True)
class Due:
    what: str  # CARD, "sign" or "auth"
    expires_on: date
    window_opens: date
    in_window: bool  # inside the window on the range's last day (not yet past the expiry)


@dataclass(frozen=True)
class CardRenewals:
    resident_id: int
    resident_name: str
    card_id: str
    due: list[Due]

    @property
    def first_expiry(self) -> date:
        return min(d.expires_on for d in self.due)


def renewals_due(
    w: Work, *, municipality_code: str | None, until: date, since: date | None = None
) -> list[CardRenewals]:
    """Live cards (issued or suspended) with something whose renewal window opens by ``until``.

    ``municipality_code`` limits the list to one municipality's residents (None: every one).
    ``since`` leaves out what expired before it (None: keep what is already past its expiry,
    still to be renewed). Sorted by the earliest expiry.
    """
    if since is not None and since > until:
        raise ValidationError(
            "since",
            f"The range starts ({since}) after it ends ({until}): give since on or before until.",
            "期間の開始日が終了日より後です。",
        )

    def falls_due(expires_on: date) -> bool:
        return renewal_window_opens(expires_on) <= until and (since is None or expires_on >= since)

    q = (
        select(Card, Resident)
        .join(Resident, Resident.id == Card.resident_id)
        .where(Card.state.in_([CardState.ISSUED, CardState.SUSPENDED]))
        .order_by(Card.id)
    )
    if municipality_code is not None:
        q = q.where(Resident.municipality_code == municipality_code)
    rows = []
    for c, r in w.session.execute(q).all():
        due = []
        if c.expires_on and falls_due(c.expires_on):
            due.append(_due(CARD, c.expires_on, until))
        for cert in w.session.scalars(
            select(Certificate)
            .where(Certificate.card_id == c.id, Certificate.status == CertStatus.GOOD)
            .order_by(Certificate.kind.desc())  # sign, then auth
        ):
            if falls_due(cert.expires_on):
                due.append(_due(str(cert.kind), cert.expires_on, until))
        if due:
            rows.append(CardRenewals(r.id, r.name, c.id, due))
    rows.sort(key=lambda x: x.first_expiry)
    return rows


def _due(what: str, expires_on: date, until: date) -> Due:
    return Due(what, expires_on, renewal_window_opens(expires_on), in_renewal_window(expires_on, until))
