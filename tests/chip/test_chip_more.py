"""The chip's PIN objects handed over at once, its stored verifiers, its signing limits and the
check of its RSA result (chip/counters.py, pins.py, signing.py, model.py, card_os.py;
R_PIN_4, R_CHIP_3, R_CERT_2)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from mynacard.chip import Chip, KeySlot, PinId
from mynacard.chip import model as chip_model
from mynacard.chip.card_os import VirtualCard
from mynacard.chip.pins import PinVerifier, kdf_parameters, pin_matches
from mynacard.chip.signing import pkcs1_v15_sign
from mynacard.errors import ValidationError
from tests.chip.conftest import AUTH_PIN, MASTER_KEY, send
from tests.keypool import pooled_key

KEY = bytes(range(32))  # a verifier key, as crypto.pin_verifier_key derives one


def test_a_hand_over_sets_each_pin_to_its_own_value_with_full_counters_R_PIN_4() -> None:
    chip = Chip.blank("card-0001", master_key=MASTER_KEY)
    chip.pins.set_all(
        {
            PinId.SIGN: chip.new_verifier("ABC123"),
            PinId.AUTH: chip.new_verifier("1234"),
            PinId.RESIDENT: None,  # declined: left unset
        }
    )
    assert [chip.is_set(p) for p in PinId] == [True, True, False, False]
    assert (chip.tries_left(PinId.SIGN), chip.tries_left(PinId.AUTH)) == (5, 3)
    chip.verify_pin(PinId.SIGN, "ABC123")
    chip.verify_pin(PinId.AUTH, "1234")


def test_a_verifier_of_an_earlier_release_still_matches_its_pin_R_PIN_4() -> None:
    """Argon2id (t=1, m=8 KiB, p=1) of "1234" under the salt 00..0F: a 32-byte hash, as stored."""
    stored = {
        "kdf": "argon2id",
        "t": 1,
        "m": 8,
        "p": 1,
        "salt": bytes(range(16)).hex(),
        "digest": "9906d2ee855b2f624a97bf4484db9d04a7beaa3c636b300019d96a2caefa4f90",
    }
    verifier = PinVerifier.from_dict(stored)
    assert pin_matches(verifier, b"1234", KEY)
    assert not pin_matches(verifier, b"1235", KEY)


def test_an_argon2_verifier_takes_a_16_byte_random_salt_RFC_9106(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MYNACARD_PIN_KDF", "t=1,m=8,p=1")
    verifier = PinVerifier.argon2(b"1234")
    assert (len(verifier.salt), len(verifier.digest)) == (16, 32)
    assert pin_matches(verifier, b"1234", KEY)


@pytest.mark.parametrize(("raw", "parameters"), [("t=1,m=8,p=1", (1, 8, 1)), ("t=1,m=16,p=2", (1, 16, 2))])
def test_the_pin_kdf_takes_the_least_memory_argon2_allows(
    monkeypatch: pytest.MonkeyPatch, raw: str, parameters: tuple[int, int, int]
) -> None:
    monkeypatch.setenv("MYNACARD_PIN_KDF", raw)
    assert kdf_parameters() == parameters


def test_the_pin_kdf_refuses_less_than_8_kib_a_lane(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MYNACARD_PIN_KDF", "t=1,m=15,p=2")
    with pytest.raises(ValueError) as e:
        kdf_parameters()
    assert str(e.value) == "MYNACARD_PIN_KDF: t and p must be >= 1 and m >= 8*p KiB (Argon2)."


def test_a_pin_verifier_is_stored_as_json_with_sorted_keys_R_PIN_4() -> None:
    keyed = PinVerifier(bytes(16), bytes(32), 0, 0, 0, kdf="hmac-sha256")
    assert keyed.to_bytes() == (
        b'{"digest": "' + b"00" * 32 + b'", "kdf": "hmac-sha256", "salt": "' + b"00" * 16 + b'"}'
    )
    slow = PinVerifier(b"\x01" * 16, b"\x02" * 32, 2, 19456, 1)
    assert slow.to_bytes() == (
        b'{"digest": "' + b"02" * 32 + b'", "kdf": "argon2id", "m": 19456, "p": 1, "salt": "'
        + b"01" * 16 + b'", "t": 2}'
    )
    assert PinVerifier.from_bytes(slow.to_bytes()) == slow


def test_a_ca_certificate_that_is_not_der_is_refused_with_the_field(chip: Chip) -> None:
    with pytest.raises(ValidationError) as e:
        chip.write_ca_certificate(KeySlot.SIGN, b"\x30\x03abc")
    assert e.value.fields == {"field": "ca_certificate.sign"}
    assert e.value.message.startswith("Not a DER X.509 certificate: ")
    assert e.value.message_ja == "電子証明書の形式が正しくありません。"


def _verified_auth_key(card: VirtualCard) -> None:
    send(card, "00A4040C0AD392F000260100000001")
    send(card, "00A4020C020018")
    assert send(card, "0020008004" + AUTH_PIN.encode().hex())[1] == 0x9000
    send(card, "00A4020C020017")


def test_compute_digital_signature_takes_up_to_245_bytes_R_CHIP_3(chip: Chip, card: VirtualCard) -> None:
    _verified_auth_key(card)
    data = bytes(range(245))
    signature, sw = send(card, "802A0080F5" + data.hex() + "00")
    assert (sw, len(signature)) == (0x9000, 256)
    assert chip.public_key(KeySlot.AUTH).recover_data_from_signature(signature, padding.PKCS1v15(), None) == data
    assert send(card, "802A0080F6" + bytes(246).hex() + "00") == (b"", 0x6700)


def test_input_longer_than_a_smaller_key_can_pad_is_6700_R_CHIP_3(monkeypatch: pytest.MonkeyPatch) -> None:
    """A chip whose key has 1024 bits (117 bytes at most) answers 6700 to 200 bytes, as to any
    input of the wrong length, and not the 6F00 of an unexpected error."""
    monkeypatch.setattr(chip_model, "KEY_BITS", 1024)
    chip = Chip.blank("card-0001", master_key=MASTER_KEY)
    chip.set_pin(PinId.AUTH, AUTH_PIN)
    chip.generate_key(KeySlot.AUTH, lambda: rsa.generate_private_key(65537, 1024))
    card = VirtualCard(chip)
    _verified_auth_key(card)
    assert send(card, "802A0080C8" + bytes(200).hex() + "00") == (b"", 0x6700)
    signature, sw = send(card, "802A008075" + bytes(117).hex() + "00")
    assert (sw, len(signature)) == (0x9000, 128)


def test_a_faulty_rsa_result_never_leaves_the_chip() -> None:
    """A fault in the CRT (here a wrong q^-1 mod p) gives a signature that does not verify:
    the chip checks it and raises instead of answering it (it would leak the key's factors)."""
    good = pooled_key().private_numbers()
    faulty = rsa.RSAPrivateNumbers(
        good.p, good.q, good.d, good.dmp1, good.dmq1, (good.iqmp + 1) % good.p, good.public_numbers
    )
    assert len(pkcs1_v15_sign(good, b"abc")) == 256
    with pytest.raises(RuntimeError) as e:
        pkcs1_v15_sign(faulty, b"abc")
    assert str(e.value) == "RSA self-check failed"
