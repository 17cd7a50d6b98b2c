"""What each step form of the window does: form fields in, a service call, a message out.

Each action first checks every field it can (``Check``) and raises all the problems at once
(``FormErrors``); then it calls the service, whose own errors come back one at a time as they
are raised (``ValidationError.field``). New PINs are entered twice. No rule is decided here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from mynacard import handover, results
from mynacard.chip.pins import PinId, check_pin_format
from mynacard.errors import ValidationError
from mynacard.rules.events import CERT_KIND_JA, CertKind
from mynacard.rules.fees import ReissueReason
from mynacard.rules.identity import identity_error
from mynacard.rules.wareki import both
from mynacard.services import cards, certificates, face, lifecycle, loss, pins, reissue, residents
from mynacard.services.context import Work

Form = dict[str, str]
Lists = dict[str, list[str]]

PIN_NAME_JA = {"sign": "署名用電子証明書のパスワード", "auth": "利用者証明用電子証明書の暗証番号",
               "resident": "住民基本台帳用の暗証番号", "card_info": "券面事項入力補助用の暗証番号"}
#: The certificate choice of an application or a hand-over (both / signing only / authentication only / none).
CERTS_JA = {"both": "両方(署名用・利用者証明用)", "sign": "署名用のみ", "auth": "利用者証明用のみ",
            "none": "発行しない"}


class FormErrors(ValidationError):
    """Every problem of one form, each under its field (shown together, each once)."""

    def __init__(self, errors: dict[str, str]) -> None:
        first = next(iter(errors))
        super().__init__(first, "The form has errors: " + ", ".join(errors), "入力内容に誤りがあります。")
        self.errors = errors


@dataclass
class Outcome:
    message: str
    links: list[tuple[str, str]] = field(default_factory=list)
    number: str | None = None


class Check:
    """Collects the problems of a form instead of stopping at the first."""

    def __init__(self, form: Form, lists: Lists) -> None:
        self.form, self.lists = form, lists
        self.errors: dict[str, str] = {}

    def add(self, key: str, message_ja: str) -> None:
        self.errors.setdefault(key, message_ja)

    def text(self, key: str) -> str | None:
        v = self.form.get(key, "").strip()
        return v or None

    def need(self, key: str, ja: str, limit: int = 200) -> str:
        v = self.form.get(key, "").strip()
        if not v:
            self.add(key, f"{ja}を入力してください。")
        elif len(v) > limit:
            self.add(key, f"{ja}が長すぎます({limit}文字まで)。")
        return v

    def day(self, key: str, ja: str, *, required: bool = True) -> date | None:
        v = self.form.get(key, "").strip()
        if not v:
            if required:
                self.add(key, f"{ja}を入力してください。")
            return None
        try:
            return residents.parse_date(key, v)
        except ValidationError as e:
            self.add(key, e.message_ja)
            return None

    def pin(self, key: str, pin_id: str, *, optional: bool = False) -> str | None:
        """A new PIN entered twice (``key`` and ``key_again``), in the form the chip accepts."""
        value, again = self.form.get(key, ""), self.form.get(f"{key}_again", "")
        err = f"pin.{pin_id}"
        if not value and not again:
            if not optional:
                self.add(err, f"{PIN_NAME_JA[pin_id]}を入力してください。")
            return None
        if value != again:
            self.add(err, f"{PIN_NAME_JA[pin_id]}が確認用の入力と一致しません。同じものを2回入力してください。")
            return None
        try:
            check_pin_format(PinId(pin_id), value)
        except ValidationError as e:
            self.add(err, e.message_ja)
            return None
        return value

    def documents(self, key: str = "identity_documents") -> list[str]:
        docs = self.lists.get(key, [])
        problem = identity_error(docs)
        if problem:
            self.add(key, "本人確認書類が不足しています(顔写真付き1点、またはそれ以外の書類2点)。")
        return docs

    def choice(self, key: str, allowed: dict[str, str] | list[str], ja: str, default: str = "") -> str:
        v = self.form.get(key, "") or default
        if v not in allowed:
            self.add(key, f"{ja}を選んでください。")
        return v

    def done(self) -> None:
        if self.errors:
            raise FormErrors(self.errors)


def _certs(chk: Check) -> dict[str, Any]:
    """The holder's certificate choice (``certs``: both/sign/auth/none); blank means what the holder may hold."""
    choice = chk.form.get("certs", "")
    if choice and choice not in CERTS_JA:
        chk.add("certs", "電子証明書の発行の有無を選んでください。")
    return {"certificates": choice} if choice in CERTS_JA else {}


def apply(w: Work, rid: int, form: Form, lists: Lists) -> Outcome:
    chk = Check(form, lists)
    docs = {k: v for k in ("police_report", "disaster_certificate") if (v := form.get(k, "").strip())}
    if form.get("damaged_card"):
        docs["damaged_card"] = "presented"
    kind = chk.choice("kind", ["new", "renewal", "reissue"], "申請の種類", default="new")
    channel = chk.choice("channel", ["window", "mail", "online", "booth"], "申請方法", default="window")
    reason = chk.text("reason")
    if reason is not None and reason not in {r.value for r in ReissueReason}:
        chk.add("reason", "申請理由を選んでください。")
    received = chk.day("received_on", "受付日", required=False)
    certs = _certs(chk)
    chk.done()
    res = cards.apply(w, rid, kind=kind, channel=channel, reason=reason,
                      express=bool(form.get("express")), received_on=received, documents=docs, **certs)
    return Outcome(handover.applied_message_ja(res), handover.links(handover.applied_documents(res)))


def moved_in_from_abroad(w: Work, rid: int, form: Form, lists: Lists) -> Outcome:
    chk = Check(form, lists)
    on = chk.day("moved_in_on", "転入日")
    chk.done()
    assert on is not None
    rec = reissue.record_moved_in_from_abroad(w, rid, moved_in_on=on, recorded_role=_role(w))
    return Outcome(f"{both(on)}の国外からの転入を記録しました(記録番号 {rec.id})。")


def admin_error(w: Work, rid: int, form: Form, lists: Lists) -> Outcome:
    chk = Check(form, lists)
    text = chk.need("description", "誤りの内容")
    chk.done()
    rec = reissue.record_admin_error(w, rid, description=text, card_id=chk.text("card_id"), recorded_role=_role(w))
    return Outcome(f"市区町村・J-LISの誤りを記録しました(記録番号 {rec.id})。再交付は無料です。")


def _role(w: Work) -> str:
    """The role of the signed-in account this unit of work acts for."""
    from sqlalchemy import select

    from mynacard.db.staff import StaffAccount

    role = w.session.scalar(select(StaffAccount.role).where(StaffAccount.username == w.actor))
    return role or ""


def cancel(w: Work, rid: int, form: Form, lists: Lists) -> Outcome:
    c = cards.cancel(w, form.get("card_id", ""), reason=form.get("reason", "").strip()[:200])
    return Outcome(f"カードID {c.id} の申請を取り下げました。改めて申請できます。")


def make(w: Work, rid: int, form: Form, lists: Lists) -> Outcome:
    c = cards.make(w, form.get("card_id", ""))
    return Outcome(f"J-LIS がカードを作成しました。有効期限は{both(c.expires_on)}です。交付の準備ができました。")


def issue(w: Work, rid: int, form: Form, lists: Lists) -> Outcome:
    chk = Check(form, lists)
    docs = chk.documents()
    given = {p: v for p in PIN_NAME_JA if (v := chk.pin(f"pin_{p}", p, optional=True)) is not None}
    want = {"yes": True, "no": False}.get(form.get("want_signing", ""))
    certs = _certs(chk)
    chk.done()
    res = cards.issue(w, form.get("card_id", ""), identity_documents=docs, pins=given, want_signing=want,
                      legal_representative=chk.text("legal_representative"), **certs)
    return Outcome(handover.issued_message_ja(res), handover.links(handover.issued_documents(res)))


def _face_message(res: face.FaceChange, what: str) -> str:
    return results.face_message_ja(res, what)


def _new_signing(chk: Check) -> str | None:
    if not chk.form.get("new_signing"):
        return None
    return chk.pin("new_signing_pin", "sign")


def move(w: Work, rid: int, form: Form, lists: Lists) -> Outcome:
    chk = Check(form, lists)
    address = chk.need("new_address", "新しい住所")
    pin = _new_signing(chk)
    chk.done()
    return Outcome(_face_message(face.move_within(w, rid, new_address=address, new_signing_pin=pin), "転居"))


def rename(w: Work, rid: int, form: Form, lists: Lists) -> Outcome:
    chk = Check(form, lists)
    name = chk.need("new_name", "新しい氏名", limit=100)
    pin = _new_signing(chk)
    chk.done()
    return Outcome(_face_message(face.change_name(w, rid, new_name=name, new_signing_pin=pin), "氏名の変更"))


def move_out(w: Work, rid: int, form: Form, lists: Lists) -> Outcome:
    chk = Check(form, lists)
    to = chk.need("to_municipality", "転出先の市区町村", limit=6)
    on = chk.day("planned_on", "転出予定日")
    chk.done()
    assert on is not None
    mv = face.move_out(w, rid, to_municipality=to, planned_on=on)
    return Outcome(f"転出届を受け付けました(転出予定日 {mv.planned_move_out_on})。"
                   "転入先で転入届と継続利用の手続きをしてください。")


def continued_use(w: Work, rid: int, form: Form, lists: Lists) -> Outcome:
    chk = Check(form, lists)
    resident_pin = form.get("resident_pin", "")
    if not resident_pin:
        chk.add("pin.resident", "住民基本台帳用の暗証番号を本人に入力してもらってください。")
    pin = _new_signing(chk)
    chk.done()
    res = face.continued_use(w, form.get("card_id", ""), resident_pin=resident_pin, new_signing_pin=pin)
    return Outcome(_face_message(res, "継続利用"))


def _kind(chk: Check) -> str:
    return chk.choice("kind", ["sign", "auth"], "電子証明書の種類")


def new_cert(w: Work, rid: int, form: Form, lists: Lists) -> Outcome:
    chk = Check(form, lists)
    kind = _kind(chk)
    pin = chk.pin("pin", kind) if kind in ("sign", "auth") else None
    chk.done()
    assert pin is not None
    added = certificates.add(w, form.get("card_id", ""), kind, pin=pin)
    msg = results.cert_message_ja("issue", kind)
    if added.receipt is None:
        return Outcome(msg)
    return Outcome(msg + f" 電子証明書の発行手数料 {added.receipt.total:,}円を領収しました。",
                   [("領収書(PDF)", f"/documents/receipts/{added.receipt.number}.pdf")])


def renew_cert(w: Work, rid: int, form: Form, lists: Lists) -> Outcome:
    chk = Check(form, lists)
    kind = _kind(chk)
    pin = chk.pin("pin", kind, optional=True) if kind in ("sign", "auth") else None
    chk.done()
    certificates.renew(w, form.get("card_id", ""), kind, pin=pin)
    return Outcome(results.cert_message_ja("renew", kind))


def revoke_cert(w: Work, rid: int, form: Form, lists: Lists) -> Outcome:
    chk = Check(form, lists)
    kind = _kind(chk)
    chk.done()
    certificates.revoke(w, form.get("card_id", ""), kind)
    return Outcome(results.cert_message_ja("revoke", kind))


def loss_report(w: Work, rid: int, form: Form, lists: Lists) -> Outcome:
    chk = Check(form, lists)
    kind = chk.choice("kind", ["loss", "theft"], "紛失・盗難の別")
    chk.done()
    c = loss.report_loss(w, form.get("card_id", ""), kind=kind, police_report=chk.text("police_report"))
    return Outcome(results.card_message_ja("loss_report", loss_kind=kind) + f"(カードID {c.id})")


def found(w: Work, rid: int, form: Form, lists: Lists) -> Outcome:
    done = loss.found(w, form.get("card_id", ""))
    return Outcome(results.card_message_ja("found", done))


def revoke_held(w: Work, rid: int, form: Form, lists: Lists) -> Outcome:
    done = loss.revoke_after_hold(w, form.get("card_id", ""))
    kinds = "・".join(CERT_KIND_JA[CertKind(k)] for k in done)
    return Outcome(f"一時保留中の電子証明書({kinds})を失効させました。カードは一時停止のままです。")


def pin_reset(w: Work, rid: int, form: Form, lists: Lists) -> Outcome:
    chk = Check(form, lists)
    pin = chk.choice("pin", PIN_NAME_JA, "再設定する暗証番号")
    value = chk.pin("new_value", pin) if pin in PIN_NAME_JA else None
    docs = chk.documents()
    chk.done()
    assert value is not None
    res = pins.reset(w, form.get("card_id", ""), pin, value, identity_documents=docs)
    return Outcome(f"{PIN_NAME_JA[pin]}を再設定しました(残り回数 {res.tries_left}回)。",
                   handover.links(handover.pin_reset_documents(res)))


def return_card(w: Work, rid: int, form: Form, lists: Lists) -> Outcome:
    done = lifecycle.return_card(w, form.get("card_id", ""))
    return Outcome(results.card_message_ja("return", done))


def read_number(w: Work, rid: int, form: Form, lists: Lists) -> Outcome:
    purpose = form.get("purpose", "")  # the service names the purposes the law allows (R_NUM_3)
    number = residents.read_number(w, rid, purpose)
    return Outcome(f"利用目的「{residents.NUMBER_PURPOSES[purpose]}」で個人番号を確認しました(記録済み)。",
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
    "move_out": ("card.face", move_out),
    "continued_use": ("card.face", continued_use),
    "new_cert": ("cert.manage", new_cert),
    "renew_cert": ("cert.manage", renew_cert),
    "revoke_cert": ("cert.manage", revoke_cert),
    "loss": ("card.loss", loss_report),
    "found": ("card.found", found),
    "revoke_held": ("card.revoke_held", revoke_held),
    "pin_reset": ("pin.reset", pin_reset),
    "return": ("card.return", return_card),
    "number": ("resident.number_read", read_number),
}
