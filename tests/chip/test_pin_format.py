"""The form of each PIN (R_PIN_1, R_PIN_2, R_PIN_3), with the examples of docs/rules.md."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mynacard.chip import PinId, check_pin_format
from mynacard.errors import ValidationError

OK = [
    (PinId.SIGN, "abc123", "ABC123"),  # lower case is upper-cased before checking (R_PIN_1)
    (PinId.SIGN, "A1B2C3D4E5F6G7H8", "A1B2C3D4E5F6G7H8"),  # 16 characters, the maximum
    (PinId.SIGN, "1A2345", "1A2345"),
    (PinId.AUTH, "1234", "1234"),  # R_PIN_2
    (PinId.RESIDENT, "0000", "0000"),  # R_PIN_3
    (PinId.CARD_INFO, "9999", "9999"),  # R_PIN_3
]

BAD = [
    (PinId.SIGN, "ABCDEF", "no digit"),
    (PinId.SIGN, "123456", "no letter"),
    (PinId.SIGN, "ABC12", "5 characters"),
    (PinId.SIGN, "A1234567890123456", "17 characters"),
    (PinId.SIGN, "12345", "a 5-digit value"),
    (PinId.SIGN, "ABC-123", "a symbol"),
    (PinId.SIGN, "ＡＢＣ１２３", "full-width characters"),  # noqa: RUF001
    (PinId.SIGN, "ßßß1", "a letter whose upper case is ASCII ('SS')"),
    (PinId.AUTH, "12a4", "a letter"),
    (PinId.AUTH, "123", "3 digits"),
    (PinId.AUTH, "12345", "5 digits"),
    (PinId.RESIDENT, "１２３４", "full-width digits"),  # noqa: RUF001
    (PinId.CARD_INFO, "", "empty"),
]


@pytest.mark.parametrize(("pin_id", "value", "expected"), OK)
def test_accepted_forms_R_PIN_1_R_PIN_2_R_PIN_3(pin_id: PinId, value: str, expected: str) -> None:
    assert check_pin_format(pin_id, value) == expected


@pytest.mark.parametrize(("pin_id", "value", "why"), BAD)
def test_rejected_forms_R_PIN_1_R_PIN_2_R_PIN_3(pin_id: PinId, value: str, why: str) -> None:
    with pytest.raises(ValidationError) as info:
        check_pin_format(pin_id, value)
    err = info.value
    assert err.field == f"pin.{pin_id.value}"
    assert "R_PIN_" in err.message  # English names the rule
    assert err.message_ja != err.message  # and there is a Japanese message for screens


def test_non_string_pin_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        check_pin_format(PinId.AUTH, 1234)  # type: ignore[arg-type]


@given(st.text(max_size=20))
def test_signing_password_rule_R_PIN_1(value: str) -> None:
    """Any text is accepted exactly when its upper case is 6-16 of A-Z0-9 with both kinds."""
    up = "".join(c.upper() if "a" <= c <= "z" else c for c in value)
    valid = (
        6 <= len(up) <= 16
        and all(c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" for c in up)
        and any(c.isalpha() for c in up)
        and any(c.isdigit() for c in up)
    )
    try:
        assert check_pin_format(PinId.SIGN, value) == up
        assert valid
    except ValidationError:
        assert not valid
