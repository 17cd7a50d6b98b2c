"""The chip state's JSON form and card data."""

from __future__ import annotations

import json
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mynacard.chip import CardInfo, Chip, ChipState, FacePin, KeySlot, PinId
from mynacard.chip.pins import HMAC_SCHEME, PinRecord, PinVerifier
from mynacard.errors import ValidationError
from tests.chip.conftest import CARD_INFO, MASTER_KEY

pin_records = st.one_of(
    st.none(),
    st.builds(
        PinRecord,
        st.one_of(
            st.builds(
                PinVerifier,
                st.binary(min_size=16, max_size=16),
                st.binary(min_size=32, max_size=32),
                st.integers(1, 4),
                st.integers(8, 4096),
                st.integers(1, 1),
                st.one_of(st.none(), st.binary(min_size=16, max_size=16)),
            ),
            st.builds(  # keyed HMAC-SHA256: no Argon2id parameters
                PinVerifier,
                st.binary(min_size=16, max_size=16),
                st.binary(min_size=32, max_size=32),
                st.just(0),
                st.just(0),
                st.just(0),
                kdf=st.just(HMAC_SCHEME),
            ),
        ),
        st.integers(0, 5),
        st.integers(0, 9),
    ),
)
card_infos = st.builds(
    CardInfo,
    individual_number=st.from_regex(r"[0-9]{12}", fullmatch=True),
    name=st.text(),
    address=st.text(),
    birth_date=st.dates(),
    sex=st.sampled_from(["1", "2", "9"]),
    expiry_year=st.one_of(st.none(), st.integers(1000, 9999)),
    security_code=st.one_of(st.none(), st.from_regex(r"[0-9]{4}", fullmatch=True)),
)
slot_bytes = st.dictionaries(st.sampled_from(list(KeySlot)), st.binary(max_size=64))
states = st.builds(
    ChipState,
    card_id=st.text(min_size=1),
    pins=st.fixed_dictionaries({p: pin_records for p in PinId}),
    sealed_keys=slot_bytes,
    certificates=slot_bytes,
    ca_certificates=slot_bytes,
    card_info=st.one_of(st.none(), card_infos),
    face_pin_tries=st.fixed_dictionaries({p: st.integers(0, 10) for p in FacePin}),
)


@given(states)
def test_state_json_round_trip(state: ChipState) -> None:
    text = state.to_json()
    assert ChipState.from_json(text) == state
    assert ChipState.from_json(text).to_json() == text


def test_real_chip_state_round_trip(chip: Chip) -> None:
    reloaded = Chip(ChipState.from_json(chip.state.to_json()), master_key=MASTER_KEY)
    assert reloaded.state == chip.state
    assert (
        reloaded.public_key(KeySlot.SIGN).public_numbers()
        == chip.public_key(KeySlot.SIGN).public_numbers()
    )
    assert reloaded.tries_left(PinId.SIGN) == 5
    reloaded.verify_pin(PinId.AUTH, "1234")


@pytest.mark.parametrize("text", ["[]", "{}", '{"version": 99}', '{"version": 1}'])
def test_from_json_rejects_other_documents(text: str) -> None:
    with pytest.raises(ValueError):
        ChipState.from_json(text)


def test_json_keeps_no_pin_value(chip: Chip) -> None:
    data = json.loads(chip.state.to_json())
    assert "1234" not in json.dumps(data["pins"])
    assert "ABC123" not in chip.state.to_json()


def test_legacy_hmac_state_is_read_and_its_pins_still_verify() -> None:
    """A version-1 state (HMAC-SHA256 verifiers) is upgraded on read: each verifier is wrapped
    in Argon2id without knowing the PIN, and the holder's PINs keep working with their counts."""
    import base64
    import hashlib
    import hmac

    salt = bytes(16)
    digest = hmac.new(salt, b"1234", hashlib.sha256).digest()
    legacy = {
        "version": 1,
        "card_id": "C1",
        "pins": {"auth": {"salt": base64.b64encode(salt).decode(), "digest": base64.b64encode(digest).decode(),
                          "tries_left": 2}},
        "sealed_keys": {},
        "certificates": {},
        "ca_certificates": {},
        "card_info": None,
        "face_pin_tries": {},
    }
    state = ChipState.from_json(json.dumps(legacy))
    rec = state.pins[PinId.AUTH]
    assert rec is not None and rec.tries_left == 2 and rec.verifier.legacy_salt == salt
    assert rec.verifier.digest != digest  # the HMAC itself is no longer stored
    chip = Chip(state, master_key=MASTER_KEY)
    chip.verify_pin(PinId.AUTH, "1234")
    assert chip.tries_left(PinId.AUTH) == 3
    assert json.loads(state.to_json())["version"] == 2


def test_card_info_checks_number_R_NUM_1() -> None:
    CardInfo("123456789018", "n", "a", date(2000, 1, 1), "1").validate()
    with pytest.raises(ValidationError):
        CardInfo("123456789012", "n", "a", date(2000, 1, 1), "1").validate()


@pytest.mark.parametrize(
    ("field", "value"), [("sex", "3"), ("security_code", "12a4"), ("expiry_year", 34)]
)
def test_card_info_rejects_bad_fields(field: str, value: object) -> None:
    info = CardInfo(**{**CARD_INFO.to_dict(), "birth_date": CARD_INFO.birth_date, field: value})  # type: ignore[arg-type]
    with pytest.raises(ValidationError) as err:
        info.validate()
    assert err.value.field == field


def test_face_pins_derive_from_card_face() -> None:
    """PIN A is the number; PIN B is birth YYMMDD + expiry year + security code."""
    assert CARD_INFO.face_pin(FacePin.A) == "123456789018"
    assert CARD_INFO.face_pin(FacePin.B) == "900401" + "2034" + "4321"
    partial = CardInfo("123456789018", "n", "a", date(2000, 1, 1), "1")
    assert partial.face_pin(FacePin.B) is None


def test_write_card_info_validates(chip: Chip) -> None:
    with pytest.raises(ValidationError):
        chip.write_card_info(CardInfo("1", "n", "a", date(2000, 1, 1), "1"))
    assert chip.card_info == CARD_INFO
