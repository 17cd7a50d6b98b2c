"""Look-ups and guards shared by the workflows."""

from __future__ import annotations

import secrets

from mynacard.db import repositories as repo
from mynacard.db.models import CARD_STATE_JA, Card, CardState, Certificate, Resident
from mynacard.errors import NotFoundError, StateError
from mynacard.rules.events import Action, CertKind, LifeEvent, certificate_effects
from mynacard.services import pki
from mynacard.services.context import Work


def new_card_id() -> str:
    return secrets.token_hex(6).upper()


def card(w: Work, card_id: str, *, for_update: bool = True) -> Card:
    c = repo.card(w.session, card_id, for_update=for_update)
    if c is None:
        raise NotFoundError(
            f"No card with ID {card_id}. Check the card ID (mynacard card show).",
            f"カードID {card_id} のカードはありません。",
            card_id=card_id,
        )
    return c


def resident_of(w: Work, c: Card) -> Resident:
    r = repo.resident(w.session, c.resident_id)
    assert r is not None
    return r


def live_card(w: Work, resident_id: int) -> Card:
    """The resident's card in effect (issued or suspended), or a StateError saying there is none."""
    c = repo.live_card(w.session, resident_id)
    if c is None:
        raise StateError(
            f"Resident {resident_id} has no card in effect. Apply for a card first.",
            "有効な個人番号カードがありません。交付申請を行ってください。",
            resident_id=resident_id,
        )
    return c


def require_state(c: Card, *states: CardState, doing: str, doing_ja: str) -> None:
    if c.state not in states:
        allowed = " or ".join(s.value for s in states)
        raise StateError(
            f"Cannot {doing}: card {c.id} is {c.state} (it must be {allowed}).",
            f"{doing_ja}できません。カードの状態は「{CARD_STATE_JA[CardState(c.state)]}」です。",
            card_id=c.id,
            state=c.state,
        )


def current_cert(w: Work, card_id: str, kind: CertKind) -> Certificate | None:
    return repo.current_certificate(w.session, card_id, kind.value)


def apply_event(w: Work, c: Card, event: LifeEvent) -> dict[str, str]:
    """Apply the certificate effects of ``event`` to the card's current certificates
    (R_CERT_5..7, R_LOSS_1, R_LOSS_3). Returns what happened to each kind."""
    done: dict[str, str] = {}
    for kind, effect in certificate_effects(event).items():
        cert = current_cert(w, c.id, kind)
        if cert is None:
            continue
        if effect.action is Action.HOLD and cert.status == "good":
            pki.hold(w, cert)
        elif effect.action is Action.RELEASE and cert.status == "hold":
            pki.release(w, cert)
        elif effect.action is Action.REVOKE:
            assert effect.reason is not None
            pki.revoke(w, cert, effect.reason)
        else:
            continue
        done[kind.value] = effect.action.value
    if "revoke" in done.values() and c.state in (CardState.ISSUED, CardState.SUSPENDED):
        refresh_face_cert_expiry(w, c)  # the card stays in effect with fewer certificates
    return done


def refresh_face_cert_expiry(w: Work, c: Card) -> None:
    """The card face's 電子証明書の有効期限 記載欄: the earliest expiry of the certificates in
    effect on the card (the holder writes it there), None when it carries none."""
    dates = [x.expires_on for k in CertKind if (x := current_cert(w, c.id, k)) is not None]
    c.cert_expires_on = min(dates) if dates else None


def end_card(w: Work, c: Card, state: CardState, event: LifeEvent, reason: str) -> dict[str, str]:
    """The card loses effect: its state, and both certificates revoked (R_CERT_7)."""
    c.state = state
    c.ended_at = w.at
    c.end_reason = reason
    c.continued_use_by = None
    done = apply_event(w, c, event)
    w.log(f"card_{state.value}", resident_id=c.resident_id, card_id=c.id, reason=reason)
    return done
