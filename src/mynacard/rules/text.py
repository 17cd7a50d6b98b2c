"""Text a person typed: names, addresses, search words, user names, passwords.

Control characters (NUL, line breaks, escapes, DEL, C1) and lone surrogates never belong in a
field of the registry: a NUL cannot even be stored by PostgreSQL. They are refused where input
is validated, with a message that says which field, before any workflow or query sees them.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from mynacard.errors import ValidationError

_BAD = frozenset({"Cc", "Cs"})


def bad_character(value: str) -> str | None:
    """The first control character or lone surrogate of ``value`` (as U+XXXX), or None.

    >>> bad_character("能登 太郎") is None
    True
    >>> bad_character("能登\\x00太郎")
    'U+0000'
    """
    for ch in value:
        if unicodedata.category(ch) in _BAD:
            return f"U+{ord(ch):04X}"
    return None


def check_text(field: str, value: str) -> str:
    """``value`` if it holds no control character, else a ValidationError naming ``field``."""
    bad = bad_character(value)
    if bad is not None:
        raise ValidationError(
            field,
            f"{field} contains a control character ({bad}); enter it again without it.",
            "入力に使用できない制御文字が含まれています。入力し直してください。",
        )
    return value


def check_all(values: Any, field: str = "") -> None:
    """Check every string inside ``values`` (nested dicts and lists, e.g. a JSON body)."""
    if isinstance(values, str):
        check_text(field or "value", values)
    elif isinstance(values, dict):
        for k, v in values.items():
            if isinstance(k, str):
                check_text(field or "key", k)
            check_all(v, f"{field}.{k}" if field else str(k))
    elif isinstance(values, list | tuple):
        for v in values:
            check_all(v, field)


# --- matching names as clerks expect ---------------------------------------------------------

#: Variant kanji (異体字) folded to the form a clerk types. Sources: the traditional forms given in
#: brackets in the 常用漢字表 (平成22年内閣告示第2号) and in 人名用漢字 (戸籍法施行規則 別表第二),
#: for the characters common in names and place names, and the non-JIS name characters found in
#: registries (IBM extension 髙 U+9AD9 and 﨑 U+FA11, JIS X 0213 𠮷 U+20BB7 …). Compatibility
#: ideographs with a canonical decomposition (神 U+FA19, 塚 U+FA10, 隆 U+F9DC …) are already
#: folded by NFKC; 﨑 U+FA11 is one of the twelve that NFKC leaves alone. The four spellings of
#: さいとう (斎 齋 齊 斉) fold together, as a window search for 斎藤 is expected to find them all.
#: The folding is for finding people only: the registry keeps every name as written.
VARIANT_KANJI: dict[str, str] = {
    "髙": "高", "﨑": "崎", "嵜": "崎", "碕": "崎", "邊": "辺", "邉": "辺", "齋": "斎", "齊": "斎",
    "斉": "斎", "澤": "沢", "濱": "浜", "濵": "浜", "廣": "広", "國": "国", "圀": "国", "櫻": "桜",
    "𠮷": "吉", "德": "徳", "惠": "恵", "眞": "真", "實": "実", "榮": "栄", "壽": "寿", "瀧": "滝",
    "嶋": "島", "嶌": "島", "冨": "富", "藏": "蔵", "條": "条", "會": "会", "學": "学", "縣": "県",
    "兒": "児", "應": "応", "來": "来", "澁": "渋", "澀": "渋", "彌": "弥", "禮": "礼", "譽": "誉",
    "圓": "円", "萬": "万", "豐": "豊", "與": "与", "賴": "頼", "瀨": "瀬", "戶": "戸", "靜": "静",
    "槇": "槙", "檜": "桧", "舘": "館", "莊": "荘", "增": "増", "黑": "黒", "聰": "聡", "傳": "伝",
    "巖": "巌", "嚴": "厳", "嶽": "岳", "峯": "峰", "亞": "亜", "鐵": "鉄", "關": "関", "驛": "駅",
    "黃": "黄", "淸": "清", "靑": "青", "稻": "稲", "曾": "曽", "綠": "緑", "鹽": "塩", "桒": "桑",
    "淺": "浅", "顯": "顕", "龍": "竜", "晉": "晋", "將": "将", "營": "営", "螢": "蛍",
    "邨": "村", "埜": "野", "乘": "乗", "兩": "両", "惡": "悪", "穗": "穂",
    "濟": "済", "齒": "歯", "辯": "弁", "辨": "弁", "瓣": "弁", "擴": "拡", "效": "効",
    "經": "経", "繼": "継", "總": "総", "聽": "聴", "廳": "庁", "勞": "労", "豫": "予",
    "隱": "隠", "險": "険", "驗": "験", "發": "発", "拜": "拝", "眾": "衆", "收": "収", "專": "専",
}

#: Characters that separate parts of a name and carry no meaning for finding it: every kind of
#: space (NFKC turns the full-width U+3000 into U+0020) and the katakana middle dot that joins the
#: parts of a foreign name (スミス・ジョン).
_SEPARATORS = frozenset(" \t\u00a0\u3000・")
_HIRAGANA = range(0x3041, 0x3097)  # ぁ..ゖ -> ァ..ヶ
_ITERATION = {"ゝ": "ヽ", "ゞ": "ヾ"}


def _variation_selector(ch: str) -> bool:
    o = ord(ch)
    return 0xFE00 <= o <= 0xFE0F or 0xE0100 <= o <= 0xE01EF


def search_key(text: str | None) -> str:
    """The form of a name (or its フリガナ, or an address) used to find it: NFKC (full-width
    letters and digits, half-width katakana), spaces of every kind and ・ removed, hiragana as
    katakana, variant kanji as their common form (``VARIANT_KANJI``), ideographic variation
    selectors dropped, Latin letters case-folded.

    >>> search_key("髙橋　太郎") == search_key("高橋 太郎") == "高橋太郎"
    True
    >>> search_key("たかはし たろう"), search_key("ﾀｶﾊｼ ﾀﾛｳ")
    ('タカハシタロウ', 'タカハシタロウ')
    >>> search_key("SMITH John")
    'smithjohn'
    """
    if not text:
        return ""
    out: list[str] = []
    for ch in unicodedata.normalize("NFKC", text):
        if ch in _SEPARATORS or ch.isspace() or _variation_selector(ch):
            continue
        o = ord(ch)
        if o in _HIRAGANA:
            ch = chr(o + 0x60)
        out.append(_ITERATION.get(ch) or VARIANT_KANJI.get(ch, ch))
    return "".join(out).casefold()


def given_name_key(text: str | None) -> str:
    """The search key of the part of a name after its first space (the given name of 能登 花子,
    of ノト ハナコ), or "" for a name written without one: a clerk may search by it alone.

    >>> given_name_key("能登　花子"), given_name_key("のと はなこ"), given_name_key("能登花子")
    ('花子', 'ハナコ', '')
    """
    if not text:
        return ""
    parts = _NAME_PARTS.split(unicodedata.normalize("NFKC", text).strip(), maxsplit=1)
    return search_key(parts[1]) if len(parts) == 2 else ""


_NAME_PARTS = re.compile(r"[\s・]+")
