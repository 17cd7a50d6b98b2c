"""Small identifiers at application: the 23-digit application ID (R_CARD_1), municipality codes."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mynacard.errors import ValidationError
from mynacard.ids import ApplicationId, municipality_code

ID = "17407620250601123456789"


@pytest.mark.parametrize("text", [ID, "1740 7620 2506 0112 3456 789", "174076-20250601-123456789"])
def test_application_id_is_23_digits_R_CARD_1(text: str) -> None:
    assert ApplicationId(text) == ID


BAD: list[tuple[Any, str]] = [
    ("", "empty"),
    (ID[:-1], "22 digits"),
    (ID + "0", "24 digits"),
    (ID[:-1] + "X", "a letter"),
    ("\uff11" * 23, "full-width digits: not what the QR code holds"),
    ("²" * 23, "superscripts: str.isdigit() says yes"),
    (None, "None"),
    (int(ID), "an int"),
]


@pytest.mark.parametrize("value", [b[0] for b in BAD], ids=[b[1] for b in BAD])
def test_application_id_rejects_junk_R_CARD_1(value: Any) -> None:
    with pytest.raises(ValidationError) as err:
        ApplicationId(value)
    assert err.value.field == "application_id"
    assert "23 digits" in err.value.message


@given(st.dates(min_value=date(2016, 1, 1), max_value=date(2099, 12, 31)))
def test_generated_application_id_R_CARD_1(on: date) -> None:
    """[policy] municipality code + YYYYMMDD + 9 random digits."""
    app_id = ApplicationId.generate("174076", on)
    assert ApplicationId(app_id) == app_id
    assert app_id.startswith(f"174076{on:%Y%m%d}")


def test_municipality_code_is_6_digits() -> None:
    assert municipality_code("174076") == "174076"


@pytest.mark.parametrize(
    "value",
    ["17407", "1740760", "17407X", "\uff11\uff17\uff14\uff10\uff17\uff16", None, 174076],
    ids=repr,
)
def test_municipality_code_rejects_junk(value: Any) -> None:
    with pytest.raises(ValidationError) as err:
        municipality_code(value)
    assert err.value.field == "municipality_code"
