"""Presenting store rows to people and programs: plain dicts (JSON, templates) and Japanese dates
(西暦 and 和暦). Shared by the adapters (CLI, web, PDFs)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from mynacard.db.models import CARD_STATE_JA, CERT_STATUS_JA, Card, CardState, Certificate, CertStatus, Resident
from mynacard.db.repositories import certificates_of_card, number_of
from mynacard.rules.events import CERT_KIND_JA, CertKind
from mynacard.rules.wareki import ERA_NAMES, wareki  # noqa: F401  (ERA_NAMES re-exported)
from mynacard.timeutil import JST

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from mynacard.services.loss import Suspension
    from mynacard.services.renewals import CardRenewals

def both(d: date | None) -> str:
    return "" if d is None else f"{d.isoformat()} ({wareki(d)})"


def iso(v: date | datetime | None) -> str | None:
    if v is None:
        return None
    if isinstance(v, datetime):
        return v.astimezone(JST).isoformat()
    return v.isoformat()


def resident_dict(r: Resident) -> dict[str, Any]:
    """The resident without the individual number (R_NUM_3: reading it needs a purpose)."""
    return {
        "id": r.id,
        "name": r.name,
        "name_kana": r.name_kana,
        "address": r.address,
        "birth_date": iso(r.birth_date),
        "sex": r.sex,
        "municipality_code": r.municipality_code,
        "nationality": r.nationality,
        "period_of_stay_end": iso(r.period_of_stay_end),
        "number": "********" + number_of(r)[-4:],
    }


def cert_dict(c: Certificate) -> dict[str, Any]:
    return {
        "serial": format(c.serial, "x"),
        "kind": c.kind,
        "kind_ja": CERT_KIND_JA[CertKind(c.kind)],
        "status": c.status,
        "status_ja": CERT_STATUS_JA[CertStatus(c.status)],
        "not_before": iso(c.not_before),
        "expires_on": iso(c.expires_on),
        "expires_on_wareki": wareki(c.expires_on),
        "revoked_at": iso(c.revoked_at),
        "reason": c.reason,
        "municipality_code": c.municipality_code,
    }


def card_dict(c: Card, certs: list[Certificate] | None = None) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": c.id,
        "resident_id": c.resident_id,
        "application_id": c.application_id,
        "state": c.state,
        "state_ja": CARD_STATE_JA[CardState(c.state)],
        "made_on": iso(c.made_on),
        "issued_on": iso(c.issued_on),
        "expires_on": iso(c.expires_on),
        "expires_on_wareki": wareki(c.expires_on),
        "notes": c.notes,
        "suspended_at": iso(c.suspended_at),
        "ended_at": iso(c.ended_at),
        "end_reason": c.end_reason,
        "continued_use_by": iso(c.continued_use_by),
        "cert_expires_on": iso(c.cert_expires_on),  # 電子証明書の有効期限 記載欄
    }
    if certs is not None:
        d["certificates"] = [cert_dict(x) for x in certs]
    return d


def card_view(session: Session, c: Card) -> dict[str, Any]:
    """A card with its certificates, its dates in 和暦 and the current certificate of each kind: the card
    inside every workflow result (``mynacard.results``), for the CLI, the API and the window."""
    d = card_dict(c, list(certificates_of_card(session, c.id)))
    for key in ("made_on", "issued_on", "continued_use_by"):
        v = getattr(c, key)
        d[f"{key}_wareki"] = wareki(v) if v else ""
    d["current"] = {cert["kind"]: cert for cert in d["certificates"]}  # latest of each kind wins
    return d


#: What falls due, in the screens' words (the card itself or one of its certificates).
DUE_JA = {"card": "カード", **{str(k): v for k, v in CERT_KIND_JA.items()}}


def renewals_dicts(rows: list[CardRenewals]) -> list[dict[str, Any]]:
    """The renewals due (``services.renewals``) for JSON: the API and ``mynacard renewals --json``."""
    return [
        {
            "resident_id": r.resident_id,
            "resident_name": r.resident_name,
            "card_id": r.card_id,
            "due": [
                {
                    "what": d.what,
                    "what_ja": DUE_JA.get(d.what, d.what),
                    "expires_on": iso(d.expires_on),
                    "expires_on_wareki": wareki(d.expires_on),
                    "window_opens": iso(d.window_opens),
                    "in_window": d.in_window,
                }
                for d in r.due
            ],
        }
        for r in rows
    ]


#: What the caller does next after a suspension at the hotline (R_LOSS_2).
HOTLINE_NEXT_JA = (
    "お住まいの市区町村の窓口で紛失の届出を行ってください(警察への遺失届の受理番号をお持ちください)。"
)


def suspension_dict(s: Suspension) -> dict[str, Any]:
    """A hotline suspension (``services.loss.hotline_suspend``) for the API, the page and the CLI."""
    return {
        "reference": s.reference,
        "card_id": s.card.id,
        "card_state": s.card.state,
        "certificates": s.certificates,
        "next_ja": HOTLINE_NEXT_JA,
    }
