"""The reader-side client's sequences (chip/client.py) against the virtual card, and the PIN
objects' stored form (chip/pins.py, R_PIN_4). Written to kill mutants (docs/testing.md)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import padding

from mynacard.chip import Chip, KeySlot, digest_info
from mynacard.chip.card_os import VirtualCard
from mynacard.chip.client import JPKI_AID, CardClient, CardStatusError
from mynacard.chip.pins import PinVerifier, pin_matches
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

KEY = bytes(range(32))  # a verifier key, as crypto.pin_verifier_key derives one


def test_a_signature_without_verify_is_refused_with_6982_R_CHIP_3(client: CardClient) -> None:
    with pytest.raises(CardStatusError) as e:
        client.sign(AUTH_KEY_EF, digest_info("sha256", bytes(32)))
    assert e.value.fields == {"command": "COMPUTE DIGITAL SIGNATURE", "sw": 0x6982}
    assert str(e.value) == "The card refused COMPUTE DIGITAL SIGNATURE: SW 6982."


def test_a_keyed_pin_verifier_matches_only_its_pin_under_its_key_R_PIN_4() -> None:
    verifier = PinVerifier.new(b"1234", KEY)
    assert pin_matches(verifier, b"1234", KEY)
    assert not pin_matches(verifier, b"1235", KEY)
    assert not pin_matches(verifier, b"1234", bytes(32))  # the database alone does not tell the PIN


def test_a_pin_verifier_survives_its_stored_form_R_PIN_4() -> None:
    verifier = PinVerifier.new(b"ABC123", KEY)
    raw = verifier.to_bytes()
    assert raw == raw.decode("ascii").encode("ascii") and raw.startswith(b'{"')
    again = PinVerifier.from_bytes(raw)
    assert again == verifier
    assert pin_matches(again, b"ABC123", KEY) and not pin_matches(again, b"ABC124", KEY)


def test_the_client_names_the_command_the_card_refused(card: VirtualCard) -> None:
    client = CardClient(card.transmit)
    with pytest.raises(CardStatusError) as e:
        client.select_ap(bytes.fromhex("D392F0002601000000FF"))
    assert e.value.fields == {"command": "SELECT AP", "sw": 0x6A82}
    client.select_ap(JPKI_AID)
    with pytest.raises(CardStatusError) as e:
        client.select_ef(0x0099)
    assert e.value.fields == {"command": "SELECT EF", "sw": 0x6A82}
    assert client.log[-1][0].hex() == "00a4020c020099"
    with pytest.raises(CardStatusError) as e:
        client.tries_left(AUTH_CERT_EF)  # VERIFY on a certificate EF
    assert e.value.fields["command"] == "VERIFY"
    assert isinstance(e.value.fields["sw"], int) and e.value.fields["sw"] != 0x9000


def test_reading_a_protected_file_says_read_binary_and_the_status_word(client: CardClient) -> None:
    client.select_ef(0x0001)  # the signing certificate needs the signing password
    with pytest.raises(CardStatusError) as e:
        client.read_current()
    assert e.value.fields == {"command": "READ BINARY", "sw": 0x6982}


def test_a_whole_file_is_read_in_256_byte_steps_and_the_reading_stops_at_a_short_answer(
    chip: Chip, client: CardClient
) -> None:
    client.select_ef(AUTH_CERT_EF)
    data = client.read_current()
    assert data == chip.certificate(KeySlot.AUTH)
    reads = [cmd for cmd, _ in client.log if cmd[1] == 0xB0]
    assert all(cmd[4] == 0x00 for cmd in reads)  # Le 00: 256 bytes
    assert len(reads) == len(data) // 256 + 1


def test_a_blocked_pin_shows_no_tries_left_R_PIN_7(client: CardClient) -> None:
    for _ in range(3):
        client.verify(AUTH_PIN_EF, b"0000")
    assert client.tries_left(AUTH_PIN_EF) == 0


def test_changing_a_pin_names_the_step_that_was_refused_R_PIN_6(client: CardClient) -> None:
    with pytest.raises(CardStatusError) as e:
        client.change_pin(AUTH_PIN_EF, b"0000", b"4321")
    assert e.value.fields == {"command": "VERIFY", "sw": 0x63C2}
    with pytest.raises(CardStatusError) as e:
        client.change_pin(AUTH_PIN_EF, AUTH_PIN.encode(), b"43210")  # not 4 digits
    assert e.value.fields == {"command": "CHANGE REFERENCE DATA", "sw": 0x6A80}


class ScriptedCard:
    """A card behind a reader that answers SELECT with 9000 and READ BINARY from ``content`` as
    ISO 7816-4 says (6282 for a short read, 6B00 past the end); ``answers`` overrides the
    answer to a command header (CLA INS P1 P2, hex)."""

    def __init__(self, content: bytes, answers: dict[str, bytes] | None = None) -> None:
        self.content = content
        self.answers = answers or {}

    def transmit(self, apdu: bytes) -> bytes:
        header = apdu[:4].hex()
        if header in self.answers:
            return self.answers[header]
        if apdu[1] == 0xA4:
            return b"\x90\x00"
        assert apdu[1] == 0xB0 and len(apdu) == 5
        offset, le = int.from_bytes(apdu[2:4], "big"), apdu[4] or 256
        if offset >= len(self.content):
            return b"\x6b\x00"
        chunk = self.content[offset : offset + le]
        return chunk + (b"\x90\x00" if len(chunk) == le else b"\x62\x82")


def test_a_certificate_shorter_than_its_header_says_is_refused_at_the_short_read() -> None:
    # The header claims 4 + 8 bytes; the EF ends after 8: the card answers 6282 with 4 bytes.
    client = CardClient(ScriptedCard(bytes.fromhex("30820008") + b"\x01\x02\x03\x04").transmit)
    with pytest.raises(CardStatusError) as e:
        client.read_certificate()
    assert e.value.fields == {"command": "READ BINARY", "sw": 0x6282}
    assert e.value.message == "The card refused READ BINARY: SW 6282."
    assert e.value.message_ja == "カードがコマンドを拒否しました。応答コード: 6282"
    assert [cmd.hex() for cmd, _ in client.log] == ["00b0000004", "00b0000408"]


def test_a_certificate_header_the_card_marks_as_possibly_corrupted_is_not_trusted() -> None:
    # 6281: part of the returned data may be corrupted (ISO 7816-4), even with 4 bytes of 30 82.
    card = ScriptedCard(b"", {"00b00000": bytes.fromhex("30820004") + b"\x62\x81"})
    client = CardClient(card.transmit)
    with pytest.raises(CardStatusError) as e:
        client.read_certificate()
    assert e.value.fields == {"command": "READ BINARY", "sw": 0x6281}
    assert len(client.log) == 1


def test_a_certificate_of_a_short_header_answer_is_refused() -> None:
    card = ScriptedCard(bytes.fromhex("308200"))  # a 3-byte EF: 6282 with 3 bytes
    client = CardClient(card.transmit)
    with pytest.raises(CardStatusError) as e:
        client.read_certificate()
    assert e.value.fields == {"command": "READ BINARY", "sw": 0x6282}


def test_a_card_that_answers_6984_to_the_tries_query_shows_no_tries_left_R_PIN_7() -> None:
    # Our card answers 63C0 for a blocked PIN; other cards answer 6984 (blocked), read as 0 too.
    card = ScriptedCard(b"", {"00200080": b"\x69\x84"})
    client = CardClient(card.transmit)
    assert client.tries_left(AUTH_PIN_EF) == 0
    assert [cmd.hex() for cmd, _ in client.log] == ["00a4020c020018", "00200080"]


def test_a_whole_file_is_asked_for_with_le_00_at_each_offset(chip: Chip, client: CardClient) -> None:
    client.select_ef(AUTH_CERT_EF)
    data = client.read_current()
    reads = [cmd.hex() for cmd, _ in client.log if cmd[1] == 0xB0]
    assert reads == [f"00b0{offset:04x}00" for offset in range(0, len(data) + 1, 256)]


def test_compute_digital_signature_is_sent_with_le_00_for_256_bytes_R_CHIP_3(client: CardClient) -> None:
    assert client.verify(AUTH_PIN_EF, AUTH_PIN.encode()).sw == 0x9000
    di = digest_info("sha256", bytes(range(32)))
    client.sign(AUTH_KEY_EF, di)
    assert client.log[-2][0].hex() == "00a4020c020017"
    assert client.log[-1][0] == bytes.fromhex("802a0080") + bytes([len(di)]) + di + b"\x00"
