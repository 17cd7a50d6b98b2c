"""What each form of the resident page does: form fields in, a service call, a message out.

Each action returns (message_ja, links). Field errors come back as the services raise them
(``ValidationError.field``) and are shown next to the field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mynacard import handover
from mynacard.errors import ValidationError
from mynacard.rules.events import CERT_KIND_JA, CertKind
from mynacard.rules.wareki import both
from mynacard.services import cards, certificates, face, lifecycle, loss, pins, reissue, residents
from mynacard.services.context import Work

Form = dict[str, str]
Lists = dict[str, list[str]]


@dataclass
class Outcome:
    message: str
    links: list[tuple[str, str]]
    number: str | None = None


def _opt(form: Form, key: str) -> str | None:
    v = form.get(key, "").strip()
    return v or None


def _need(form: Form, key: str, ja: str) -> str:
    v = form.get(key, "").strip()
    if not v:
        raise ValidationError(key, f"{key} is required.", f"{ja}を入力してください。")
    if len(v) > 200:
        raise ValidationError(key, f"{key} is too long.", f"{ja}が長すぎます。")
    return v


def _date(form: Form, key: str) -> Any:
    v = _opt(form, key)
    return residents.parse_date(key, v) if v else None


def _kind(form: Form) -> str:
    k = form.get("kind", "")
    if k not in ("sign", "auth"):
        raise ValidationError("kind", "Choose a certificate.", "電子証明書の種類を選んでください。")
    return k


def apply(w: Work, rid: int, form: Form, lists: Lists) -> Outcome:
    docs = {k: v for k in ("police_report", "disaster_certificate") if (v := form.get(k, "").strip())}
    if form.get("damaged_card"):
        docs["damaged_card"] = "presented"
    kind = form.get("kind", "new")
    reason = _opt(form, "reason")
    from mynacard.rules.fees import ReissueReason

    if reason is not None and reason not in {r.value for r in ReissueReason}:
        raise ValidationError("reason", "Unknown reason.", "申請理由を選んでください。")
    res = cards.apply(w, rid, kind=kind, channel=form.get("channel", "window"), reason=reason,
                      express=bool(form.get("express")), received_on=_date(form, "received_on"),
                      documents=docs)
    return Outcome(handover.applied_message_ja(res), handover.links(handover.applied_documents(res)))


def moved_in_from_abroad(w: Work, rid: int, form: Form, lists: Lists) -> Outcome:
    on = _date(form, "moved_in_on")
    if on is None:
        raise ValidationError("moved_in_on", "Give the day of moving in.", "転入日を入力してください。")
    rec = reissue.record_moved_in_from_abroad(w, rid, moved_in_on=on, recorded_role=_role(w))
    return Outcome(f"{both(on)}の国外からの転入を記録しました(記録番号 {rec.id})。", [])


def admin_error(w: Work, rid: int, form: Form, lists: Lists) -> Outcome:
    rec = reissue.record_admin_error(w, rid, description=_need(form, "description", "誤りの内容"),
                                     card_id=_opt(form, "card_id"), recorded_role=_role(w))
    return Outcome(f"市区町村・J-LISの誤りを記録しました(記録番号 {rec.id})。再交付は無料です。", [])


def _role(w: Work) -> str:
    """The role of the signed-in account this unit of work acts for."""
    from sqlalchemy import select

    from mynacard.db.staff import StaffAccount

    role = w.session.scalar(select(StaffAccount.role).where(StaffAccount.username == w.actor))
    return role or ""
def cancel(w: Work, rid: int, form: Form, lists: Lists) -> Outcome:
    c = cards.cancel(w, _need(form, "card_id", "カードID"), reason=form.get("reason", "").strip())
    return Outcome(f"カードID {c.id} の申請を取り下げました。改めて申請できます。", [])


def make(w: Work, rid: int, form: Form, lists: Lists) -> Outcome:
    c = cards.make(w, _need(form, "card_id", "カードID"))
    return Outcome(f"J-LIS がカードを作成しました。有効期限は{both(c.expires_on)}です。交付の準備ができました。", [])


def issue(w: Work, rid: int, form: Form, lists: Lists) -> Outcome:
    card_id = _need(form, "card_id", "カードID")
    given = {p: v for p in ("sign", "auth", "resident", "card_info") if (v := form.get(f"pin_{p}", ""))}
    want = {"yes": True, "no": False}.get(form.get("want_signing", ""))
    res = cards.issue(w, card_id, identity_documents=lists.get("identity_documents", []), pins=given,
                      want_signing=want, legal_representative=_opt(form, "legal_representative"))
    return Outcome(handover.issued_message_ja(res), handover.links(handover.issued_documents(res)))


def _face_message(res: face.FaceChange, what: str) -> str:
    msg = f"{what}を記録しました。"
    if res.note_written:
        msg += "追記欄に記載しました。"
    if res.notes_full:
        msg += "追記欄に余白がありません(無料で再交付できます)。"
    if res.certificates.get("sign") == "revoke":
        msg += "基本4情報の変更により署名用電子証明書は失効しました。"
        msg += "新しい署名用電子証明書を発行しました。" if res.new_signing_serial else "新たに発行できます。"
    return msg


def move(w: Work, rid: int, form: Form, lists: Lists) -> Outcome:
    res = face.move_within(w, rid, new_address=_need(form, "new_address", "新しい住所"),
                           new_signing_pin=_opt(form, "new_signing_pin") if form.get("new_signing") else None)
    return Outcome(_face_message(res, "転居"), [])


def rename(w: Work, rid: int, form: Form, lists: Lists) -> Outcome:
    res = face.change_name(w, rid, new_name=_need(form, "new_name", "新しい氏名"),
                           new_signing_pin=_opt(form, "new_signing_pin") if form.get("new_signing") else None)
    return Outcome(_face_message(res, "氏名の変更"), [])


def new_cert(w: Work, rid: int, form: Form, lists: Lists) -> Outcome:
    kind = _kind(form)
    certificates.issue_new(w, _need(form, "card_id", "カードID"), kind, pin=form.get("pin", ""))
    return Outcome(f"{CERT_KIND_JA[CertKind(kind)]}を発行しました。", [])


def renew_cert(w: Work, rid: int, form: Form, lists: Lists) -> Outcome:
    kind = _kind(form)
    certificates.renew(w, _need(form, "card_id", "カードID"), kind, pin=_opt(form, "pin"))
    return Outcome(f"{CERT_KIND_JA[CertKind(kind)]}を更新しました。", [])


def revoke_cert(w: Work, rid: int, form: Form, lists: Lists) -> Outcome:
    kind = _kind(form)
    certificates.revoke(w, _need(form, "card_id", "カードID"), kind)
    return Outcome(f"{CERT_KIND_JA[CertKind(kind)]}を失効させました。", [])


def loss_report(w: Work, rid: int, form: Form, lists: Lists) -> Outcome:
    loss.report_loss(w, _need(form, "card_id", "カードID"), kind=form.get("kind", "loss"),
                     police_report=_opt(form, "police_report"))
    return Outcome("紛失の届出を受け付けました。カードは一時停止、電子証明書は一時保留です。", [])


def found(w: Work, rid: int, form: Form, lists: Lists) -> Outcome:
    done = loss.found(w, _need(form, "card_id", "カードID"))
    what = "解除" if "release" in done.values() else "失効"
    return Outcome(f"カードの一時停止を解除しました。電子証明書の一時保留を{what}しました。", [])


def pin_reset(w: Work, rid: int, form: Form, lists: Lists) -> Outcome:
    card_id = _need(form, "card_id", "カードID")
    pin = form.get("pin", "")
    res = pins.reset(w, card_id, pin, form.get("new_value", ""),
                     identity_documents=lists.get("identity_documents", []))
    return Outcome(f"暗証番号を再設定しました(残り回数 {res.tries_left}回)。",
                   handover.links(handover.pin_reset_documents(res)))


def return_card(w: Work, rid: int, form: Form, lists: Lists) -> Outcome:
    lifecycle.return_card(w, _need(form, "card_id", "カードID"))
    return Outcome("カードの返納を受け付けました。電子証明書は失効しました。", [])


def read_number(w: Work, rid: int, form: Form, lists: Lists) -> Outcome:
    purpose = form.get("purpose", "")
    number = residents.read_number(w, rid, purpose)
    return Outcome(f"利用目的「{residents.NUMBER_PURPOSES[purpose]}」で個人番号を確認しました(記録済み)。", [],
                   number=str(number))


#: form name -> (permission, action)
ACTIONS: dict[str, tuple[str, Callable[[Work, int, Form, Lists], Outcome]]] = {
    "apply": ("card.apply", apply),
    "moved_in_from_abroad": ("card.face", moved_in_from_abroad),
    "admin_error": ("card.admin_error", admin_error),
    "cancel": ("card.apply", cancel),
    "make": ("card.make", make),
    "issue": ("card.issue", issue),
    "move": ("card.face", move),
    "rename": ("card.face", rename),
    "new_cert": ("cert.manage", new_cert),
    "renew_cert": ("cert.manage", renew_cert),
    "revoke_cert": ("cert.manage", revoke_cert),
    "loss": ("card.loss", loss_report),
    "found": ("card.found", found),
    "pin_reset": ("pin.reset", pin_reset),
    "return": ("card.return", return_card),
    "number": ("resident.number_read", read_number),
}
