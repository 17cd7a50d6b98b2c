"""Loss, theft and finding (R_LOSS_1..3): the 24/7 hotline, the window's loss report, the release."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from mynacard.chip import KeySlot
from mynacard.db import repositories as repo
from mynacard.db.models import Card, CardState
from mynacard.errors import NotFoundError, StateError, ValidationError
from mynacard.ids import IndividualNumber
from mynacard.rules.events import LifeEvent
from mynacard.rules.text import check_all, search_key
from mynacard.services.chips import chip_of
from mynacard.services.common import apply_event, card, live_card, require_state, resident_of
from mynacard.services.context import Work

HOTLINES = {
    "free": "0120-95-0178",  # マイナンバー総合フリーダイヤル
    "paid": "0570-783-578",  # マイナンバーカードコールセンター
    "fallback": "050-3818-1250",
}


@dataclass(frozen=True)
class Suspension:
    reference: str
    card: Card
    certificates: dict[str, str]


def hotline_suspend(
    w: Work,
    *,
    name: str,
    birth_date: date,
    individual_number: str | None = None,
    address: str | None = None,
    caller: str = "holder",
) -> Suspension:
    """The hotline call (any hour, independent of the window, R_LOSS_1): after the identity
    questions, suspend the card and put both certificates on hold. Returns the reference number."""
    check_all({"name": name, "address": address, "caller": caller})
    if individual_number:
        r = repo.resident_by_number(w.session, IndividualNumber(individual_number))
        candidates = [r] if r is not None else []
    else:
        candidates = list(repo.residents_named(w.session, name, birth_date))
    # the name as the caller says it: width, spaces, kana for kanji and 異体字 do not count
    key = search_key(name)
    matches = [
        r for r in candidates
        if key and key in (r.name_key, r.kana_key) and r.birth_date == birth_date
        and (not address or search_key(address) == search_key(r.address))
    ]
    if len(matches) != 1:
        raise NotFoundError(
            "The caller's answers do not identify one cardholder: ask for the name, date of birth and "
            "address (or the individual number) again.",
            "本人確認ができませんでした。氏名・生年月日・住所(または個人番号)をもう一度確認してください。",
        )
    r = matches[0]
    c = live_card(w, r.id)
    c = card(w, c.id)
    require_state(c, CardState.ISSUED, doing="suspend the card", doing_ja="一時停止")
    c.state = CardState.SUSPENDED
    c.suspended_at = w.at
    done = apply_event(w, c, LifeEvent.HOTLINE_SUSPENSION)
    ref = f"H{w.at:%Y%m%d}-{secrets.token_hex(3).upper()}"
    w.log("card_suspended", resident_id=r.id, card_id=c.id, reference=ref, caller=caller, channel="hotline")
    return Suspension(ref, c, done)


def report_loss(w: Work, card_id: str, *, kind: str = "loss", police_report: str | None = None) -> Card:
    """The loss report at the window (R_LOSS_2). Suspends the card if the hotline did not."""
    if kind not in ("loss", "theft"):
        raise ValidationError("kind", "A loss report is for a 'loss' or a 'theft'.", "紛失または盗難を選んでください。")
    c = card(w, card_id)
    require_state(c, CardState.ISSUED, CardState.SUSPENDED, doing="report a loss", doing_ja="紛失の届出")
    done = {}
    if c.state == CardState.ISSUED:
        c.state = CardState.SUSPENDED
        c.suspended_at = w.at
        done = apply_event(w, c, LifeEvent.HOTLINE_SUSPENSION)
    w.log(
        "loss_reported",
        resident_id=c.resident_id,
        card_id=c.id,
        kind=kind,
        police_report=police_report or "",
        holds=done,
    )
    return c


def found(w: Work, card_id: str) -> dict[str, str]:
    """The card was found: lift the suspension (一時停止解除) and the holds (R_LOSS_3). A municipality
    whose setting is "reissue" revokes the certificates instead, as J-LIS advises today."""
    c = card(w, card_id)
    require_state(c, CardState.SUSPENDED, doing="lift the suspension", doing_ja="一時停止を解除")
    m = repo.municipality(w.session, resident_of(w, c).municipality_code)
    if m is None:
        raise NotFoundError("The card's municipality is unknown.", "市区町村が見つかりません。")
    event = LifeEvent.FOUND_STRICT if m.found_policy == "reissue" else LifeEvent.FOUND
    c.state = CardState.ISSUED
    c.suspended_at = None
    done = apply_event(w, c, event)
    if event is LifeEvent.FOUND_STRICT:
        chip = chip_of(w, c)
        for slot in KeySlot:
            chip.clear_slot(slot)
    w.log("card_found", resident_id=c.resident_id, card_id=c.id, certificates=done, policy=m.found_policy)
    return done


def revoke_after_hold(w: Work, card_id: str) -> dict[str, str]:
    """Revoke the held certificates instead of releasing them (R_CERT_6); the card stays suspended."""
    c = card(w, card_id)
    require_state(c, CardState.SUSPENDED, doing="revoke held certificates", doing_ja="保留中の証明書を失効")
    done = apply_event(w, c, LifeEvent.HOLD_THEN_REVOKE)
    if not done:
        raise StateError("No certificate of this card is on hold.", "一時保留中の電子証明書はありません。")
    return done
