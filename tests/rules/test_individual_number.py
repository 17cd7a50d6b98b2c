"""The individual number 個人番号 (R_NUM_1), checked by python-stdnum."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.jp import in_

from mynacard.errors import ValidationError
from mynacard.ids import IndividualNumber

VALID = "123456789018"  # docs/rules.md's example


def spec_check_digit(body: str) -> str:
    """R_NUM_1 as docs/rules.md words it, written out only as an oracle for stdnum."""
    total = 0
    for n in range(1, 12):
        p = int(body[11 - n])  # the n-th digit from the right
        q = n + 1 if n <= 6 else n - 5
        total += p * q
    r = total % 11
    return "0" if r <= 1 else str(11 - r)


@pytest.mark.parametrize(
    "text", [VALID, "1234 5678 9018", "1234-5678-9018", " 123456789018 ", "621498320257"]
)
def test_valid_numbers_R_NUM_1(text: str) -> None:
    number = IndividualNumber(text)
    assert number == text.replace(" ", "").replace("-", "")
    assert in_.is_valid(number)


def _one_digit_changes(number: str) -> list[str]:
    return [
        number[:i] + d + number[i + 1 :]
        for i in range(len(number))
        for d in "0123456789"
        if d != number[i]
    ]


@pytest.mark.parametrize("text", _one_digit_changes(VALID))
def test_one_digit_change_is_invalid_R_NUM_1(text: str) -> None:
    with pytest.raises(ValidationError) as err:
        IndividualNumber(text)
    assert "check digit" in err.value.message


JUNK: list[tuple[Any, str]] = [
    (None, "None"),
    (123456789018, "an int: numbers keep their leading zeros only as text"),
    (b"123456789018", "bytes"),
    ("", "empty"),
    (" ", "a space"),
    ("abc", "letters"),
    ("12345678901", "11 digits"),
    ("1234567890180", "13 digits"),
    ("12345678901X", "a letter for the check digit"),
    (
        "\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0660\u0661\u0668",
        "Arabic-Indic digits",
    ),
    ("12345678901²", "a superscript two"),
    ("-" * 12, "separators only"),
    ("1" * 10_000, "very long"),
    (list("123456789018"), "a list of digits: not text"),
    (object(), "an object"),
]


@pytest.mark.parametrize("junk", [j[0] for j in JUNK], ids=[j[1] for j in JUNK])
def test_junk_raises_validation_error_with_message_R_NUM_1(junk: Any) -> None:
    """Robustness, as python-stdnum tests its validators: junk gives our error, never a crash."""
    with pytest.raises(ValidationError) as err:
        IndividualNumber(junk)
    e = err.value
    assert e.field == "individual_number"
    assert e.code == "invalid_input"
    assert "12 digits" in e.message and ".." not in e.message
    assert "個人番号" in e.message_ja


@given(st.one_of(st.text(), st.binary(), st.integers(), st.none(), st.lists(st.text(max_size=2))))
def test_any_input_is_a_number_or_a_validation_error_R_NUM_1(value: Any) -> None:
    try:
        number = IndividualNumber(value)
    except ValidationError:
        return
    assert len(number) == 12 and number.isascii() and number.isdigit()
    assert in_.is_valid(number)


def test_repr_masks_the_number_R_NUM_3() -> None:
    """The number must not end up in logs: repr shows the last 4 digits only."""
    number = IndividualNumber(VALID)
    assert VALID not in repr(number)
    assert repr(number) == "IndividualNumber('********9018')"
    assert number.masked() == "********9018"
    assert str(number) == VALID  # the value itself is still there for the allowed uses


@given(st.from_regex(r"\A[0-9]{11}\Z"))
def test_stdnum_check_digit_is_the_rule_R_NUM_1(body: str) -> None:
    """stdnum's weights (6,5,4,3,2,7,6,5,4,3,2) are docs/rules.md's Q_n read from the left."""
    assert in_.calc_check_digit(body) == spec_check_digit(body)


def test_spec_oracle_agrees_with_the_example_R_NUM_1() -> None:
    assert spec_check_digit(VALID[:11]) == VALID[11]


@given(st.integers(0, 2**32))
def test_generated_numbers_are_valid_R_NUM_1(_: int) -> None:
    number = IndividualNumber.generate()
    assert isinstance(number, IndividualNumber)
    assert in_.validate(number) == number
    assert IndividualNumber(in_.format(number)) == number  # round trip through stdnum's format
    assert len(number) == 12
