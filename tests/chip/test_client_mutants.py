"""The reader-side client's sequences (chip/client.py) against the virtual card, and the PIN
objects' stored form (chip/pins.py, R_PIN_4). Written to kill mutants (docs/testing.md)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import padding

from mynacard.chip import Chip, KeySlot, digest_info
from mynacard.chip.card_os import VirtualCard
from mynacard.chip.client import JPKI_AID, CardClient, CardStatusError
from mynacard.chip.pins import PinRecord, PinVerifier
from tests.chip.conftest import AUTH_PIN

AUTH_CERT_EF, AUTH_PIN_EF, AUTH_KEY_EF, TOKEN_EF = 0x000A, 0x0018, 0x0017, 0x0006


@pytest.fixture
def client(card: VirtualCard) -> CardClient:
    c = CardClient(card.transmit)
    c.select_ap(JPKI_AID)
    return c


def test_a_certificate_is_read_whole_in_256_byte_steps_R_CHIP_2(chip: Chip, client: CardClient) -> None:
    client.select_ef(AUTH_CERT_EF)
    der = client.read_certificate()
    assert der == chip.certificate(KeySlot.AUTH)
    reads = [cmd for cmd, _ in client.log if cmd[1] == 0xB0]
    # the 4-byte header, then at most 256 bytes at a time up to the certificate's own length
    assert reads[0].hex() == "00b0000004"
    expected, offset = [], 4
    while offset < len(der):
        expected.append(min(256, len(der) - offset))
        offset += expected[-1]
    assert [cmd[4] or 256 for cmd in reads[1:]] == expected
    assert [int.from_bytes(cmd[2:4], "big") for cmd in reads[1:]] == [
        4 + sum(expected[:i]) for i in range(len(expected))
    ]


def test_reading_something_that_is_not_a_certificate_says_what_the_card_answered(client: CardClient) -> None:
    client.select_ef(TOKEN_EF)  # the token EF holds text, not a DER certificate
    with pytest.raises(CardStatusError) as e:
        client.read_certificate()
    assert e.value.fields == {"command": "READ BINARY", "sw": 0x9000}
    assert e.value.message == "The card refused READ BINARY: SW 9000."
    assert e.value.message_ja == "カードがコマンドを拒否しました。応答コード: 9000"


def test_a_signature_after_verify_is_the_holders_R_CHIP_3(chip: Chip, client: CardClient) -> None:
    assert client.verify(AUTH_PIN_EF, AUTH_PIN.encode()).sw == 0x9000
    di = digest_info("sha256", bytes(range(32)))
    signature = client.sign(AUTH_KEY_EF, di)
    assert len(signature) == 256
    assert chip.public_key(KeySlot.AUTH).recover_data_from_signature(signature, padding.PKCS1v15(), None) == di
    assert client.log[-1][0].hex().startswith("802a0080")


def test_a_signature_without_verify_is_refused_with_6982_R_CHIP_3(client: CardClient) -> None:
    with pytest.raises(CardStatusError) as e:
        client.sign(AUTH_KEY_EF, digest_info("sha256", bytes(32)))
    assert e.value.fields == {"command": "COMPUTE DIGITAL SIGNATURE", "sw": 0x6982}
    assert str(e.value) == "The card refused COMPUTE DIGITAL SIGNATURE: SW 6982."


def test_a_pin_record_is_made_with_its_tries_and_generation_R_PIN_4() -> None:
    rec = PinRecord.new(b"1234", 3, 2)
    assert (rec.tries_left, rec.generation) == (3, 2)
    assert rec.matches(b"1234") and not rec.matches(b"1235")
    assert PinRecord.new(b"1234", 5).generation == 0


def test_a_pin_verifier_survives_its_stored_form_R_PIN_4() -> None:
    verifier = PinVerifier.new(b"ABC123")
    raw = verifier.to_bytes()
    assert raw == raw.decode("ascii").encode("ascii") and raw.startswith(b'{"')
    again = PinVerifier.from_bytes(raw)
    assert again == verifier
    assert PinRecord(again, 5).matches(b"ABC123") and not PinRecord(again, 5).matches(b"ABC124")
