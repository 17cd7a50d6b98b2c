"""One presenter for the results of the window's workflows: face changes and moves
(``services.face``), loss and found (``services.loss``), a returned card, certificates
(``services.certificates``), the daily batch (``services.batch``) and the event log.

Each ``*_dict`` is the JSON both the CLI (``--json``) and the API (``web/api``) print; each
``*_message_ja`` is the sentence a person reads (the CLI's plain output, the window's message).
A card inside a result is given as its dict (``present.card_view``), so the adapters never rebuild it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mynacard.audit.labels import action_label
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


def face_dict(res: FaceChange, card: dict[str, Any] | None, what_ja: str = "変更") -> dict[str, Any]:
    """A change of name or address (R_CARD_7, R_CERT_5), a moving-in or the continued use (R_CARD_8);
    ``what_ja`` names it in the message (転居, 氏名の変更, 転入, 継続利用)."""
    return {
        "card": card,
        "certificates": res.certificates,
        "changes": changes_list(res.certificates),
        "note_written": res.note_written,
        "notes_full": res.notes_full,
        "new_signing_serial": format(res.new_signing_serial, "x") if res.new_signing_serial else None,
        "present_by": iso(res.present_by),
        "present_by_wareki": wareki(res.present_by),
        "message_ja": face_message_ja(res, what_ja),
    }


def face_message_ja(res: FaceChange, what_ja: str = "変更") -> str:
    """The sentence the window, the CLI and the API show after a face change."""
    msg = f"{what_ja}を記録しました。"
    if res.card is None:
        msg += "有効なカードはありません。"
    if res.note_written:
        msg += "追記欄に記載しました。"
    if res.notes_full:
        msg += "追記欄に余白がありません(無料で再交付できます)。"
    if res.certificates.get("sign") == "revoke":
        msg += "基本4情報の変更により署名用電子証明書は失効しました。"
        msg += "新しい署名用電子証明書を発行しました。" if res.new_signing_serial else "新たに発行できます。"
    other = {k: v for k, v in res.certificates.items() if not (k == "sign" and v == "revoke")}
    if other:
        msg += changes_ja(other)
    if res.present_by:
        msg += f"{wareki(res.present_by)}までにカードを提示して継続利用の手続きをしてください。"
    return msg


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

def card_message_ja(what: str, changes: dict[str, str] | None = None, *, loss_kind: str = "loss") -> str:
    """The sentence after a loss report (紛失 or 盗難), a found card, revoked holds or a returned card."""
    changes = changes or {}
    if what == "loss_report":
        what_ja = "盗難" if loss_kind == "theft" else "紛失"
        return f"{what_ja}の届出を受け付けました。カードは一時停止、電子証明書は一時保留です。"
    if what == "found":
        done = "解除" if "release" in changes.values() else "失効"
        return f"カードの一時停止を解除しました。電子証明書の一時保留を{done}しました。"
    if what == "revoke_held":
        return "一時保留中の電子証明書を失効させました。カードは一時停止のままです。"
    if what == "return":
        return "カードの返納を受け付けました。電子証明書は失効しました。"
    return changes_ja(changes)


def card_result_dict(what: str, card: dict[str, Any], changes: dict[str, str] | None = None) -> dict[str, Any]:
    """A loss report, found card, revoked holds or returned card: the card after it, and the changes."""
    changes = changes or {}
    return card | {
        "changes": changes,
        "certificate_changes": changes_list(changes),
        "message_ja": card_message_ja(what, changes),
    }


# -- certificates (services.certificates) ------------------------------------------------------------

CERT_DONE_JA = {"issue": "を発行しました。", "renew": "を更新しました。", "revoke": "を失効させました。",
                "release": "の一時保留を解除しました。"}


def cert_message_ja(what: str, kind: str) -> str:
    """``cert_message_ja("issue", "sign")`` -> 署名用電子証明書を発行しました。"""
    return _kind_ja(kind) + CERT_DONE_JA.get(what, "を変更しました。")


def cert_result_dict(what: str, cert: Certificate, card: dict[str, Any]) -> dict[str, Any]:
    """A certificate issued, renewed, revoked or released, and the card it belongs to."""
    return {"certificate": cert_dict(cert), "card": card, "message_ja": cert_message_ja(what, cert.kind)}


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
        "action_ja": action_label(e.action),
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
