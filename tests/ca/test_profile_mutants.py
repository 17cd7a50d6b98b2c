"""The basic four attributes a signing certificate records, and the substitute-character positions
(ca/profile.py, R_CERT_1, R_CERT_9): what the registration side is told when a request cannot be
certified. Written to kill mutants (docs/testing.md)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest

from mynacard.ca import SigningSubject
from mynacard.ca.errors import ProfileError
from mynacard.ca.profile import _outside_jis, substitute_positions
from tests.ca.helpers import ADDRESS

HOLDER = SigningSubject(name="山田　太郎", address=ADDRESS, birth_date=date(1990, 5, 10), sex="1")


def refusal(**change: object) -> ProfileError:
    with pytest.raises(ProfileError) as e:
        replace(HOLDER, **change)
    return e.value


@pytest.mark.parametrize("fld", ["name", "address"])
@pytest.mark.parametrize("value", ["", "　 "])
def test_an_empty_name_or_address_is_refused_R_CERT_9(fld: str, value: str) -> None:
    e = refusal(**{fld: value})
    assert e.fields == {"field": fld}
    assert (e.message, e.message_ja) == (f"The {fld} must not be empty.", "基本4情報が空です。")


def test_a_name_that_is_not_text_is_refused_R_CERT_9() -> None:
    e = refusal(name=12)
    assert e.fields == {"field": "name"}


def test_the_address_holds_200_characters_and_no_more_R_CERT_9() -> None:
    assert replace(HOLDER, address="東" * 200).address == "東" * 200
    e = refusal(address="東" * 201)
    assert e.fields == {"field": "address"}
    assert e.message == "The address has 201 characters; the profile allows 200."
    assert e.message_ja == "住所は200文字以内です。"


def test_a_wrong_sex_code_is_refused_with_the_codes_allowed_R_CERT_9() -> None:
    e = refusal(sex="0")
    assert e.fields == {"field": "sex"}
    assert e.message == "The sex code must be 1, 2, 3 (not known) or 9 (the register's not applicable), got '0'."
    assert e.message_ja == "性別コードが不正です。"


@pytest.mark.parametrize("birth", [datetime(1990, 5, 10, 0, 0), "1990-05-10"])
def test_a_birth_date_must_be_a_calendar_date(birth: object) -> None:
    with pytest.raises(TypeError) as e:
        replace(HOLDER, birth_date=birth)
    assert str(e.value) == "birth_date must be a date"


def test_substitute_flags_name_the_field_in_the_refusal_R_CERT_9() -> None:
    e = refusal(address_substituted=True)  # every character of the address is in JIS
    assert e.fields == {"field": "address_substituted"}
    assert e.message.startswith("address_substituted is set but every character is in JIS X 0208/0212; ")
    assert e.message.endswith("give the positions as a string of 0 and 1, one per character.")
    assert e.message_ja == "代替文字の使用位置を指定してください。"
    e = refusal(name_substituted="01")
    assert e.fields == {"field": "name_substituted"}
    assert e.message == (
        "name_substituted must be a bool or a string of 0 and 1 with one digit per character (5), got '01'."
    )
    assert e.message_ja == "代替文字の使用位置情報が不正です。"


def test_substitute_positions_mark_each_character_outside_jis_R_CERT_9() -> None:
    assert substitute_positions("髙橋", False) == "00"
    assert substitute_positions("髙橋", True) == "10"
    assert substitute_positions("髙橋", "01") == "01"
    with pytest.raises(ProfileError) as e:
        substitute_positions("高橋", True)
    assert e.value.fields == {"field": "substituted"} and e.value.message.startswith("substituted is set")
    with pytest.raises(ProfileError) as e:
        substitute_positions("高橋", "0a")
    assert e.value.fields == {"field": "substituted"} and e.value.message.startswith("substituted must be")


@pytest.mark.parametrize(
    ("ch", "outside"),
    [
        ("\uff0d", False),  # full-width hyphen, as in addresses
        ("\uff21", False),  # full-width A
        ("ｱ", False),
        ("高", False),
        ("髙", True),
        ("𠮷", True),
        ("㈱", True),
        ("①", True),
    ],
)
def test_only_characters_jis_lacks_count_as_substituted_R_CERT_9(ch: str, outside: bool) -> None:
    """Full-width forms (the address's hyphen) are folded first; other compatibility characters
    such as ㈱ and ① are not, as JIS X 0208 has no code for them."""
    assert _outside_jis(ch) is outside
