"""What a resident is told when a PIN has the wrong form, word for word, with the rule it breaks
(R_PIN_1, R_PIN_2, R_PIN_3), and the refusal of a verifier key of the wrong size (chip/pins.py)."""

from __future__ import annotations

import pytest

from mynacard.chip import PinId, check_pin_format
from mynacard.chip.pins import PinVerifier, pin_matches
from mynacard.errors import ValidationError

SIGN_FORM_EN = "The signing password should be 6 to 16 characters of A-Z and 0-9 (R_PIN_1)."
SIGN_FORM_JA = "署名用電子証明書のパスワードは英大文字A-Zと数字0-9を使い、6文字以上16文字以下で設定してください。"
SIGN_KINDS_EN = "The signing password should contain at least one letter and one digit (R_PIN_1)."
SIGN_KINDS_JA = "署名用電子証明書のパスワードには英字と数字をそれぞれ1文字以上含めてください。"


@pytest.mark.parametrize("value", ["ABC12", "A1234567890123456", "ABC-123", "ab c123", "ßßß1"])
def test_a_signing_password_of_the_wrong_length_or_characters_R_PIN_1(value: str) -> None:
    with pytest.raises(ValidationError) as info:
        check_pin_format(PinId.SIGN, value)
    err = info.value
    assert (err.field, err.message, err.message_ja) == ("pin.sign", SIGN_FORM_EN, SIGN_FORM_JA)


@pytest.mark.parametrize("value", ["ABCDEF", "123456", "abcdefghijklmnop"])
def test_a_signing_password_without_a_letter_or_a_digit_R_PIN_1(value: str) -> None:
    with pytest.raises(ValidationError) as info:
        check_pin_format(PinId.SIGN, value)
    err = info.value
    assert (err.field, err.message, err.message_ja) == ("pin.sign", SIGN_KINDS_EN, SIGN_KINDS_JA)


@pytest.mark.parametrize(
    ("pin_id", "value", "message", "message_ja"),
    [
        (
            PinId.AUTH,
            "123",
            "The auth PIN should be exactly 4 digits (R_PIN_2).",
            "利用者証明用電子証明書の暗証番号は数字4桁で設定してください。",
        ),
        (
            PinId.RESIDENT,
            "12a4",
            "The resident PIN should be exactly 4 digits (R_PIN_3).",
            "住民基本台帳用の暗証番号は数字4桁で設定してください。",
        ),
        (
            PinId.CARD_INFO,
            "12345",
            "The card_info PIN should be exactly 4 digits (R_PIN_3).",
            "券面事項入力補助用の暗証番号は数字4桁で設定してください。",
        ),
    ],
)
def test_a_four_digit_pin_of_the_wrong_form_names_its_rule_R_PIN_2_R_PIN_3(
    pin_id: PinId, value: str, message: str, message_ja: str
) -> None:
    with pytest.raises(ValidationError) as info:
        check_pin_format(pin_id, value)
    err = info.value
    assert (err.field, err.message, err.message_ja) == (f"pin.{pin_id.value}", message, message_ja)


@pytest.mark.parametrize(("value", "kind"), [(1234, "int"), (b"1234", "bytes"), (None, "NoneType")])
def test_a_pin_that_is_not_text_is_refused_with_its_type(value: object, kind: str) -> None:
    with pytest.raises(TypeError) as info:
        check_pin_format(PinId.AUTH, value)  # type: ignore[arg-type]
    assert str(info.value) == f"A PIN must be a str, not {kind}"


KEY_MESSAGE = "The PIN verifier key must be 32 bytes (pin_verifier_key of the master key)."


@pytest.mark.parametrize("size", [0, 16, 31, 33, 64])
def test_a_verifier_key_of_another_size_than_32_bytes_is_refused(size: int) -> None:
    with pytest.raises(ValueError) as info:
        PinVerifier.new(b"1234", bytes(size))
    assert str(info.value) == KEY_MESSAGE


def test_a_verifier_cannot_be_checked_with_a_key_of_the_wrong_size() -> None:
    verifier = PinVerifier.new(b"1234", bytes(32))
    assert pin_matches(verifier, b"1234", bytes(32))
    with pytest.raises(ValueError) as info:
        pin_matches(verifier, b"1234", bytes(31))
    assert str(info.value) == KEY_MESSAGE
