"""The end of a card's effect: return, number change, and the stay extension (R_CARD_9, R_CARD_10, R_NUM_2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from mynacard.db import repositories as repo
from mynacard.db.models import Card, CardState
from mynacard.errors import NotAllowedError, StateError, ValidationError
from mynacard.ids import IndividualNumber
from mynacard.rules.events import LifeEvent
from mynacard.rules.fees import ReissueReason
from mynacard.rules.validity import extended_card_expiry
from mynacard.services import cards, residents
from mynacard.services.common import card, end_card, require_state
from mynacard.services.context import Work


def return_card(w: Work, card_id: str) -> dict[str, str]:
    """The holder returns the card (返納) at any time; it loses effect (R_CARD_10, R_CERT_7)."""
    c = card(w, card_id)
    require_state(c, CardState.ISSUED, CardState.SUSPENDED, doing="return the card", doing_ja="返納")
    return end_card(w, c, CardState.RETURNED, LifeEvent.CARD_RETURNED, "returned by the holder")


@dataclass(frozen=True)
class NumberChange:
    new_number: IndividualNumber
    old_card: Card | None
    application: cards.Applied


def change_number(
    w: Work, resident_id: int, *, reason: str, new_number: str | None = None, certificates: str | None = None
) -> NumberChange:
    """Change a leaked number (R_NUM_2): the card loses effect and a free reissue is applied for,
    with the certificates the holder chooses (R_CERT_10)."""
    if not reason.strip():
        raise ValidationError(
            "reason", "State why the number is changed (leak and risk of misuse).", "番号変更の理由を入力してください。"
        )
    r = residents.get(w, resident_id)
    number = IndividualNumber(new_number) if new_number else IndividualNumber.generate()
    if repo.has_number(r, number) or repo.resident_by_number(w.session, number) is not None:
        raise StateError("The new number is already in use.", "新しい個人番号はすでに使われています。")
    old = repo.live_card(w.session, r.id)
    if old is not None:
        end_card(w, card(w, old.id), CardState.LAPSED, LifeEvent.NUMBER_CHANGED, "number changed")
    repo.set_number(r, number)
    w.log("number_changed", resident_id=r.id, reason=reason)
    applied = cards.apply(
        w, r.id, kind="new", reason=ReissueReason.NUMBER_CHANGE, channel="window", certificates=certificates
    )
    return NumberChange(number, old, applied)


def extend_for_stay(w: Work, resident_id: int, *, new_period_of_stay_end: date) -> Card:
    """After a visa renewal the card is extended at the window, never beyond the R_CARD_2 date of
    its original issue (R_CARD_9)."""
    r = residents.get(w, resident_id)
    if r.period_of_stay_end is None:
        raise NotAllowedError(
            "This resident's card is not bound to a period of stay.", "在留期間に連動するカードではありません。"
        )
    if new_period_of_stay_end <= r.period_of_stay_end:
        raise ValidationError(
            "new_period_of_stay_end",
            "The new period of stay must end later than the old one.",
            "新しい在留期間の満了日は現在より後の日付にしてください。",
        )
    c = repo.live_card(w.session, r.id)
    r.period_of_stay_end = new_period_of_stay_end
    if c is None:
        raise StateError("No card in effect to extend.", "延長する有効なカードがありません。")
    c = card(w, c.id)
    assert c.limit_on is not None
    before = c.expires_on
    c.expires_on = extended_card_expiry(c.limit_on, new_period_of_stay_end)
    w.log("card_extended", resident_id=r.id, card_id=c.id, before=str(before), after=str(c.expires_on))
    return c
