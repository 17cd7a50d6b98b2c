"""The documents the window prints, laid out like a municipality's (A4, IPAex Gothic).

* 領収書 (fee receipt, R_LOSS_4 / R_LOSS_5): each fee on its own row, the total, a closing
  line naming every fee.
* 個人番号カード 交付通知書兼受領書 (hand-over receipt): the card, its certificates, the
  holder's signature box.
* 有効期限通知書 (expiry notice, R_USE_3): J-LIS mails it 2-3 months before expiry; it names the
  card or the certificates it is about, the renewal application ID with its QR code (card), what
  to bring and who to ask.
* 暗証番号再設定 受付票 (PIN reset slip, R_PIN_5) and 紛失届 受理票 (loss report slip, R_LOSS_2).

Each function takes the document's data (plain JSON values: the snapshot that
``mynacard.services.documents`` keeps for a reprint) and an optional ``Reprint`` that marks
the page 再発行. They never print an individual number or a PIN. The data may carry an optional
``cert_expiry`` (the certificates' expiry, 電子証明書有効期限): an ISO date, or a mapping of
certificate kind (or its Japanese name) to an ISO date.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from reportlab.lib.units import mm

from mynacard.pdf.layout import LEFT, RIGHT, SANDBOX, Letterhead, Reprint, Sheet, both
from mynacard.present import wareki
from mynacard.timeutil import JST

Data = Mapping[str, Any]
HOTLINE = "個人番号カード紛失・盗難の連絡先: マイナンバー総合フリーダイヤル 0120-95-0178 (24時間365日)"
CERT_JA = {"sign": "署名用電子証明書", "auth": "利用者証明用電子証明書"}
ID_DOCUMENTS_JA = {  # the codes of mynacard.rules.identity
    "mynumber_card": "個人番号カード", "drivers_license": "運転免許証", "passport": "旅券",
    "residence_card": "在留カード", "special_permanent_resident_certificate": "特別永住者証明書",
    "disability_certificate": "身体障害者手帳", "driving_history_certificate": "運転経歴証明書",
    "health_insurance_card": "健康保険証", "pension_book": "年金手帳", "notification_card": "通知カード",
    "student_id": "学生証", "bank_book": "預金通帳", "medical_certificate": "医療受給者証",
    "issue_notice": "交付通知書",
}


def _d(v: Any) -> date | None:
    if v is None or v == "":
        return None
    return v if isinstance(v, date) else date.fromisoformat(str(v))


def _dt(v: Any) -> datetime:
    return v if isinstance(v, datetime) else datetime.fromisoformat(str(v))


def _jst_day(v: Any) -> date:
    return _dt(v).astimezone(JST).date()


def _enumerate_ja(items: Sequence[str]) -> str:
    """A、B及びC"""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return "、".join(items[:-1]) + "及び" + items[-1]


def _ids_ja(codes: Sequence[str]) -> str:
    return "、".join(ID_DOCUMENTS_JA.get(c, c) for c in codes) or "―"


CERT_FIELD_JA = "電子証明書の有効期限 記載欄"  # the field on the card face the holder fills in


def cert_expiry_rows(v: Any) -> list[tuple[str, str]]:
    """The optional 電子証明書有効期限 line(s): one date, or one per certificate."""
    if not v:
        return []
    if v == "none":  # the card carries no certificate: the card face's field stays blank
        return [(CERT_FIELD_JA, "電子証明書なし(記入不要)")]
    if isinstance(v, Mapping):
        return [(f"{CERT_JA.get(str(k), str(k))}の有効期限", both(_d(x))) for k, x in v.items() if x]
    if isinstance(v, (list, tuple)):
        return [row for x in v for row in cert_expiry_rows(x)]
    return [(CERT_FIELD_JA, both(_d(v)))]


def _sender(sheet: Sheet, office: Letterhead, staff: str = "") -> None:
    lines = [office.head]
    if office.address:
        lines.append(office.address)
    lines.append(f"担当窓口　{office.window or f'{office.municipality} 窓口'}")
    if office.phone:
        lines.append(f"電話　{office.phone}")
    if staff:
        lines.append(f"担当者　{staff}")
    sheet.sender(lines)


def receipt_pdf(d: Data, reprint: Reprint | None = None) -> bytes:
    office = Letterhead.of(d["office"])
    day = _jst_day(d["issued_at"])
    s = Sheet("領収書", author=office.head, number=("領収書番号", d["number"]), dated=day, reprint=reprint)
    s.addressee(d["name"])
    s.amount(int(d["total"]))
    lines = [(str(x.get("item_ja") or x.get("item")), int(x["amount"])) for x in d["lines"]]
    s.fees(lines, int(d["total"]))
    s.text(f"上記の金額を、{_enumerate_ja([label for label, _ in lines])}として領収しました。", 11)
    s.gap(3)
    s.table([("申請書ID", d["application_id"]), ("領収日", both(day))])
    _sender(s, office, d.get("staff", ""))
    s.stamp_box("領収印", LEFT, 26 * mm)  # beside the sender block, on its page
    return s.finish()


def handover_pdf(d: Data, reprint: Reprint | None = None) -> bytes:
    office = Letterhead.of(d["office"])
    issued = _d(d["issued_on"])
    s = Sheet("個人番号カード 交付通知書兼受領書", author=office.head, number=("カードID", d["card_id"]),
              dated=issued or _jst_day(d["printed_at"]), reprint=reprint)
    s.addressee(d["name"], d.get("address", ""))
    rows = [("交付日", both(issued)), ("カードの有効期限", both(_d(d.get("expires_on"))))]
    for c in d.get("certificates", []):
        rows.append((c["kind_ja"], f"{c['status_ja']}　有効期限 {wareki(_d(c['expires_on']))}"))
    rows += cert_expiry_rows(d.get("cert_expiry"))
    rows += [("本人確認書類", _ids_ja(d.get("identity_documents", []))), ("交付担当者", d.get("staff") or "―")]
    s.table(rows)
    s.text("・暗証番号は他人に知られないよう大切に管理してください。"
           "暗証番号を記載したメモをカードと一緒に保管しないでください。", 9.5)
    s.text(f"・{HOTLINE}", 9.5)
    s.gap(3)
    s.signature("受領者署名（自署）", f"上記の個人番号カードを受領しました。（{office.municipality}長 あて）")  # noqa: RUF001
    _sender(s, office, d.get("staff", ""))
    return s.finish()


def notice_pdf(d: Data, reprint: Reprint | None = None) -> bytes:
    office = Letterhead.of(d["office"])
    card = d["subject"] == "card"
    what = "個人番号カード" if card else d.get("what_ja") or "電子証明書"
    sent = _d(d["sent_on"])
    assert sent is not None
    s = Sheet("有効期限通知書", author="地方公共団体情報システム機構", number=("通知番号", str(d["notice_id"])),
              dated=sent, reprint=reprint)
    s.addressee(d["name"], d.get("address", ""))
    s.text(f"お持ちの{what}の有効期限が近づいています。", 12)
    s.gap(1)
    rows = [("対象", what), ("カードID", d["card_id"]), ("有効期限", both(_d(d["expires_on"])))]
    rows += cert_expiry_rows(d.get("cert_expiry"))
    if d.get("opens_on"):
        rows.append(("更新の申請ができる期間", f"{wareki(_d(d['opens_on']))}から{wareki(_d(d['expires_on']))}まで"))
    if card:
        rows.append(("申請書ID", " ".join(d["application_id"][i:i + 4] for i in range(0, 23, 4))))
    top = s.y
    s.table(rows, right=RIGHT - (32 * mm if card else 0))
    if card:
        s.qr(d["application_id"], RIGHT - 28 * mm, top - 30 * mm, 28 * mm, caption="申請書ID")
        s.text("有効期限の3か月前から、更新(再交付)の申請ができます。同封の交付申請書を郵送するか、"
               "スマートフォンで上のQRコード(申請書ID)を読み取ってオンラインで申請してください。", 10)
        bring = ["この通知書", "現在お持ちの個人番号カード", "顔写真(縦4.5cmx横3.5cm、6か月以内に撮影したもの)",
                 "カードを受け取る際は、交付通知書(はがき)"]
    else:
        s.text("有効期限の3か月前から、お住まいの市区町村の窓口で電子証明書を更新できます(手数料は無料です)。"
               "ご本人が、個人番号カードをお持ちのうえ窓口にお越しください。", 10)
        bring = ["この通知書", "個人番号カード",
                 "署名用電子証明書の暗証番号(6〜16桁の英数字)と利用者証明用電子証明書の暗証番号(数字4桁)"]
    s.gap(2)
    s.bring(bring)
    s.sender(_notice_sender(office))
    return s.finish()


def _notice_sender(office: Letterhead) -> list[str]:
    lines = ["地方公共団体情報システム機構（J-LIS）", f"（{office.head}の委任により送付）",  # noqa: RUF001
             f"お問い合わせ　{office.prefecture}{office.municipality} {office.window}"]
    if office.address:
        lines.append(office.address)
    if office.phone:
        lines.append(f"電話　{office.phone}")
    return lines


def pin_reset_pdf(d: Data, reprint: Reprint | None = None) -> bytes:
    office = Letterhead.of(d["office"])
    day = _jst_day(d["at"])
    s = Sheet("暗証番号 再設定 受付票", author=office.head, number=("受付番号", str(d["event_id"])), dated=day,
              reprint=reprint)
    s.addressee(d["name"])
    s.table([
        ("カードID", d["card_id"]),
        ("暗証番号の種類", d["pin_ja"]),
        ("手続き", "ロック解除・再設定" if d.get("was_locked") else "再設定"),
        ("受付日", both(day)),
        *([("本人確認書類", _ids_ja(d["identity_documents"]))] if d.get("identity_documents") else []),
        ("手数料", "無料"),
        ("担当者", d.get("staff") or "―"),
    ])
    s.text("本人確認のうえ、暗証番号を再設定しました(手数料は無料です)。"
           "新しい暗証番号は、他人に知られないよう大切に管理してください。", 10)
    s.gap(3)
    s.signature("申請者署名（自署）", "上記のとおり暗証番号の再設定を申請しました。")  # noqa: RUF001
    _sender(s, office, d.get("staff", ""))
    return s.finish()


def loss_report_pdf(d: Data, reprint: Reprint | None = None) -> bytes:
    office = Letterhead.of(d["office"])
    day = _jst_day(d["at"])
    kind = "盗難" if d.get("kind") == "theft" else "紛失"
    s = Sheet(f"{kind}届 受理票", author=office.head, number=("受理番号", str(d["event_id"])), dated=day,
              reprint=reprint)
    s.addressee(d["name"])
    s.table([
        ("カードID", d["card_id"]),
        ("届出の種類", f"個人番号カードの{kind}"),
        ("届出日", both(day)),
        ("警察の受理番号", d.get("police_report") or "―"),
        ("カードの状態", "一時停止(この届出により停止しました)" if d.get("suspended_now")
         else "一時停止(届出の前に停止済み)"),
        ("担当者", d.get("staff") or "―"),
    ])
    s.text("カードが見つかったときは、カードをお持ちのうえ窓口にお越しください(一時停止を解除します)。", 10)
    s.gap(2)
    s.bring(["この受理票", "本人確認書類(運転免許証、旅券など)", "顔写真(縦4.5cmx横3.5cm)",
             f"再交付手数料(個人番号カード {int(d['office'].get('card_fee', 800)):,}円、"
             f"電子証明書 {int(d['office'].get('cert_fee', 200)):,}円)",
             "警察に届け出た際の受理番号(未記入の場合)"], title="再交付を申請するときの持ち物")
    s.signature("届出人署名（自署）", f"上記のとおり個人番号カードの{kind}を届け出ました。")  # noqa: RUF001
    _sender(s, office, d.get("staff", ""))
    return s.finish()


RENDER: dict[str, Callable[[Data, Reprint | None], bytes]] = {
    "receipt": receipt_pdf,
    "handover": handover_pdf,
    "notice": notice_pdf,
    "pin_reset": pin_reset_pdf,
    "loss_report": loss_report_pdf,
}


def render(kind: str, data: Data, reprint: Reprint | None = None) -> bytes:
    """The PDF of one document kind (a key of ``RENDER``) from its data."""
    return RENDER[kind](data, reprint)


__all__ = ["RENDER", "SANDBOX", "Reprint", "render"]
