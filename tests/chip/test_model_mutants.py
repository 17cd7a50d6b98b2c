"""The chip's own refusals and its keys (chip/model.py, R_CERT_2, R_CHIP_3): what a caller is told
when a key, a certificate or the card data is missing or wrong. Written to kill mutants
(docs/testing.md)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from mynacard.chip import Chip, FacePin, KeySlot
from mynacard.chip.card_os import VirtualCard
from mynacard.chip.pins import PinVerifier
from mynacard.errors import StateError, ValidationError, WrongPin
from tests.chip.conftest import AUTH_PIN, CARD_INFO, MASTER_KEY, make_certificate, send
from tests.keypool import pooled_key


def test_a_card_face_pin_b_without_its_card_data_says_so(chip: Chip) -> None:
    chip.write_card_info(replace(CARD_INFO, expiry_year=None))
    with pytest.raises(StateError) as e:
        chip.verify_face_pin(FacePin.B, b"9004012034" + b"4321")
    assert e.value.message == "The card-face PIN face_b cannot be used: the card data is incomplete."
    assert e.value.message_ja == "券面事項確認用の暗証番号が使用できません。"
    assert e.value.fields == {"pin": "face_b"}


def test_a_wrong_card_face_pin_names_the_pin(chip: Chip) -> None:
    with pytest.raises(WrongPin) as e:
        chip.verify_face_pin(FacePin.A, b"000000000000")
    assert e.value.fields == {"pin": "face_a", "tries_left": 9}


def test_a_chip_without_the_key_says_which_R_CERT_2() -> None:
    chip = Chip.blank("card-0001", master_key=MASTER_KEY)
    with pytest.raises(StateError) as e:
        chip.private_key_operation(KeySlot.AUTH, b"\x01")
    assert (e.value.message, e.value.message_ja) == ("The chip has no auth key.", "ICチップに鍵がありません。")
    assert e.value.fields == {"slot": "auth"}


def test_a_key_made_by_another_view_of_the_same_chip_is_the_one_used(chip: Chip) -> None:
    """Two Chip objects over one state (the store reloads a card): a new key is seen by both."""
    chip.private_key_operation(KeySlot.AUTH, b"\x01")  # unseals and keeps the old key
    other = Chip(chip.state, master_key=MASTER_KEY)
    new = pooled_key()
    while new.public_key() == chip.public_key(KeySlot.AUTH):
        new = pooled_key()
    other.generate_key(KeySlot.AUTH, lambda: new)
    signature = chip.private_key_operation(KeySlot.AUTH, b"\x01")
    assert new.public_key().recover_data_from_signature(signature, padding.PKCS1v15(), None) == b"\x01"


def test_the_chips_keys_are_rsa_2048_R_CERT_2() -> None:
    chip = Chip.blank("card-0001", master_key=MASTER_KEY)
    with pytest.raises(ValueError) as e:
        chip.generate_key(KeySlot.AUTH, lambda: rsa.generate_private_key(public_exponent=65537, key_size=1024))
    assert str(e.value) == "The chip's keys should be RSA-2048 (R_CERT_2)."


def test_a_certificate_must_certify_the_slots_key(chip: Chip) -> None:
    stranger = make_certificate(_other(chip).public_key(), _other(chip))
    with pytest.raises(ValidationError) as e:
        chip.write_certificate(KeySlot.AUTH, stranger)
    assert e.value.fields == {"field": "certificate.auth"}
    assert e.value.message == "The certificate does not certify the chip's auth key."
    assert e.value.message_ja == "電子証明書の公開鍵がICチップの鍵と一致しません。"


def _other(chip: Chip) -> rsa.RSAPrivateKey:
    key = pooled_key()
    while key.public_key() in (chip.public_key(KeySlot.AUTH), chip.public_key(KeySlot.SIGN)):
        key = pooled_key()
    return key


def test_a_certificate_that_is_not_der_is_refused_with_the_field(chip: Chip) -> None:
    with pytest.raises(ValidationError) as e:
        chip.write_certificate(KeySlot.AUTH, b"\x30\x03abc")
    assert e.value.fields == {"field": "certificate.auth"}
    assert e.value.message.startswith("Not a DER X.509 certificate: ")
    assert e.value.message_ja == "電子証明書の形式が正しくありません。"
    with pytest.raises(TypeError) as t:
        chip.write_certificate(KeySlot.AUTH, "MIIB")  # type: ignore[arg-type]
    assert str(t.value) == "certificate.auth must be DER bytes"


@pytest.mark.parametrize("n", [1, 245])
def test_the_chip_signs_1_to_245_bytes_with_a_2048_bit_key_R_CHIP_3(chip: Chip, n: int) -> None:
    data = bytes(range(1, n + 1))
    signature = chip.private_key_operation(KeySlot.AUTH, data)
    assert chip.public_key(KeySlot.AUTH).recover_data_from_signature(signature, padding.PKCS1v15(), None) == data


def test_the_chip_refuses_more_than_245_bytes_to_sign_R_CHIP_3(chip: Chip) -> None:
    with pytest.raises(ValidationError) as e:
        chip.private_key_operation(KeySlot.AUTH, bytes(246))
    assert e.value.fields == {"field": "digest_info"}
    assert e.value.message == "The DigestInfo should be 1 to 245 bytes, not 246."
    assert e.value.message_ja == "署名対象データの長さが正しくありません。"


def test_compute_digital_signature_takes_a_single_byte_R_CHIP_3(card: VirtualCard) -> None:
    send(card, "00A4040C0AD392F000260100000001")
    send(card, "00A4020C020018")
    assert send(card, "0020008004" + AUTH_PIN.encode().hex())[1] == 0x9000
    send(card, "00A4020C020017")
    data, sw = send(card, "802A008001" + "01" + "00")
    assert (sw, len(data)) == (0x9000, 256)


def test_an_unknown_pin_verifier_is_named() -> None:
    with pytest.raises(ValueError) as e:
        PinVerifier.from_dict({"kdf": "scrypt"})
    assert str(e.value) == "Unknown PIN verifier 'scrypt'."


def test_a_chip_needs_a_card_id() -> None:
    with pytest.raises(ValueError) as e:
        Chip.blank("", master_key=MASTER_KEY)
    assert str(e.value) == "The card id should not be empty."


def test_pin_verifiers_take_a_16_byte_random_salt_RFC_9106() -> None:
    assert len(PinVerifier.new(b"1234", bytes(32)).salt) == 16
    assert len(PinVerifier.from_legacy_hmac(bytes(16), bytes(32)).salt) == 16


def test_the_pin_kdf_cost_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from mynacard.chip.pins import PRODUCTION_KDF, kdf_parameters

    monkeypatch.delenv("MYNACARD_PIN_KDF", raising=False)
    assert kdf_parameters() == PRODUCTION_KDF
    monkeypatch.setenv("MYNACARD_PIN_KDF", " t=2, m=64, p=1 ")
    assert kdf_parameters() == (2, 64, 1)


@pytest.mark.parametrize("raw", ["t=0,m=64,p=1", "t=1,m=64,p=0", "t=1,m=7,p=1"])
def test_a_pin_kdf_cost_argon2_cannot_take_is_refused(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    from mynacard.chip.pins import kdf_parameters

    monkeypatch.setenv("MYNACARD_PIN_KDF", raw)
    with pytest.raises(ValueError) as e:
        kdf_parameters()
    assert str(e.value) == "MYNACARD_PIN_KDF: t and p must be >= 1 and m >= 8*p KiB (Argon2)."


def test_a_pin_kdf_cost_that_does_not_parse_shows_the_expected_form(monkeypatch: pytest.MonkeyPatch) -> None:
    from mynacard.chip.pins import kdf_parameters

    monkeypatch.setenv("MYNACARD_PIN_KDF", "t=x")
    with pytest.raises(ValueError) as e:
        kdf_parameters()
    assert str(e.value) == "MYNACARD_PIN_KDF should read \"t=2,m=19456,p=1\", not 't=x'."


def test_verify_of_an_absent_pin_ef_by_its_short_identifier_is_6a88(card: VirtualCard) -> None:
    send(card, "00A4040C0AD392F000260100000001")
    assert send(card, "0020009E")[1] == 0x6A88  # SFI 30: no such PIN EF
    assert send(card, "0020009F")[1] == 0x6A86  # beyond the short identifiers
