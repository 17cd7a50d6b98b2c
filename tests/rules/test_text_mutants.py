"""Control characters in typed text are refused, naming the field (rules/text.py).

tests/harden goes through the web and the CLI; these check the rule itself: which characters,
which field a nested JSON body names, and the message in both languages (docs/testing.md).
"""

from __future__ import annotations

import pytest

from mynacard.errors import ValidationError
from mynacard.rules.text import _variation_selector, bad_character, check_all, check_text, search_key


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("能登 太郎", None),
        ("能登\u3000太郎", None),  # the full-width space is a space, not a control character
        ("", None),
        ("能登\x00太郎", "U+0000"),
        ("a\nb", "U+000A"),
        ("\x1b[31m", "U+001B"),
        ("del\x7f", "U+007F"),
        ("c1\x85", "U+0085"),
        ("lone \ud800 surrogate", "U+D800"),
        ("ok\x01then\x02", "U+0001"),  # the first one
    ],
)
def test_bad_character_finds_the_first_control_character(text: str, found: str | None) -> None:
    assert bad_character(text) == found


def test_check_text_gives_back_good_text() -> None:
    assert check_text("name", "能登 太郎") == "能登 太郎"


def test_check_text_names_the_field_and_the_character() -> None:
    with pytest.raises(ValidationError) as e:
        check_text("address", "輪島市\x00")
    assert e.value.field == "address"
    assert str(e.value) == "address contains a control character (U+0000); enter it again without it."
    assert e.value.message_ja == "入力に使用できない制御文字が含まれています。入力し直してください。"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("a\x00", "value"),
        ({"name": "a\x00"}, "name"),
        ({"resident": {"names": ["ok", "b\x01"]}}, "resident.names"),
        ({"list": ("ok", {"deep": "\x02"})}, "list.deep"),
        ({"bad\x00key": "ok"}, "key"),
        ({"outer": {"bad\x00key": "ok"}}, "outer"),
        ({7: "\x03"}, "7"),
        ([{"a": "\x04"}], "a"),
    ],
)
def test_check_all_names_the_field_of_a_nested_body(body: object, field: str) -> None:
    with pytest.raises(ValidationError) as e:
        check_all(body)
    assert e.value.field == field


def test_check_all_uses_the_given_field_name() -> None:
    with pytest.raises(ValidationError) as e:
        check_all({"k": "\x00"}, "body")
    assert e.value.field == "body.k"
    with pytest.raises(ValidationError) as e:
        check_all("\x00", "search")
    assert e.value.field == "search"


def test_check_all_accepts_clean_bodies_and_other_values() -> None:
    check_all({"name": "能登", "n": 3, "nested": [1, None, {"ok": ("a", "b")}], 5: "x"})


@pytest.mark.parametrize(
    ("code", "dropped"),
    [
        (0xFE00, True), (0xFE0F, True), (0xE0100, True), (0xE01EF, True),  # VS1-16, VS17-256
        (0xFDFF, False), (0xFE10, False), (0xE00FF, False), (0xE01F0, False),  # their neighbours
    ],
)
def test_only_the_variation_selectors_are_dropped_from_a_search_key(code: int, dropped: bool) -> None:
    # 葛 with an IVS (葛󠄀) is found by 葛; a character next to the selectors' ranges is kept
    assert _variation_selector(chr(code)) is dropped
    if dropped:
        assert search_key("葛" + chr(code) + "西") == search_key("葛西")
