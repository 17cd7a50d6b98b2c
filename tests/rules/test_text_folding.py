"""Names as clerks match them: ``rules.text.search_key`` folds width, spaces, kana and 異体字."""

from __future__ import annotations

import unicodedata

import pytest

from mynacard.rules.text import VARIANT_KANJI, given_name_key, search_key

SAME = [
    # (stored, typed): each pair must find each other
    ("髙橋 太郎", "高橋太郎"),  # はしご高 (IBM extension U+9AD9)
    ("山﨑 花子", "山崎 花子"),  # たつさき U+FA11, which NFKC leaves alone
    ("山嵜 花子", "山崎　花子"),
    ("渡邊 一郎", "渡辺 一郎"),
    ("渡邉 一郎", "渡辺 一郎"),
    ("齋藤 次郎", "斎藤 次郎"),
    ("齊藤 次郎", "斉藤 次郎"),
    ("小澤 三郎", "小沢 三郎"),
    ("長濱 恵", "長浜 恵"),
    ("廣田 惠", "広田 恵"),
    ("國井 眞", "国井 真"),
    ("櫻井 翔", "桜井 翔"),
    ("𠮷田 茂", "吉田 茂"),  # つちよし U+20BB7
    ("神田 隆", "神田 隆"),  # compatibility ideographs 神 U+FA19, 隆 U+F9DC (NFKC)
    ("葛\U000e0100飾 一", "葛飾 一"),  # an ideographic variation sequence (IVS)
    ("能登　太郎", "能登 太郎"),  # full-width space U+3000
    ("能登\u00a0太郎", "能登  太郎"),  # no-break space, two spaces
    ("能登太郎", "能 登 太 郎"),
    ("ノト タロウ", "のと たろう"),  # フリガナ typed in hiragana
    ("ﾉﾄ ﾀﾛｳ", "ノト　タロウ"),  # half-width katakana
    ("スミス・ジョン", "スミス ジョン"),  # the middle dot of a foreign name
    ("SMITH John", "ｓｍｉｔｈ ｊｏｈｎ"),  # noqa: RUF001  (full-width Latin, any case)
    ("ササキ ゝ", "ささき ヽ"),  # iteration marks
]

DIFFERENT = [
    ("高橋 太郎", "高槁 太郎"),  # 槁 is another character, not a variant
    ("能登 太郎", "能登 次郎"),
    ("ノト", "ノド"),  # voiced and unvoiced kana stay apart
    ("佐藤", "加藤"),
]


@pytest.mark.parametrize(("stored", "typed"), SAME)
def test_variants_widths_spaces_and_kana_fold_together(stored, typed):
    assert search_key(stored) == search_key(typed)


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different_names_stay_different(a, b):
    assert search_key(a) != search_key(b)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("髙橋　太郎", "高橋太郎"),
        ("たかはし たろう", "タカハシタロウ"),
        ("ﾀｶﾊｼ ﾀﾛｳ", "タカハシタロウ"),
        ("ヴァン・ダイク", "ヴァンダイク"),
        ("ゔぁん", "ヴァン"),
        ("", ""),
        (None, ""),
        ("\u3000 \t", ""),
    ],
)
def test_search_key_table(text, key):
    assert search_key(text) == key


def test_folding_is_idempotent_and_the_table_is_flat():
    """A key folds to itself: no variant maps to another variant, and every common form is a
    character NFKC keeps (so the stored key and the typed key meet in one step)."""
    for old, new in VARIANT_KANJI.items():
        assert old != new
        assert new not in VARIANT_KANJI, f"{old} -> {new} -> {VARIANT_KANJI.get(new)}"
        assert unicodedata.normalize("NFKC", new) == new
        assert unicodedata.normalize("NFKC", old) == old, f"{old} is folded by NFKC already"
    for pair in SAME:
        for k in map(search_key, pair):
            assert search_key(k) == k


@pytest.mark.parametrize(
    ("name", "given"),
    [("能登 花子", "花子"), ("能登　花子", "花子"), ("のと はなこ", "ハナコ"), ("スミス・ジョン", "ジョン"),
     ("髙橋 惠", "恵"), ("能登花子", ""), ("", ""), (None, ""), ("能登 花子 二世", "花子二世")],
)
def test_given_name_key(name, given):
    assert given_name_key(name) == given
