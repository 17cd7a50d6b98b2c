"""The documents the window prints (A4, IPAex Gothic).

* 有効期限通知書 (expiry notice, R_USE_3): J-LIS mails it 2-3 months before expiry with the
  23-digit application ID of the renewal application.
* 領収書 (fee receipt, R_LOSS_4 / R_LOSS_5), 交付受領書 (hand-over receipt), 暗証番号再設定
  受付票 (PIN reset receipt, R_PIN_5).

The functions take plain values (no store rows, no clock) and return PDF bytes. They never print
an individual number or a PIN.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from datetime import date, datetime
from functools import cache

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from mynacard.present import wareki
from mynacard.timeutil import JST

FONT = "IPAexGothic"
FONT_PATHS = (
    os.environ.get("MYNACARD_FONT", ""),
    "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/truetype/ipaexfont-gothic/ipaexg.ttf",
)


@cache
def _font() -> str:
    for path in FONT_PATHS:
        if path and os.path.exists(path):
            pdfmetrics.registerFont(TTFont(FONT, path))
            return FONT
    raise RuntimeError("The IPAex Gothic font is missing: install fonts-ipaexfont or set MYNACARD_FONT.")


def _both(d: date | None) -> str:
    return "" if d is None else f"{wareki(d)}（{d.isoformat()}）"  # noqa: RUF001


class _Page:
    def __init__(self, title: str, issuer: str, printed_at: datetime) -> None:
        self.buf = io.BytesIO()
        self.c = canvas.Canvas(self.buf, pagesize=A4, invariant=True)
        self.c.setTitle(title)
        self.c.setAuthor(issuer)
        self.font = _font()
        self.y = A4[1] - 30 * mm
        self.c.setFont(self.font, 18)
        self.c.drawCentredString(A4[0] / 2, self.y, title)
        self.y -= 10 * mm
        self.c.setFont(self.font, 9)
        self.c.drawRightString(A4[0] - 20 * mm, self.y, f"作成日時 {printed_at.astimezone(JST):%Y-%m-%d %H:%M}")
        self.y -= 12 * mm

    def line(self, text: str, size: int = 11, indent: float = 0) -> None:
        self.c.setFont(self.font, size)
        self.c.drawString(20 * mm + indent, self.y, text)
        self.y -= size * 0.5 * mm + 4 * mm

    def row(self, label: str, value: str) -> None:
        self.c.setFont(self.font, 11)
        self.c.drawString(25 * mm, self.y, label)
        self.c.drawString(75 * mm, self.y, value)
        self.y -= 8 * mm

    def gap(self, h: float = 6) -> None:
        self.y -= h * mm

    def finish(self, footer: str) -> bytes:
        self.c.setFont(self.font, 8)
        self.c.drawString(20 * mm, 15 * mm, footer)
        self.c.showPage()
        self.c.save()
        return self.buf.getvalue()


SANDBOX = "mynacard sandbox — 本書は学習・試験用の模擬文書であり、公的な効力はありません。"


def cert_expiry_field(cert_expires_on: date | None) -> str:
    """The card face's 電子証明書の有効期限 記載欄, as the documents print it (R_CERT_10)."""
    if cert_expires_on is None:
        return "券面の電子証明書の有効期限 記載欄: (電子証明書なし・記入不要)"
    return f"券面の電子証明書の有効期限 記載欄: {_both(cert_expires_on)} とご記入ください"


def expiry_notice_pdf(*, name: str, address: str, subject: str, expires_on: date, sent_on: date,
                      application_id: str, municipality: str, printed_at: datetime,
                      cert_expires_on: date | None = None) -> bytes:
    what = "個人番号カード" if subject == "card" else "電子証明書"
    p = _Page("有効期限通知書", "J-LIS (sandbox)", printed_at)
    p.line(f"{address}")
    p.line(f"{name} 様", 14)
    p.gap()
    p.line(f"お持ちの{what}の有効期限が近づいています。", 12)
    p.gap(2)
    p.row("対象", what)
    p.row("有効期限", _both(expires_on))
    p.row("通知日", _both(sent_on))
    p.row("市区町村", municipality)
    p.row("申請書ID", " ".join(application_id[i:i + 4] for i in range(0, len(application_id), 4)))
    p.gap()
    if subject == "card":
        p.line("有効期限の3か月前から、更新(再交付)の申請ができます。", 10)
        p.line("同封の交付申請書、またはオンライン(申請書IDを使用)で申請してください。", 10)
    else:
        p.line("有効期限の3か月前から、お住まいの市区町村の窓口で更新できます。", 10)
        p.line("個人番号カードをお持ちのうえ、窓口にお越しください。", 10)
    p.line(cert_expiry_field(cert_expires_on), 10)
    return p.finish(SANDBOX)


def fee_receipt_pdf(*, number: str, name: str, lines: Sequence[dict[str, object]], total: int,
                    issued_at: datetime, municipality: str, application_id: str) -> bytes:
    p = _Page("領収書", municipality, issued_at)
    p.line(f"{name} 様", 14)
    p.gap(2)
    p.row("領収書番号", number)
    p.row("申請書ID", application_id)
    p.row("受領日", _both(issued_at.astimezone(JST).date()))
    p.gap(2)
    for ln in lines:
        p.row(str(ln.get("item_ja") or ln.get("item")), f"{int(ln['amount']):,} 円")  # type: ignore[call-overload]
    p.row("合計", f"{total:,} 円")
    p.gap()
    p.line(f"上記の金額を個人番号カード再交付手数料として領収しました。 {municipality}", 10)
    return p.finish(SANDBOX)


def issue_receipt_pdf(*, card_id: str, name: str, issued_on: date, expires_on: date | None,
                      certificates: Sequence[dict[str, str]], municipality: str, clerk: str,
                      printed_at: datetime, cert_expires_on: date | None = None) -> bytes:
    p = _Page("個人番号カード 交付受領書", municipality, printed_at)
    p.line(f"{name} 様", 14)
    p.gap(2)
    p.row("カードID", card_id)
    p.row("交付日", _both(issued_on))
    p.row("カードの有効期限", _both(expires_on))
    for c in certificates:
        p.row(c["kind_ja"], f"{c['status_ja']}　有効期限 {_both(date.fromisoformat(c['expires_on']))}")
    p.row("担当", clerk)
    p.gap()
    p.line(cert_expiry_field(cert_expires_on), 10)
    p.line("暗証番号は他人に知られないよう大切に管理してください。", 10)
    p.line("紛失・盗難の際は、ただちにコールセンター 0120-95-0178 (24時間365日) へご連絡ください。", 10)
    return p.finish(SANDBOX)


def pin_reset_receipt_pdf(*, card_id: str, name: str, pin_ja: str, at: datetime, was_locked: bool,
                          municipality: str, clerk: str) -> bytes:
    p = _Page("暗証番号 再設定 受付票", municipality, at)
    p.line(f"{name} 様", 14)
    p.gap(2)
    p.row("カードID", card_id)
    p.row("暗証番号の種類", pin_ja)
    p.row("手続き", "ロック解除・再設定" if was_locked else "再設定")
    p.row("受付日", _both(at.astimezone(JST).date()))
    p.row("担当", clerk)
    p.gap()
    p.line("本人確認のうえ、暗証番号を再設定しました(手数料は無料です)。", 10)
    return p.finish(SANDBOX)
