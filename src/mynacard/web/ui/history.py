"""The resident's history for the window: every event of the log in the guide's words, the
certificates with serials and revocation reasons, the hotline references, and every document
issued with a link to reprint it (the PDFs are served by ``web/api/documents.py``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from mynacard.db import repositories as repo
from mynacard.db.models import ExpiryNotice
from mynacard.present import DUE_JA, iso
from mynacard.rules.events import CERT_KIND_JA
from mynacard.rules.fees import REASON_JA
from mynacard.services.context import Work
from mynacard.services.residents import NUMBER_PURPOSES
from mynacard.timeutil import JST

EVENT_JA = {
    "resident_registered": "住民登録", "card_applied": "交付申請の受付", "card_made": "カード作成(J-LIS)",
    "card_issued": "カードの交付", "application_cancelled": "申請の取下げ", "certificate_issued": "電子証明書の発行",
    "certificate_revoked": "電子証明書の失効", "certificate_held": "電子証明書の一時保留",
    "certificate_released": "電子証明書の一時保留の解除", "certificate_renewed": "電子証明書の更新",
    "card_suspended": "カードの一時停止", "loss_reported": "紛失・盗難の届出", "card_found": "カードの発見",
    "pin_reset": "暗証番号の再設定", "pin_changed": "暗証番号の変更", "pin_self_reset": "暗証番号の再設定(本人)",
    "attributes_changed": "券面事項の変更", "notes_full": "追記欄の余白なし", "moving_out_filed": "転出届",
    "continued_use": "継続利用", "number_read": "個人番号の確認", "number_changed": "個人番号の変更",
    "expiry_notice": "有効期限通知書", "card_returned": "カードの返納", "card_expired": "カードの有効期限満了",
    "card_lapsed": "カードの失効", "card_reissued": "カードの再交付(旧カードの失効)",
    "card_extended": "在留期間による延長",
    "kiosk_issued": "証明書交付(コンビニ)", "portal_viewed": "マイナポータルの閲覧",
}
REVOCATION_JA = {
    "unspecified": "理由なし", "key_compromise": "鍵の危殆化(紛失・盗難など)",
    "affiliation_changed": "基本4情報の変更", "superseded": "更新・再発行",
    "cessation_of_operation": "利用の終了(返納・廃止など)", "certificate_hold": "一時保留",
}
#: details of an event worth showing (never a number or a PIN: the log holds none)
_SHOWN = {"reference": "受付番号", "caller": "連絡者", "kind": "種類", "police_report": "遺失届受理番号",
          "to": "転出先", "planned_on": "転出予定日", "reason": "理由", "purpose": "利用目的",
          "application_id": "申請書ID", "subject": "対象", "expires_on": "有効期限", "pin": "暗証番号"}


_VALUE_JA: dict[str, dict[str, str]] = {
    "kind": {"loss": "紛失", "theft": "盗難", "new": "新規", "renewal": "更新", "reissue": "再交付",
             **{str(k): v for k, v in CERT_KIND_JA.items()}},
    "caller": {"holder": "ご本人", "family": "ご家族", "representative": "代理人"},
    "reason": {**{k.value: v for k, v in REASON_JA.items()}, **REVOCATION_JA},
    "subject": {**DUE_JA, "certificate": "電子証明書"},
    "pin": {"sign": "署名用パスワード", "auth": "利用者証明用", "resident": "住民基本台帳用",
            "card_info": "券面事項入力補助用"},
    "purpose": NUMBER_PURPOSES,
}


def _detail(key: str, value: Any) -> str:
    return _VALUE_JA.get(key, {}).get(str(value), str(value))


def timeline(w: Work, resident_id: int, cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The resident's events, newest first, each with its documents to reprint."""
    card_ids = [c["id"] for c in cards]
    notices: dict[tuple[str, str, str], int] = {}
    if card_ids:
        for n in w.session.scalars(select(ExpiryNotice).where(ExpiryNotice.card_id.in_(card_ids))):
            notices[(n.card_id, n.subject, iso(n.expires_on) or "")] = n.id
    rows = []
    for ev in repo.events(w.session, resident_id=resident_id, limit=2000):
        if ev.action.startswith("login") or ev.action in ("exported",):
            continue
        details = ev.details or {}
        docs: list[tuple[str, str]] = []
        if ev.action == "card_issued" and ev.card_id:
            docs.append(("交付受領書", f"/documents/issue/{ev.card_id}.pdf"))
        if ev.action == "pin_reset":
            docs.append(("暗証番号再設定受付票", f"/documents/pin-reset/{ev.id}.pdf"))
        if ev.action == "expiry_notice" and ev.card_id:
            nid = notices.get((ev.card_id, str(details.get("subject", "")), str(details.get("expires_on", ""))))
            if nid:
                docs.append(("有効期限通知書", f"/documents/notices/{nid}.pdf"))
        if ev.action == "card_applied" and details.get("receipt"):
            docs.append(("領収書", f"/documents/receipts/{details['receipt']}.pdf"))
        shown = [(label, _detail(k, details[k])) for k, label in _SHOWN.items() if details.get(k) not in (None, "")]
        rows.append({
            "id": ev.id, "at": ev.at.astimezone(JST), "action": ev.action, "title": EVENT_JA.get(ev.action, ev.action),
            "card_id": ev.card_id, "serial": format(ev.certificate_serial, "x") if ev.certificate_serial else None,
            "details": shown, "docs": docs, "actor": ev.actor, "hotline": bool(details.get("reference")),
        })
    rows.reverse()
    return rows


def certificates(cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every certificate of every card, newest first, with its revocation reason in Japanese."""
    out = []
    for c in cards:
        for x in c.get("certificates", []):
            out.append({**x, "card_id": c["id"], "reason_ja": REVOCATION_JA.get(x.get("reason") or "", "")})
    out.sort(key=lambda x: x["not_before"] or "", reverse=True)
    return out
