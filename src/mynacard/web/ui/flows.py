"""The window's tasks: which step pages the resident's page offers for the card's state.

Each flow is one short form (``templates/steps/<name>.html``) posted to
``/residents/{rid}/<name>``; the irreversible ones go through a confirmation page first.
The state checks here only choose what to offer: the services still enforce every rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mynacard.web.deps.roles import PERMISSIONS, Role


@dataclass(frozen=True)
class Flow:
    name: str
    title: str
    permission: str
    group: str  # カード / 電子証明書 / 届出 / 記録
    irreversible: bool = False
    accesskey: str = ""


FLOWS: dict[str, Flow] = {f.name: f for f in (
    Flow("apply", "交付申請", "card.apply", "card", accesskey="a"),
    Flow("make", "カード作成(J-LIS・模擬)", "card.make", "card", accesskey="k"),
    Flow("issue", "カードの交付", "card.issue", "card", accesskey="i"),
    Flow("cancel", "申請の取下げ", "card.apply", "card", irreversible=True),
    Flow("move", "転居(市区町村内の住所変更)", "card.face", "notice", accesskey="m"),
    Flow("rename", "氏名の変更", "card.face", "notice"),
    Flow("move_out", "転出届", "card.face", "notice", accesskey="o"),
    Flow("continued_use", "転入後の継続利用", "card.face", "notice", accesskey="u"),
    Flow("loss", "紛失・盗難の届出", "card.loss", "card", accesskey="l"),
    Flow("found", "カードの発見(一時停止の解除)", "card.found", "card", irreversible=True),
    Flow("revoke_held", "一時保留中の電子証明書の失効(責任者)", "card.revoke_held", "cert", irreversible=True),
    Flow("new_cert", "電子証明書の新規発行", "cert.manage", "cert"),
    Flow("renew_cert", "電子証明書の更新", "cert.manage", "cert"),
    Flow("revoke_cert", "電子証明書の失効", "cert.manage", "cert", irreversible=True),
    Flow("pin_reset", "暗証番号の再設定・ロック解除", "pin.reset", "card", accesskey="p"),
    Flow("return", "カードの返納", "card.return", "card", irreversible=True),
    Flow("number", "個人番号の確認(利用目的の記録)", "resident.number_read", "record", accesskey="n"),
    Flow("moved_in_from_abroad", "国外からの転入の記録", "card.face", "record"),
    Flow("admin_error", "市区町村・J-LISの誤りの記録(責任者)", "card.admin_error", "record"),
)}

GROUP_JA = {"card": "カード", "cert": "電子証明書", "notice": "届出(住所・氏名・転出入)", "record": "記録・確認"}


def _certs(card: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    return card["current"] if card else {}


def offered(role: Role, live: dict[str, Any] | None, pending: dict[str, Any] | None,
            move: dict[str, Any] | None) -> list[Flow]:
    """The flows the card's state allows, for a role that may do them."""
    state = live["state"] if live else None
    certs = _certs(live)
    good = [k for k, c in certs.items() if c["status"] == "good"]
    held = [k for k, c in certs.items() if c["status"] == "hold"]
    missing = [k for k in ("sign", "auth") if k not in certs or certs[k]["status"] in ("revoked", "expired")]
    ok = {
        "apply": pending is None,
        "make": pending is not None and pending["state"] == "applied",
        "issue": pending is not None and pending["state"] == "made",
        "cancel": pending is not None,
        "move": state == "issued",
        "rename": state == "issued",
        "move_out": move is None,
        "continued_use": state in ("issued", "suspended") and bool(live and live.get("continued_use_by")),
        "loss": state in ("issued", "suspended"),
        "found": state == "suspended",
        "revoke_held": state == "suspended" and bool(held),
        "new_cert": state == "issued" and bool(missing),
        "renew_cert": state == "issued" and bool(good),
        "revoke_cert": state in ("issued", "suspended") and bool(good or held),
        "pin_reset": state == "issued",
        "return": state in ("issued", "suspended"),
        "number": True,
        "moved_in_from_abroad": True,
        "admin_error": True,
    }
    return [f for name, f in FLOWS.items() if ok[name] and role in PERMISSIONS[f.permission]]


def cert_kinds(flow: str, live: dict[str, Any] | None) -> list[str]:
    """The certificate kinds a certificate flow can act on now."""
    certs = _certs(live)
    if flow == "new_cert":
        return [k for k in ("sign", "auth") if k not in certs or certs[k]["status"] in ("revoked", "expired")]
    if flow == "renew_cert":
        return [k for k in ("sign", "auth") if k in certs and certs[k]["status"] == "good"]
    if flow == "revoke_cert":
        return [k for k in ("sign", "auth") if k in certs and certs[k]["status"] in ("good", "hold")]
    return ["sign", "auth"]


#: The fields each step form shows an error next to; any other error goes to the summary.
FLOW_FIELDS: dict[str, tuple[str, ...]] = {
    "apply": ("kind", "channel", "reason", "received_on", "certs", "express"),
    "make": (), "cancel": ("reason",),
    "issue": ("identity_documents", "pin.sign", "pin.auth", "pin.resident", "pin.card_info",
              "legal_representative", "certs"),
    "move": ("new_address", "pin.sign"), "rename": ("new_name", "pin.sign"),
    "move_out": ("to_municipality", "planned_on"),
    "continued_use": ("pin.resident", "pin.sign"),
    "loss": ("kind", "police_report"), "found": (), "revoke_held": (),
    "new_cert": ("kind", "pin.sign", "pin.auth"), "renew_cert": ("kind", "pin.sign", "pin.auth"),
    "revoke_cert": ("kind",),
    "pin_reset": ("pin", "pin.sign", "pin.auth", "pin.resident", "pin.card_info", "identity_documents"),
    "return": (), "number": ("purpose",), "moved_in_from_abroad": ("moved_in_on",), "admin_error": ("description",),
}
