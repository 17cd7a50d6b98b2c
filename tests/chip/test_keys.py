"""Keys made on the chip and signatures over a DigestInfo (R_CERT_2)."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from mynacard.chip import Chip, KeySlot, PinId, digest_info
from mynacard.crypto import unseal_private_key
from mynacard.errors import StateError, ValidationError, WrongPin
from tests.chip.conftest import AUTH_PIN, MASTER_KEY, SIGN_PW, make_certificate


@pytest.mark.parametrize(("slot", "pin"), [(KeySlot.SIGN, SIGN_PW), (KeySlot.AUTH, AUTH_PIN)])
def test_signature_verifies_with_chip_public_key_R_CERT_2(
    chip: Chip, slot: KeySlot, pin: str
) -> None:
    digest = hashlib.sha256(b"e-Tax filing").digest()
    sig = chip.sign(slot, digest_info("sha256", digest), pin)
    assert len(sig) == 256
    chip.public_key(slot).verify(sig, digest, PKCS1v15(), Prehashed(hashes.SHA256()))


def test_signature_matches_cryptography_pkcs1v15_R_CERT_2(keygen) -> None:  # type: ignore[no-untyped-def]
    """Our padding + CRT gives bit-for-bit the standard PKCS#1 v1.5 signature."""
    key = keygen()
    chip = Chip.blank("c", master_key=MASTER_KEY)
    chip.set_pin(PinId.AUTH, "1234")
    chip.generate_key(KeySlot.AUTH, lambda: key)
    for name, algo in [
        ("sha1", hashes.SHA1()),
        ("sha256", hashes.SHA256()),
        ("sha512", hashes.SHA512()),
    ]:
        h = hashes.Hash(algo)
        h.update(b"x")
        digest = h.finalize()
        expected = key.sign(digest, PKCS1v15(), Prehashed(algo))
        assert chip.sign(KeySlot.AUTH, digest_info(name, digest), "1234") == expected


def test_raw_pkcs1_data_is_signed_as_given(chip: Chip) -> None:
    """CKM_RSA_PKCS: any data up to 245 bytes (e.g. a TLS MD5+SHA-1 hash) is padded and signed."""
    data = bytes(36)
    sig = chip.sign(KeySlot.AUTH, data, AUTH_PIN)
    n = chip.public_key(KeySlot.AUTH).public_numbers()
    em = pow(int.from_bytes(sig, "big"), n.e, n.n).to_bytes(256, "big")
    assert em == b"\x00\x01" + b"\xff" * (256 - 3 - 36) + b"\x00" + data


@pytest.mark.parametrize("size", [0, 246, 300])
def test_wrong_size_input_costs_no_try(chip: Chip, size: int) -> None:
    with pytest.raises(ValidationError):
        chip.sign(KeySlot.SIGN, bytes(size), SIGN_PW)
    assert chip.tries_left(PinId.SIGN) == 5


def test_sign_needs_the_slot_pin_R_CERT_2(chip: Chip) -> None:
    """The signing key wants the signing password; the auth PIN is a wrong try of it."""
    with pytest.raises(WrongPin) as info:
        chip.sign(KeySlot.SIGN, digest_info("sha256", bytes(32)), AUTH_PIN)
    assert info.value.pin == "sign"
    assert chip.tries_left(PinId.SIGN) == 4


def test_private_key_never_leaves_the_chip_R_CERT_2(chip: Chip) -> None:
    public = [n for n in dir(chip) if not n.startswith("_")]
    assert not [n for n in public if "private" in n and n != "private_key_operation"]
    assert b"PRIVATE" not in chip.state.to_json().encode()


def test_generate_key_replaces_key_and_drops_certificate(chip: Chip, keygen) -> None:  # type: ignore[no-untyped-def]
    new = chip.generate_key(KeySlot.AUTH, keygen)
    assert chip.public_key(KeySlot.AUTH).public_numbers() == new.public_numbers()
    assert chip.certificate(KeySlot.AUTH) is None


def test_generate_key_refuses_non_2048_keys_R_CERT_2() -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    chip = Chip.blank("c", master_key=MASTER_KEY)
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(ValueError, match="RSA-2048"):
        chip.generate_key(KeySlot.AUTH, lambda: small)


def test_certificate_must_certify_the_chip_key(chip: Chip, keygen) -> None:  # type: ignore[no-untyped-def]
    ca = keygen()
    other = keygen()
    while other.public_key().public_numbers() == chip.public_key(KeySlot.SIGN).public_numbers():
        other = keygen()
    with pytest.raises(ValidationError):
        chip.write_certificate(KeySlot.SIGN, make_certificate(other.public_key(), ca))
    with pytest.raises(ValidationError):
        chip.write_certificate(KeySlot.SIGN, b"not a certificate")


def test_clear_slot_removes_key_and_certificate(chip: Chip) -> None:
    chip.clear_slot(KeySlot.SIGN)
    assert chip.certificate(KeySlot.SIGN) is None
    assert not chip.has_key(KeySlot.SIGN)
    with pytest.raises(StateError):
        chip.sign(KeySlot.SIGN, digest_info("sha256", bytes(32)), SIGN_PW)
    assert chip.tries_left(PinId.SIGN) == 5  # no key: no try spent
    assert chip.certificate(KeySlot.AUTH) is not None


def test_sealed_key_not_readable_without_master_key(chip: Chip) -> None:
    blob = chip.state.sealed_keys[KeySlot.SIGN]
    context = b"chip:card-0001:sign"
    assert unseal_private_key(blob, MASTER_KEY, context=context).key_size == 2048
    with pytest.raises(InvalidTag):
        unseal_private_key(blob, bytes(32), context=context)
    with pytest.raises(InvalidTag):  # the context binds the key to its card and slot
        unseal_private_key(blob, MASTER_KEY, context=b"chip:other-card:sign")
    stolen = Chip(chip.state, master_key=bytes(32))
    with pytest.raises(InvalidTag):
        stolen.public_key(KeySlot.SIGN)


def test_signature_fails_with_other_slot_key(chip: Chip) -> None:
    digest = hashlib.sha256(b"x").digest()
    sig = chip.sign(KeySlot.AUTH, digest_info("sha256", digest), AUTH_PIN)
    if (
        chip.public_key(KeySlot.SIGN).public_numbers()
        == chip.public_key(KeySlot.AUTH).public_numbers()
    ):
        pytest.skip("the key pool handed out the same key twice")
    with pytest.raises(InvalidSignature):
        chip.public_key(KeySlot.SIGN).verify(sig, digest, PKCS1v15(), Prehashed(hashes.SHA256()))


def test_raw_operation_equals_standard_signature_R_CERT_2(keygen) -> None:  # type: ignore[no-untyped-def]
    """The raw path (used for data that is not a known DigestInfo) is the standard PKCS#1 v1.5."""
    from mynacard.chip.signing import pkcs1_v15_sign

    key = keygen()
    digest = hashlib.sha256(b"raw").digest()
    expected = key.sign(digest, PKCS1v15(), Prehashed(hashes.SHA256()))
    assert pkcs1_v15_sign(key.private_numbers(), digest_info("sha256", digest)) == expected
