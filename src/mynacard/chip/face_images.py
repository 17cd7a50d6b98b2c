"""The images the card-face AP (券面事項確認AP) holds: name, address, number, security code
as the card face prints them, and the face photo.

Real cards hold PNG images of the printed text (DF25 name, DF26 address, DF2A security code
of EF 0002; DF41 of EF 0005) and a JPEG 2000 photo (DF27), as read by
AokiApp/jsapdu ``packages/mynacard/src/schema.ts`` (``namePng``, ``addressPng``, ``faceJp2``,
``securityCodePng``, ``myNumberPng``) and jpki/myna (``myna visual photo`` writes a JPEG 2000).

[model] The sandbox renders the text in Japanese with the IPAex Gothic or Noto Sans CJK font
when the system has one. Without such a font it still renders, with Pillow's built-in font
(which has no kanji: they come out as boxes), and says so in a ``mynacard-font`` PNG text
chunk and a warning in the log; set ``MYNACARD_CJK_FONT`` to a font file to choose one. The
photo is a drawn head-and-shoulders figure whose colours derive from the number, not a person.
Results are cached: READ BINARY asks for the same file many times in 256-byte steps.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, PngImagePlugin

log = logging.getLogger(__name__)

#: Fonts tried in order (Debian/Ubuntu paths of fonts-ipaexfont and fonts-noto-cjk).
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf",
)

FontType = ImageFont.FreeTypeFont | ImageFont.ImageFont


@lru_cache(maxsize=1)
def cjk_font_path() -> str | None:
    """The Japanese font used for the card face, or None when the system has none."""
    chosen = os.environ.get("MYNACARD_CJK_FONT")
    for path in (chosen, *FONT_CANDIDATES):
        if path and Path(path).is_file():
            return path
    log.warning(
        "No Japanese font found (install fonts-ipaexfont or set MYNACARD_CJK_FONT): card-face "
        "images are drawn with Pillow's built-in font and show kanji as boxes."
    )
    return None


@lru_cache(maxsize=8)
def _font(size: int) -> FontType:
    path = cjk_font_path()
    if path is None:
        return ImageFont.load_default(size)
    return ImageFont.truetype(path, size)


def _png(image: Image.Image) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("mynacard-font", Path(cjk_font_path() or "pillow-default").name)
    buf = io.BytesIO()
    image.save(buf, format="PNG", pnginfo=info, optimize=True)
    return buf.getvalue()


def _wrap(text: str, font: FontType, width: int) -> list[str]:
    lines: list[str] = []
    line = ""
    for ch in text:
        if line and font.getlength(line + ch) > width:
            lines.append(line)
            line = ch
        else:
            line += ch
    return [*lines, line] if line else lines or [""]


@lru_cache(maxsize=256)
def text_png(text: str, width: int, font_size: int, max_lines: int = 1) -> bytes:
    """Black text on white, bi-level PNG as the card face prints it, wrapped to ``width``."""
    font = _font(font_size)
    lines = _wrap(text, font, width - 4)[:max_lines]
    line_height = font_size + font_size // 4
    image = Image.new("1", (width, line_height * len(lines) + 4), 1)
    draw = ImageDraw.Draw(image)
    for n, line in enumerate(lines):
        draw.text((2, 2 + n * line_height), line, font=font, fill=0)
    return _png(image)


def name_png(name: str) -> bytes:
    """DF25 of the card-face EF 0002: the name as printed (one line)."""
    return text_png(name, 360, 28)


def address_png(address: str) -> bytes:
    """DF26 of the card-face EF 0002: the address as printed (up to three lines)."""
    return text_png(address, 480, 20, max_lines=3)


def security_code_png(code: str) -> bytes:
    """DF2A of the card-face EF 0002: the 4-digit security code printed on the front."""
    return text_png(code, 80, 20)


def number_png(number: str) -> bytes:
    """DF41 of the card-face EF 0005: the individual number as the back prints it."""
    return text_png(f"{number[:4]} {number[4:8]} {number[8:]}", 300, 28)


@lru_cache(maxsize=64)
def face_photo_jp2(seed: str) -> bytes:
    """DF27 of the card-face EF 0002: a JPEG 2000 head-and-shoulders figure (not a person).

    Its colours and proportions derive from ``seed`` so that each card has its own photo.
    """
    h = hashlib.sha256(seed.encode("utf-8")).digest()
    width, height = 120, 150
    image = Image.new("RGB", (width, height), (200 + h[0] % 40, 210 + h[1] % 40, 225 + h[2] % 30))
    draw = ImageDraw.Draw(image)
    skin = (225 - h[3] % 60, 190 - h[4] % 60, 160 - h[5] % 60)
    hair = (h[6] % 80, h[7] % 60, h[8] % 50)
    cloth = (h[9] % 160, h[10] % 160, 60 + h[11] % 160)
    head_w = 46 + h[12] % 10
    cx = width // 2
    draw.ellipse((cx - 50, 105, cx + 50, 190), fill=cloth)  # shoulders
    draw.rectangle((cx - 10, 85, cx + 10, 112), fill=skin)  # neck
    draw.ellipse((cx - head_w // 2 - 2, 22, cx + head_w // 2 + 2, 70), fill=hair)
    draw.ellipse((cx - head_w // 2, 30, cx + head_w // 2, 98), fill=skin)
    for dx in (-11, 11):  # eyes
        draw.ellipse((cx + dx - 3, 56, cx + dx + 3, 61), fill=(40, 30, 30))
    draw.arc((cx - 9, 72, cx + 9, 86), 20, 160, fill=(150, 70, 70), width=2)
    buf = io.BytesIO()
    image.save(buf, format="JPEG2000", quality_mode="rates", quality_layers=[30], irreversible=True)
    return buf.getvalue()
