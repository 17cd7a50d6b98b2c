"""The page of a municipal document (A4, IPAex Gothic): letterhead, addressee, bordered tables,
fee lines with aligned amounts, a list of what to bring (持ち物), a signature box (署名欄), the
sender block and the reprint mark (再発行).

A ``Sheet`` draws top-down with a cursor ``y``; every text is fitted to the box it is drawn in
(shrunk, then wrapped), so that a long label never runs into its value.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from reportlab.lib.colors import Color, black, white
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
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)
SANDBOX = "mynacard sandbox — 本書は学習・試験用の模擬文書であり、公的な効力はありません。"
LEFT, RIGHT = 20 * mm, A4[0] - 20 * mm
WIDTH = RIGHT - LEFT
LABEL_W = 48 * mm  # the label column of the tables
SHADE = Color(0.92, 0.92, 0.92)
RED = Color(0.75, 0.1, 0.1)


@cache
def font() -> str:
    for path in FONT_PATHS:
        if path and os.path.exists(path):
            # subfontIndex picks the Japanese face of a Noto CJK collection; ignored for a .ttf
            pdfmetrics.registerFont(TTFont(FONT, path, subfontIndex=0))
            return FONT
    raise RuntimeError("The IPAex Gothic font is missing: install fonts-ipaexfont or set MYNACARD_FONT.")


def both(d: date | None) -> str:
    """令和7年4月1日（2025-04-01）"""  # noqa: RUF002
    return "" if d is None else f"{wareki(d)}（{d.isoformat()}）"  # noqa: RUF001


def width(text: str, size: float) -> float:
    return float(pdfmetrics.stringWidth(text, font(), size))


def fit(text: str, room: float, size: float, smallest: float = 7) -> float:
    """The largest font size (down to ``smallest``) at which ``text`` fits in ``room`` points."""
    while size > smallest and width(text, size) > room:
        size -= 0.5
    return size


def wrap(text: str, room: float, size: float) -> list[str]:
    """``text`` broken into lines no wider than ``room`` (Japanese breaks between any characters)."""
    lines: list[str] = []
    for para in text.split("\n"):
        line = ""
        for ch in para:
            if line and width(line + ch, size) > room:
                lines.append(line)
                line = ch.lstrip()
            else:
                line += ch
        lines.append(line)
    return lines


@dataclass(frozen=True)
class Letterhead:
    """Who issues the document: the municipality, its office's address, the window, a telephone."""

    municipality: str
    prefecture: str = ""
    address: str = ""
    window: str = ""
    phone: str = ""

    @classmethod
    def of(cls, d: Mapping[str, Any]) -> Letterhead:
        return cls(d.get("municipality", ""), d.get("prefecture", ""), d.get("address", ""),
                   d.get("window", ""), d.get("phone", ""))

    @property
    def head(self) -> str:
        """The issuer as documents sign: 石川県中能登町長."""
        return f"{self.prefecture}{self.municipality}長"


@dataclass(frozen=True)
class Reprint:
    """A reprint: which one (1 = the first reprint), when, and when the original was printed."""

    number: int
    at: datetime
    original_at: datetime


class Sheet:
    """One A4 page, drawn top-down."""

    def __init__(self, title: str, *, author: str, number: tuple[str, str] | None, dated: date,
                 reprint: Reprint | None = None) -> None:
        self.buf = io.BytesIO()
        self.c = canvas.Canvas(self.buf, pagesize=A4, invariant=True)
        self.c.setTitle(f"{title}（再発行）" if reprint else title)  # noqa: RUF001
        self.c.setAuthor(author)
        self.font = font()
        top = A4[1] - 18 * mm
        self.c.setFont(self.font, 10)
        if number is not None:
            self.c.drawRightString(RIGHT, top, f"{number[0]}　{number[1]}")
        self.c.drawRightString(RIGHT, top - 6 * mm, wareki(dated))
        if reprint is not None:
            self._reprint_mark(reprint, top)
        self.y = top - 22 * mm
        self.c.setFont(self.font, 18)
        self.c.drawCentredString(A4[0] / 2, self.y, title)
        self.y -= 12 * mm

    def _reprint_mark(self, r: Reprint, top: float) -> None:
        c = self.c
        c.setStrokeColor(RED)
        c.setFillColor(RED)
        c.setLineWidth(1.5)
        c.rect(LEFT, top - 9 * mm, 30 * mm, 12 * mm)
        c.setFont(self.font, 16)
        c.drawCentredString(LEFT + 15 * mm, top - 6 * mm, "再発行")
        c.setFont(self.font, 8)
        first = f"（第{r.number}回）" if r.number > 1 else ""  # noqa: RUF001
        c.drawString(LEFT + 33 * mm, top - 1 * mm, f"再発行日 {wareki(r.at.astimezone(JST).date())}{first}")
        c.drawString(LEFT + 33 * mm, top - 5.5 * mm, f"原本発行日 {wareki(r.original_at.astimezone(JST).date())}")
        c.setFillColor(black)
        c.setStrokeColor(black)
        c.setLineWidth(1)

    # -- blocks ---------------------------------------------------------------------------
    def addressee(self, name: str, address: str = "") -> None:
        """The holder, top left: address, then 「氏名 様」 underlined."""
        if address:
            self.c.setFont(self.font, 10)
            for ln in wrap(address, 100 * mm, 10):
                self.c.drawString(LEFT, self.y, ln)
                self.y -= 5 * mm
            self.y -= 1 * mm
        size = fit(f"{name} 様", 100 * mm, 15)
        self.c.setFont(self.font, size)
        self.c.drawString(LEFT, self.y, f"{name} 様")
        self.c.line(LEFT, self.y - 2 * mm, LEFT + 100 * mm, self.y - 2 * mm)
        self.y -= 11 * mm

    def text(self, text: str, size: float = 10.5, indent: float = 0, color: Color = black) -> None:
        self.c.setFont(self.font, size)
        self.c.setFillColor(color)
        for ln in wrap(text, WIDTH - indent, size):
            self.c.drawString(LEFT + indent, self.y, ln)
            self.y -= size * 0.353 * mm + 2.2 * mm
        self.c.setFillColor(black)

    def gap(self, h: float = 4) -> None:
        self.y -= h * mm

    def heading(self, text: str) -> None:
        self.c.setFont(self.font, 11)
        self.c.drawString(LEFT, self.y, f"■ {text}")
        self.y -= 6.5 * mm

    def table(self, rows: Sequence[tuple[str, str]], *, right: float = RIGHT) -> None:
        """A bordered two-column table: shaded labels, values fitted (shrunk, then wrapped)."""
        c = self.c
        for label, value in rows:
            room = right - LEFT - LABEL_W - 6 * mm
            size = fit(value, room, 10.5, smallest=8.5)
            lines = wrap(value, room, size)
            h = max(9 * mm, (len(lines) * (size + 3)) + 4 * mm)
            self.room(h)
            bottom = self.y - h
            c.setFillColor(SHADE)
            c.rect(LEFT, bottom, LABEL_W, h, stroke=1, fill=1)
            c.setFillColor(black)
            c.rect(LEFT + LABEL_W, bottom, right - LEFT - LABEL_W, h, stroke=1, fill=0)
            lsize = fit(label, LABEL_W - 6 * mm, 10.5)
            c.setFont(self.font, lsize)
            c.drawString(LEFT + 3 * mm, bottom + h / 2 - lsize * 0.35, label)
            c.setFont(self.font, size)
            ty = bottom + h / 2 + (len(lines) - 1) * (size + 3) / 2 - size * 0.35
            for ln in lines:
                c.drawString(LEFT + LABEL_W + 3 * mm, ty, ln)
                ty -= size + 3
            self.y = bottom
        self.y -= 6 * mm

    def fees(self, lines: Sequence[tuple[str, int]], total: int) -> None:
        """Each fee on its own row, amounts right-aligned in their own column, then the total."""
        c = self.c
        amount_w = 40 * mm
        split = RIGHT - amount_w
        row_h = 9 * mm
        c.setFillColor(SHADE)
        c.rect(LEFT, self.y - row_h, WIDTH, row_h, stroke=1, fill=1)
        c.setFillColor(black)
        c.setFont(self.font, 10)
        c.drawString(LEFT + 3 * mm, self.y - row_h + 3.2 * mm, "内訳")
        c.drawRightString(RIGHT - 3 * mm, self.y - row_h + 3.2 * mm, "金額")
        c.line(split, self.y, split, self.y - row_h)
        self.y -= row_h
        for label, amount in [*lines, ("合計", total)]:
            self.room(row_h)
            bold = label == "合計"
            c.setLineWidth(1.6 if bold else 1)
            c.rect(LEFT, self.y - row_h, WIDTH, row_h)
            c.line(split, self.y, split, self.y - row_h)
            c.setLineWidth(1)
            size = fit(label, split - LEFT - 6 * mm, 11)
            c.setFont(self.font, size)
            c.drawString(LEFT + 3 * mm, self.y - row_h + 3.2 * mm, label)
            c.setFont(self.font, 12 if bold else 11)
            c.drawRightString(RIGHT - 3 * mm, self.y - row_h + 3.2 * mm, f"{amount:,} 円")
            self.y -= row_h
        self.y -= 6 * mm

    def amount(self, total: int) -> None:
        """The amount received, large and boxed: 「金 2,800 円」."""
        c = self.c
        h = 14 * mm
        c.rect(LEFT + 25 * mm, self.y - h, WIDTH - 50 * mm, h)
        c.setFont(self.font, 20)
        c.drawCentredString(A4[0] / 2, self.y - h + 4.5 * mm, f"金　{total:,} 円")
        self.y -= h + 6 * mm

    def bring(self, items: Sequence[str], title: str = "お持ちいただくもの（持ち物）") -> None:  # noqa: RUF001
        self.heading(title)
        for it in items:
            self.text(f"□ {it}", 10, indent=4 * mm)
        self.y -= 3 * mm

    def signature(self, who: str, statement: str = "") -> None:
        """The box the holder signs in (署名欄): a bordered box with a date and a name line."""
        c = self.c
        if statement:
            self.text(statement, 10.5)
            self.y -= 1 * mm
        h = 26 * mm
        bottom = self.y - h
        c.setLineWidth(1.2)
        c.rect(LEFT, bottom, WIDTH, h)
        c.setFillColor(SHADE)
        c.rect(LEFT, bottom, 22 * mm, h, stroke=1, fill=1)
        c.setFillColor(black)
        c.setLineWidth(1)
        c.setFont(self.font, 11)
        c.drawCentredString(LEFT + 11 * mm, bottom + h / 2 - 1.5 * mm, "署名欄")
        c.setFont(self.font, 9.5)
        c.drawString(LEFT + 26 * mm, self.y - 6 * mm, "記入日　　令和　　　年　　　月　　　日")
        c.drawString(LEFT + 26 * mm, bottom + 5 * mm, who)
        c.line(LEFT + 26 * mm + width(who, 9.5) + 3 * mm, bottom + 4.5 * mm, RIGHT - 6 * mm, bottom + 4.5 * mm)
        self.y = bottom - 7 * mm

    def stamp_box(self, label: str, x: float, y: float, size: float = 22 * mm) -> None:
        """An empty box for the office's seal (領収印, 受付印)."""
        c = self.c
        c.rect(x, y, size, size)
        c.setFont(self.font, 8)
        c.drawCentredString(x + size / 2, y + size - 4 * mm, label)

    def qr(self, data: str, x: float, y: float, size: float = 24 * mm, caption: str = "") -> None:
        """A QR code (segno) drawn as squares; ``x, y`` is its lower left corner."""
        import segno

        matrix = [list(row) for row in segno.make(data, error="m", micro=False).matrix]
        n = len(matrix) + 8  # quiet zone of 4 modules
        cell = size / n
        c = self.c
        c.setFillColor(white)
        c.rect(x, y, size, size, stroke=0, fill=1)
        c.setFillColor(black)
        for r, row in enumerate(matrix):
            for col, v in enumerate(row):
                if v:
                    c.rect(x + (col + 4) * cell, y + size - (r + 5) * cell, cell, cell, stroke=0, fill=1)
        if caption:
            c.setFont(self.font, 7.5)
            c.drawCentredString(x + size / 2, y - 3.5 * mm, caption)

    def sender(self, lines: Sequence[str], *, bottom: float = 24 * mm) -> None:
        """The sender block, bottom right, framed: issuer, address, window, telephone, staff."""
        c = self.c
        w = 92 * mm
        x = RIGHT - w
        h = (len(lines) * 5 + 5) * mm
        if self.y < bottom + h + 4 * mm:  # the content reaches down to it: the block goes overleaf
            self.next_page()
        c.rect(x, bottom, w, h)
        ty = bottom + h - 6 * mm
        for i, ln in enumerate(lines):
            size = fit(ln, w - 6 * mm, 11 if i == 0 else 9.5)
            c.setFont(self.font, size)
            c.drawString(x + 3 * mm, ty, ln)
            ty -= 5 * mm

    def room(self, h: float) -> None:
        """Go overleaf unless ``h`` more points fit above the footer."""
        if self.y - h < 20 * mm:
            self.next_page()

    def next_page(self) -> None:
        self.c.setFont(self.font, 7.5)
        self.c.drawString(LEFT, 12 * mm, SANDBOX)
        self.c.showPage()
        self.y = A4[1] - 25 * mm

    def finish(self) -> bytes:
        self.c.setFont(self.font, 7.5)
        self.c.drawString(LEFT, 12 * mm, SANDBOX)
        self.c.showPage()
        self.c.save()
        return self.buf.getvalue()
