"""Reissue fees, free cases and express issuance (R_LOSS_4, R_LOSS_5)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from mynacard.rules.dates import age_on


class ReissueReason(StrEnum):
    """Why a card is (re)issued. The Japanese labels are for screens and receipts."""

    FIRST_ISSUE = "first_issue"  # 初回交付
    RENEWAL = "renewal"  # 有効期限による更新
    LOSS = "loss"  # 紛失 (holder's responsibility)
    THEFT = "theft"  # 盗難
    LOSS_NOT_HOLDERS_FAULT = "loss_not_holders_fault"  # 本人の責によらない紛失
    DAMAGE = "damage"  # 著しい損傷
    DISASTER = "disaster"  # 災害 (罹災証明)
    NOTES_FULL = "notes_full"  # 追記欄の余白なし
    NUMBER_CHANGE = "number_change"  # 個人番号の変更
    ADMIN_ERROR = "admin_error"  # 市区町村・J-LIS の誤り
    RETURN_FROM_ABROAD = "return_from_abroad"  # 国外転出者の帰国
    LAPSED = "lapsed"  # 失効後の再申請 (e.g. continued use missed)


REASON_JA = {
    ReissueReason.FIRST_ISSUE: "新規交付",
    ReissueReason.RENEWAL: "更新",
    ReissueReason.LOSS: "紛失",
    ReissueReason.THEFT: "盗難",
    ReissueReason.LOSS_NOT_HOLDERS_FAULT: "本人の責によらない紛失",
    ReissueReason.DAMAGE: "損傷",
    ReissueReason.DISASTER: "災害",
    ReissueReason.NOTES_FULL: "追記欄の余白なし",
    ReissueReason.NUMBER_CHANGE: "個人番号の変更",
    ReissueReason.ADMIN_ERROR: "市区町村・J-LISの誤り",
    ReissueReason.RETURN_FROM_ABROAD: "国外からの帰国",
    ReissueReason.LAPSED: "失効後の再交付",
}

FREE_REASONS = frozenset(
    {
        ReissueReason.FIRST_ISSUE,
        ReissueReason.RENEWAL,
        ReissueReason.NOTES_FULL,
        ReissueReason.NUMBER_CHANGE,
        ReissueReason.DISASTER,
        ReissueReason.THEFT,
        ReissueReason.LOSS_NOT_HOLDERS_FAULT,
        ReissueReason.ADMIN_ERROR,
        ReissueReason.RETURN_FROM_ABROAD,
    }
)
"""R_LOSS_4: first issue; renewal; notes field full; number changed; disaster (with certificate);
theft or loss not the holder's fault; a municipality or J-LIS error; return from abroad.
[policy] Theft counts as "not the holder's fault"."""

EXPRESS_REASONS = frozenset(
    {
        ReissueReason.RETURN_FROM_ABROAD,
        ReissueReason.LOSS,
        ReissueReason.THEFT,
        ReissueReason.LOSS_NOT_HOLDERS_FAULT,
        ReissueReason.DAMAGE,
        ReissueReason.NUMBER_CHANGE,
        ReissueReason.NOTES_FULL,
    }
)
EXPRESS_WINDOW_DAYS = 30


class Document(StrEnum):
    POLICE_REPORT = "police_report"  # 遺失届 / 盗難届の受理番号
    DISASTER_CERTIFICATE = "disaster_certificate"  # 罹災証明書
    DAMAGED_CARD = "damaged_card"  # 損傷したカードの持参


REQUIRED_DOCUMENT = {
    ReissueReason.LOSS: Document.POLICE_REPORT,
    ReissueReason.THEFT: Document.POLICE_REPORT,
    ReissueReason.LOSS_NOT_HOLDERS_FAULT: Document.POLICE_REPORT,
    ReissueReason.DISASTER: Document.DISASTER_CERTIFICATE,
    ReissueReason.DAMAGE: Document.DAMAGED_CARD,
}
"""R_LOSS_2: the police loss report number for a loss or theft, the fire department's disaster
certificate for a fire, the damaged card itself for damage."""


@dataclass(frozen=True)
class FeeSchedule:
    """The municipality's fees (R_LOSS_4 defaults: 800 yen card + 200 yen certificates)."""

    card: int = 800
    certificates: int = 200
    express: int = 2000
    express_when_paid: int = 1800


@dataclass(frozen=True)
class FeeLine:
    item: str
    item_ja: str
    amount: int


#: The receipt lines' items: the card's fee and the certificates' fee are separate lines (R_LOSS_4).
CARD_ITEM = "card reissue"
CERTIFICATE_ITEM = "certificate reissue"


@dataclass(frozen=True)
class Fee:
    lines: tuple[FeeLine, ...] = field(default_factory=tuple)
    free_reason: ReissueReason | None = None  # set when the reason itself makes it free
    free_because_expiring: bool = False  # free because the card has under 3 months left

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)


def is_free(reason: ReissueReason, *, card_months_left_under_3: bool = False) -> bool:
    """R_LOSS_4: free reasons, and any reissue of a card expired or with under 3 months left."""
    return reason in FREE_REASONS or card_months_left_under_3


def express_eligible(reason: ReissueReason, event_on: date, applied_on: date, *, birth: date | None = None) -> bool:
    """R_LOSS_5: infants under 1, or the listed events, applied for within 30 days of the event."""
    if applied_on < event_on or applied_on > event_on + timedelta(days=EXPRESS_WINDOW_DAYS):
        return False
    if birth is not None and age_on(birth, applied_on) < 1:
        return True
    return reason in EXPRESS_REASONS


def reissue_fee(
    reason: ReissueReason,
    *,
    with_certificates: bool = True,
    express: bool = False,
    card_months_left_under_3: bool = False,
    schedule: FeeSchedule = FeeSchedule(),
    proven: bool = True,
) -> Fee:
    """The fee for a (re)issue (R_LOSS_4) plus express issuance (R_LOSS_5).

    ``proven=False``: the reason was accepted without the evidence of its free case (a disaster
    without its certificate), so the reason itself makes nothing free. ``with_certificates``
    False: the holder chose no certificate (R_CERT_10), so there is no certificate line.
    [policy] Express costs ``express`` (2,000 yen) on a free issue and ``express_when_paid``
    (1,800 yen) on top of a paid reissue.
    """
    lines: list[FeeLine] = []
    by_reason = proven and reason in FREE_REASONS
    free = by_reason or card_months_left_under_3
    if not free:
        lines.append(FeeLine(CARD_ITEM, "個人番号カード再交付手数料", schedule.card))
        if with_certificates:
            lines.append(_certificate_line(schedule))
    if express:
        amount = schedule.express if free else schedule.express_when_paid
        lines.append(FeeLine("express issuance", "特急発行手数料", amount))
    return Fee(tuple(lines), reason if by_reason else None, free and not by_reason)


def _certificate_line(schedule: FeeSchedule) -> FeeLine:
    return FeeLine(CERTIFICATE_ITEM, "電子証明書発行手数料", schedule.certificates)


def certificate_added_fee(
    *, card_fee_paid: bool, certificate_fee_paid: bool, schedule: FeeSchedule = FeeSchedule()
) -> Fee:
    """The fee for certificates issued after the application (at hand-over or later at the
    window) on a card whose application chose none (R_LOSS_4, R_CERT_10).

    [policy] The certificate fee belongs to a paid reissue: it is due when the card's own fee
    was paid (a paid reissue) and no certificate fee was paid for that application yet, once
    for all the certificates of the card. Every other certificate issued at the window is free,
    as certificates issued with a free card are, so declining at a paid reissue and adding
    later costs what choosing them at once would have cost, never more and never less.

    >>> certificate_added_fee(card_fee_paid=True, certificate_fee_paid=False).total
    200
    >>> certificate_added_fee(card_fee_paid=True, certificate_fee_paid=True).total
    0
    >>> certificate_added_fee(card_fee_paid=False, certificate_fee_paid=False).total
    0
    """
    if card_fee_paid and not certificate_fee_paid:
        return Fee((_certificate_line(schedule),))
    return Fee()
