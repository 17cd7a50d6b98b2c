"""One presenter for the results of the window's workflows: face changes and moves
(``services.face``), loss and found (``services.loss``), a returned card, certificates
(``services.certificates``), the daily batch (``services.batch``) and the event log.

Each ``*_dict`` is the JSON both the CLI (``--json``) and the API (``web/api``) print; each
``*_message_ja`` is the sentence a person reads (the CLI's plain output, the window's message).
A card inside a result is given as its dict (``present.card_view``), so the adapters never rebuild it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mynacard.present import cert_dict, iso, wareki
from mynacard.rules.events import CERT_KIND_JA, CertKind

if TYPE_CHECKING:
    from mynacard.db.models import Certificate, Event, Move
    from mynacard.services.batch import BatchReport
    from mynacard.services.csvimport import ImportReport
    from mynacard.services.face import FaceChange

#: What a workflow did to a certificate (``rules.events.Action``), in the screens' words.
ACTION_JA = {"hold": "一時保留", "release": "一時保留解除", "revoke": "失効"}


def _kind_ja(kind: str) -> str:
    try:
        return CERT_KIND_JA[CertKind(kind)]
    except ValueError:
        return kind


def changes_list(changes: dict[str, str]) -> list[dict[str, str]]:
    """``{"sign": "revoke"}`` -> ``[{"kind": "sign", "kind_ja": ..., "action": "revoke", "action_ja": "失効"}]``."""
    return [
        {"kind": k, "kind_ja": _kind_ja(k), "action": v, "action_ja": ACTION_JA.get(v, v)} for k, v in changes.items()
    ]


def changes_ja(changes: dict[str, str]) -> str:
    if not changes:
        return "電子証明書の変更はありません。"
    return "、".join(f"{_kind_ja(k)}を{ACTION_JA.get(v, v)}" for k, v in changes.items()) + "しました。"


# -- face changes and moves (services.face) ----------------------------------------------------------


def face_dict(res: FaceChange, card: dict[str, Any] | None) -> dict[str, Any]:
    """A change of name or address (R_CARD_7, R_CERT_5), a moving-in or the continued use (R_CARD_8)."""
    return {
        "card": card,
        "certificates": res.certificates,
        "changes": changes_list(res.certificates),
        "note_written": res.note_written,
        "notes_full": res.notes_full,
        "new_signing_serial": format(res.new_signing_serial, "x") if res.new_signing_serial else None,
        "present_by": iso(res.present_by),
        "present_by_wareki": wareki(res.present_by),
        "message_ja": face_message_ja(res),
    }


def face_message_ja(res: FaceChange) -> str:
    parts = []
    if res.card is None:
        parts.append("有効なカードはありません。住民票の記載を変更しました。")
    elif res.note_written:
        parts.append("カードの追記欄に記載しました。")
    if res.notes_full:
        parts.append("追記欄がいっぱいです。カードの再交付を申請してください。")
    if res.certificates:
        parts.append(changes_ja(res.certificates))
    if res.new_signing_serial:
        parts.append(f"新しい署名用電子証明書を発行しました(シリアル {format(res.new_signing_serial, 'x')})。")
    if res.present_by:
        parts.append(f"{wareki(res.present_by)}までにカードを提示して継続利用の手続きをしてください。")
    return "".join(parts) or "変更を記録しました。"


def move_out_dict(mv: Move) -> dict[str, Any]:
    """The moving-out notice (転出届, R_CARD_8)."""
    return {
        "resident_id": mv.resident_id,
        "card_id": mv.card_id,
        "from": mv.from_code,
        "to": mv.to_code,
        "planned_on": iso(mv.planned_move_out_on),
        "planned_on_wareki": wareki(mv.planned_move_out_on),
        "status": mv.status,
        "message_ja": f"転出届を受け付けました(転出予定日 {wareki(mv.planned_move_out_on)}、転出先 {mv.to_code})。"
        "転入先で転入届とカードの継続利用の手続きをしてください。",
    }


# -- loss, found, return (services.loss, services.lifecycle) -----------------------------------------

#: Card workflows whose result is the card and what happened to its certificates.
CARD_DONE_JA = {
    "loss_report": "紛失の届出を受け付けました。",
    "found": "カードの一時停止を解除しました。",
    "revoke_held": "一時保留中の電子証明書を失効させました。",
    "return": "カードの返納を受け付けました。",
}


def card_result_dict(what: str, card: dict[str, Any], changes: dict[str, str] | None = None) -> dict[str, Any]:
    """A loss report, found card, revoked holds or returned card: the card after it, and the changes."""
    changes = changes or {}
    return card | {
        "changes": changes,
        "certificate_changes": changes_list(changes),
        "message_ja": CARD_DONE_JA.get(what, "") + (changes_ja(changes) if changes else ""),
    }


# -- certificates (services.certificates) ------------------------------------------------------------

CERT_DONE_JA = {
    "issue": "電子証明書を発行しました。",
    "renew": "電子証明書を更新しました。",
    "revoke": "電子証明書を失効させました。",
    "release": "電子証明書の一時保留を解除しました。",
}


def cert_result_dict(what: str, cert: Certificate, card: dict[str, Any]) -> dict[str, Any]:
    """A certificate issued, renewed, revoked or released, and the card it belongs to."""
    c = cert_dict(cert)
    return {
        "certificate": c,
        "card": card,
        "message_ja": f"{c['kind_ja']}: {CERT_DONE_JA.get(what, '')}(シリアル {c['serial']}、{c['status_ja']})",
    }


# -- the daily batch and the event log ---------------------------------------------------------------


def batch_dict(rep: BatchReport) -> dict[str, Any]:
    """The daily batch (R_USE_3): what expired or lapsed, and the expiry notices it wrote."""
    return {
        "expired_cards": rep.expired_cards,
        "expired_certificates": rep.expired_certificates,
        "lapsed_cards": rep.lapsed_cards,
        "notices": [
            {
                "id": n.id,
                "card_id": n.card_id,
                "subject": n.subject,
                "expires_on": iso(n.expires_on),
                "expires_on_wareki": wareki(n.expires_on),
                "application_id": n.application_id,
                "pdf": f"/documents/notices/{n.id}.pdf",
            }
            for n in rep.notices
        ],
        "message_ja": (
            f"有効期限切れのカード {len(rep.expired_cards)}件、電子証明書 {len(rep.expired_certificates)}件、"
            f"失効したカード {len(rep.lapsed_cards)}件、有効期限通知 {len(rep.notices)}件。"
        ),
    }


def event_dict(e: Event) -> dict[str, Any]:
    """One entry of the workflow event log."""
    return {
        "id": e.id,
        "at": iso(e.at),
        "actor": e.actor,
        "action": e.action,
        "resident_id": e.resident_id,
        "card_id": e.card_id,
        "certificate_serial": format(e.certificate_serial, "x") if e.certificate_serial else None,
        "details": e.details,
    }


def details_text(details: dict[str, Any]) -> str:
    """An event's details as ``key=value`` pairs (no Python reprs on a screen)."""
    out = []
    for k, v in (details or {}).items():
        if isinstance(v, dict):
            v = ",".join(f"{a}:{b}" for a, b in v.items())
        elif isinstance(v, list | tuple):
            v = ",".join(str(x) for x in v)
        out.append(f"{k}={v}")
    return " ".join(out)


# -- CSV import (services.csvimport) -----------------------------------------------------------------


def import_dict(rep: ImportReport) -> dict[str, Any]:
    """What ``mynacard import`` loaded and what it refused (row, field, reason)."""
    return {
        "rows": rep.rows,
        "loaded": len(rep.residents),
        "cards_issued": len(rep.cards),
        "refused": [
            {"row": x.row, "field": x.field, "reason": x.reason, "reason_ja": x.reason_ja} for x in rep.refused
        ],
        "resident_ids": rep.residents,
        "card_ids": rep.cards,
        "message_ja": f"{rep.rows}行中 {len(rep.residents)}人を登録しました"
        + (f"(カード交付 {len(rep.cards)}枚)" if rep.cards else "")
        + (f"。{len(rep.refused)}行は取り込めませんでした。" if rep.refused else "。"),
    }
