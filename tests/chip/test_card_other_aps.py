"""Card-info-input, card-face and resident-registry APs over APDUs (R_CHIP_1, R_CHIP_4)."""

from __future__ import annotations

import pytest

from mynacard.chip import Chip, PinId, tlv
from mynacard.chip.card_os import VirtualCard
from mynacard.chip.client import CARD_FACE_AID, CARD_INFO_AID, RESIDENT_AID, CardClient
from tests.chip.conftest import CARD_INFO, send


@pytest.fixture
def client(card: VirtualCard) -> CardClient:
    return CardClient(card.transmit)


def test_card_info_needs_its_pin_R_CHIP_4(client: CardClient) -> None:
    client.select_ap(CARD_INFO_AID)
    client.select_ef(0x0001)
    assert client.read_binary(0, 16).sw == 0x6982
    assert client.verify(0x0011, b"1234").sw == 0x63C2  # the auth PIN value is not this PIN
    assert client.verify(0x0011, b"9012").sw == 0x9000


def test_card_info_number_R_CHIP_4(client: CardClient) -> None:
    client.select_ap(CARD_INFO_AID)
    client.verify(0x0011, b"9012")
    data = client.read_ef(0x0001)
    assert data[3:15] == b"123456789018"
    assert tlv.decode(data) == [(0xFF10, b"123456789018")]


def test_card_info_attributes_R_CHIP_4(client: CardClient) -> None:
    """EF 0002: FF20 { DF21 offsets, DF22 name, DF23 address, DF24 birth, DF25 sex }."""
    client.select_ap(CARD_INFO_AID)
    client.verify(0x0011, b"9012")
    data = client.read_ef(0x0002)
    [(outer, body)] = tlv.decode(data)
    assert outer == 0xFF20
    items = tlv.decode(body)
    assert [t for t, _ in items] == [0xDF21, 0xDF22, 0xDF23, 0xDF24, 0xDF25]
    values = dict(items)
    assert values[0xDF22].decode("utf-8") == CARD_INFO.name
    assert values[0xDF23].decode("utf-8") == CARD_INFO.address
    assert values[0xDF24] == b"19900401"
    assert values[0xDF25] == b"2"
    # DF21 points at each of the four objects.
    offsets = [int.from_bytes(values[0xDF21][i : i + 2], "big") for i in range(0, 8, 2)]
    for off, tag in zip(offsets, (0xDF22, 0xDF23, 0xDF24, 0xDF25), strict=True):
        assert data[off : off + 2] == tag.to_bytes(2, "big")


def test_card_info_long_address_uses_long_lengths(chip: Chip, client: CardClient) -> None:
    from dataclasses import replace

    chip.write_card_info(replace(CARD_INFO, address="北海道" * 60))  # 540 bytes of UTF-8
    client.select_ap(CARD_INFO_AID)
    client.verify(0x0011, b"9012")
    data = client.read_ef(0x0002)
    assert len(data) > 512
    [(_, body)] = tlv.decode(data)
    values = dict(tlv.decode(body))
    assert values[0xDF23].decode() == "北海道" * 60
    offsets = [int.from_bytes(values[0xDF21][i : i + 2], "big") for i in range(0, 8, 2)]
    assert data[offsets[3] : offsets[3] + 2] == b"\xdf\x25"


def test_card_info_pin_counter_is_its_own_R_PIN_3(chip: Chip, client: CardClient) -> None:
    client.select_ap(CARD_INFO_AID)
    for _ in range(3):
        client.verify(0x0011, b"0000")
    assert chip.is_locked(PinId.CARD_INFO)
    assert chip.tries_left(PinId.AUTH) == 3
    assert chip.tries_left(PinId.RESIDENT) == 3
    assert client.tries_left(0x0011) == 0


def test_card_face_pin_a_opens_number_and_front(client: CardClient) -> None:
    """PIN A (the number) opens EF 0001 birth, EF 0002 front and EF 0005 number image."""
    client.select_ap(CARD_FACE_AID)
    client.select_ef(0x0002)
    assert client.read_binary(0, 1).sw == 0x6982
    assert client.tries_left(0x0013) == 10
    assert client.verify(0x0013, b"123456789018").sw == 0x9000
    [(tag, body)] = tlv.decode(client.read_ef(0x0001))
    assert tag == 0xFF10
    assert [t for t, _ in tlv.decode(body)] == [0xDF11, 0xDF12, 0xDF13]
    assert dict(tlv.decode(body))[0xDF11] == b"19900401"
    [(tag, body)] = tlv.decode(client.read_ef(0x0005))
    assert tag == 0xFF40
    assert dict(tlv.decode(body))[0xDF41].startswith(b"\x89PNG")


def test_card_face_pin_b_opens_front_only_R_NUM_3(client: CardClient) -> None:
    """PIN B (birth YYMMDD + expiry year + security code) shows the front, not the number."""
    client.select_ap(CARD_FACE_AID)
    assert client.verify(0x0012, b"90040120344321").sw == 0x9000
    assert client.read_ef(0x0002).startswith(b"\xff\x20\x82")
    client.select_ef(0x0005)
    assert client.read_binary(0, 1).sw == 0x6982


def test_card_face_pins_cannot_be_changed(client: CardClient) -> None:
    client.select_ap(CARD_FACE_AID)
    client.verify(0x0013, b"123456789018")
    assert (
        client.send(bytes.fromhex("00240180 0C 313131313131313131313131".replace(" ", ""))).sw
        == 0x6981
    )


def test_card_face_wrong_pin_counts(chip: Chip, client: CardClient) -> None:
    client.select_ap(CARD_FACE_AID)
    assert client.verify(0x0012, b"90040120341111").sw == 0x63C9
    assert client.tries_left(0x0012) == 9
    assert client.tries_left(0x0013) == 10


def test_resident_registry_pin_R_PIN_3(chip: Chip, client: CardClient) -> None:
    """The resident-registry PIN is EF 001C of its AP (EF 0011 does not exist there)."""
    client.select_ap(RESIDENT_AID)
    assert client.send(bytes.fromhex("00A4020C020011")).sw == 0x6A82
    assert client.tries_left(0x001C) == 3
    assert client.verify(0x001C, b"5678").sw == 0x9000
    client.change_pin(0x001C, b"5678", b"8765")
    chip.verify_pin(PinId.RESIDENT, "8765")
    assert client.verify(0x001C, b"0000").sw == 0x63C2


def test_aps_without_card_data(keygen) -> None:  # type: ignore[no-untyped-def]
    from tests.chip.conftest import MASTER_KEY

    chip = Chip.blank("blank", master_key=MASTER_KEY)
    card = VirtualCard(chip)
    send(card, "00A4040C 0A " + CARD_INFO_AID.hex())
    assert send(card, "00A4020C 02 0001")[1] == 0x6A82
    send(card, "00A4040C 0A " + CARD_FACE_AID.hex())
    send(card, "00A4020C 02 0013")
    assert send(card, "00200080 0C 313233343536373839303138")[1] == 0x6A88
