"""Store rows as JSON-ready dicts for the API and the templates (no individual number, R_NUM_3)."""

from __future__ import annotations

from typing import Any

from mynacard.db import repositories as repo
from mynacard.db.models import Card, Resident
from mynacard.present import card_view, cert_dict, iso, wareki
from mynacard.services.context import Work
from mynacard.services.residents import SEXES


def resident_out(r: Resident) -> dict[str, Any]:
    return {
        "id": r.id, "name": r.name, "name_kana": r.name_kana, "address": r.address,
        "birth_date": iso(r.birth_date), "birth_date_wareki": wareki(r.birth_date),
        "sex": r.sex, "sex_ja": SEXES.get(r.sex, ""), "municipality_code": r.municipality_code,
        "nationality": r.nationality, "period_of_stay_end": iso(r.period_of_stay_end),
        "moving_out_filed": r.moving_out_filed,
    }


def card_out(w: Work, c: Card) -> dict[str, Any]:
    return card_view(w.session, c)


def resident_view(w: Work, r: Resident) -> dict[str, Any]:
    """The resident with every card (newest first), receipts and any open move."""
    cards = [card_out(w, c) for c in repo.cards_of(w.session, r.id)]
    cards.reverse()
    mv = repo.open_move(w.session, r.id)
    return {
        "resident": resident_out(r),
        "cards": cards,
        "receipts": [{"number": x.number, "total": x.total, "lines": x.lines, "issued_at": iso(x.issued_at)}
                     for x in repo.receipts_of(w.session, r.id)],
        "move": None if mv is None else {
            "status": mv.status, "from": mv.from_code, "to": mv.to_code,
            "planned_move_out_on": iso(mv.planned_move_out_on), "present_by": iso(mv.present_by)},
    }


__all__ = ["card_out", "cert_dict", "resident_out", "resident_view"]
