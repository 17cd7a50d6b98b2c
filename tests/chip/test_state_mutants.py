"""The card data's checks and the chip state's JSON form (chip/state.py, R_NUM_1, R_CARD_7).
Written to kill mutants (docs/testing.md)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest

from mynacard.chip import Chip
from mynacard.chip.pins import FacePin
from mynacard.chip.state import CardInfo, ChipState
from mynacard.errors import ValidationError
from tests.chip.conftest import CARD_INFO, MASTER_KEY


@pytest.mark.parametrize(
    ("change", "field", "message", "message_ja"),
    [
        ({"individual_number": "123456789010"}, "individual_number",
         "The individual number should be 12 digits with a valid check digit (R_NUM_1).",
         "個人番号は検査用数字の正しい12桁の数字で入力してください。"),
        ({"sex": "3"}, "sex", "Sex should be '1', '2' or '9'.", "性別コードは1、2、9のいずれかです。"),
        ({"expiry_year": 999}, "expiry_year", "The expiry year should have 4 digits.", "有効期限の年は4桁です。"),
        ({"expiry_year": 10000}, "expiry_year", "The expiry year should have 4 digits.", "有効期限の年は4桁です。"),
        ({"security_code": "12a4"}, "security_code", "The security code should be 4 digits.",
         "セキュリティコードは数字4桁です。"),
    ],
)
def test_card_data_of_the_wrong_form_is_refused_with_the_field_and_reason(change, field, message, message_ja):
    with pytest.raises(ValidationError) as e:
        replace(CARD_INFO, **change).validate()
    assert (e.value.fields, e.value.message, e.value.message_ja) == ({"field": field}, message, message_ja)


@pytest.mark.parametrize("change", [{"sex": "9"}, {"expiry_year": 1000}, {"expiry_year": 9999}, {"sex": "1"}])
def test_card_data_at_the_edges_of_each_rule_is_accepted(change):
    """Sex code 9 is "not applicable" (JIS X 0303); the expiry year is any 4-digit year."""
    info = replace(CARD_INFO, **change)
    assert info.validate() is info


def test_a_birth_date_must_be_a_date():
    with pytest.raises(TypeError) as e:
        replace(CARD_INFO, birth_date="1990-04-01").validate()  # type: ignore[arg-type]
    assert str(e.value) == "birth_date must be a date"


def state_json(chip: Chip) -> dict:  # type: ignore[type-arg]
    return json.loads(chip.state.to_json())


def test_the_state_is_stored_as_sorted_readable_json(chip: Chip):
    """One JSON text per state (sorted keys) with the name and address as written, not escaped."""
    text = chip.state.to_json()
    assert CARD_INFO.name in text and CARD_INFO.address in text
    assert text == json.dumps(json.loads(text), ensure_ascii=False, sort_keys=True)


def test_a_state_without_the_pins_leaves_the_card_face_counters_out_too(chip: Chip):
    """The store keeps the PIN objects and the card-face counters in rows of their own."""
    data = json.loads(chip.state.to_json(include_pins=False))
    assert data["pins"] == {} and data["face_pin_tries"] == {}
    assert state_json(chip)["face_pin_tries"] == {"face_a": 10, "face_b": 10}


def test_a_state_written_before_card_face_counters_existed_starts_them_full(chip: Chip):
    data = state_json(chip)
    del data["face_pin_tries"]
    state = ChipState.from_json(json.dumps(data))
    assert state.face_pin_tries == {FacePin.A: 10, FacePin.B: 10}


def test_a_damaged_state_is_refused_rather_than_read_differently(chip: Chip):
    data = state_json(chip)
    data["certificates"]["auth"] = data["certificates"]["auth"][:40] + "!" + data["certificates"]["auth"][40:]
    with pytest.raises(ValueError, match="base64"):
        ChipState.from_json(json.dumps(data))


def test_a_state_that_is_not_one_says_so():
    with pytest.raises(ValueError) as e:
        ChipState.from_json(json.dumps({"version": 7}))
    assert str(e.value) == "Not a chip state of version 2."
    with pytest.raises(ValueError) as e:
        ChipState.from_json(json.dumps({"version": 2, "pins": {}}))
    assert str(e.value) == "The chip state is damaged: KeyError('card_id')"


def test_a_state_round_trips_through_json(chip: Chip):
    again = Chip(ChipState.from_json(chip.state.to_json()), master_key=MASTER_KEY)
    assert again.state.to_json() == chip.state.to_json()
    assert again.card_info == CardInfo.from_dict(CARD_INFO.to_dict())
    assert CARD_INFO.birth_date == date(1990, 4, 1)
