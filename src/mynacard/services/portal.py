"""The holder's own portal (マイナポータル相当): what a holder sees after logging in with the card.

The portal is a first-party relying party of the login provider. After the login it shows the
holder's cards and certificates with their states, expiry dates and renewal dates, and the
record of who read the holder's individual number and why (R_NUM_3).
"""

from __future__ import annotations

from typing import Any

from mynacard.db import repositories as repo
from mynacard.db.models import CARD_STATE_JA, CERT_STATUS_JA, CardState, CertStatus
from mynacard.db.provider import LoginClient, LoginRequest, LoginToken
from mynacard.rules.events import CERT_KIND_JA
from mynacard.rules.validity import renewal_window_opens
from mynacard.services import login
from mynacard.services.context import Work
from mynacard.services.residents import NUMBER_PURPOSES

CLIENT_ID = "MYNAPORTAL"
CLIENT_NAME = "マイナポータル(サンドボックス)"


def client(w: Work, callback: str) -> LoginClient:
    """The portal's registration with the provider, made on first use."""
    return login.first_party_client(w, CLIENT_ID, CLIENT_NAME, callback)


def holder(w: Work, access_token: str) -> int:
    """The resident behind a portal login's access token."""
    t = login.bearer(w, access_token, "authorization_code")
    row = w.session.get(LoginRequest, t.request_id)
    if t.client_id != CLIENT_ID or row is None or row.resident_id is None:
        raise login.TokenError("Not a portal login.")
    return row.resident_id


def sign_out(w: Work, access_token: str) -> None:
    t = w.session.get(LoginToken, login.digest(access_token))
    if t is not None:
        w.session.delete(t)


def overview(w: Work, resident_id: int) -> dict[str, Any]:
    """The holder's cards, certificates and number reads, newest first."""
    r = repo.resident(w.session, resident_id)
    assert r is not None
    cards = []
    for card in sorted(
        repo.cards_of(w.session, resident_id), key=lambda c: c.issued_on or c.made_on or w.today, reverse=True
    ):
        if card.state in (CardState.APPLIED, CardState.MADE):
            continue
        certs = []
        for cert in sorted(repo.certificates_of_card(w.session, card.id), key=lambda c: c.not_before, reverse=True):
            certs.append(
                {
                    "kind": cert.kind,
                    "kind_ja": CERT_KIND_JA.get(cert.kind, cert.kind),
                    "serial": f"{cert.serial:X}",
                    "status": cert.status,
                    "status_ja": CERT_STATUS_JA.get(CertStatus(cert.status), cert.status),
                    "expires_on": cert.expires_on,
                    "renewal_from": renewal_window_opens(cert.expires_on) if cert.status == CertStatus.GOOD else None,
                }
            )
        cards.append(
            {
                "id": card.id,
                "state": card.state,
                "state_ja": CARD_STATE_JA.get(CardState(card.state), card.state),
                "issued_on": card.issued_on,
                "expires_on": card.expires_on,
                "renewal_from": renewal_window_opens(card.expires_on)
                if card.expires_on and card.state == CardState.ISSUED
                else None,
                "certificates": certs,
            }
        )
    reads = [
        {"at": n.at, "actor": n.actor, "purpose": n.purpose, "purpose_ja": NUMBER_PURPOSES.get(n.purpose, n.purpose)}
        for n in sorted(repo.number_reads(w.session, resident_id), key=lambda n: n.at, reverse=True)
    ]
    w.log("portal_viewed", resident_id=resident_id)
    return {"name": r.name, "cards": cards, "number_reads": reads}
