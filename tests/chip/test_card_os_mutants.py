"""What the card answers about itself: FCI and FCP after SELECT, the common AP's record, a chip
whose certificate was removed, raw RSA signing, and the card's expiry on a 29 February birthday
(chip/card_os.py, applications.py, model.py, signing.py, card_data.py; R_CHIP_1, R_CARD_2,
R_CARD_4). Written to kill mutants (docs/testing.md)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from cryptography.hazmat.primitives.asymmetric import padding

from mynacard.chip import Chip, KeySlot
from mynacard.chip.card_data import expiry_date
from mynacard.chip.card_os import VirtualCard
from mynacard.chip.signing import pkcs1_v15_sign
from tests.chip.conftest import CARD_INFO, MASTER_KEY, send
from tests.keypool import pooled_key

JPKI = "D392F000260100000001"


@pytest.mark.parametrize(("p2", "tag"), [("00", "6f"), ("04", "62")])
def test_select_of_an_ap_answers_its_name_in_the_fci_or_the_fcp_R_CHIP_1(card: VirtualCard, p2: str, tag: str) -> None:
    data, sw = send(card, f"00A404{p2}0A{JPKI}00")
    assert sw == 0x9000
    assert data.hex().upper() == f"{tag.upper()}0C840A{JPKI}"


def test_select_of_the_mf_answers_its_identifier(card: VirtualCard) -> None:
    data, sw = send(card, f"00A404000A{JPKI}00")
    data, sw = send(card, "00A40000023F0000")
    assert (data.hex(), sw) == ("6f0484023f00", 0x9000)


def test_the_fcp_of_a_file_gives_its_size_kind_and_identifier_R_CHIP_1(chip: Chip, card: VirtualCard) -> None:
    send(card, f"00A4040C0A{JPKI}")
    size = len(chip.certificate(KeySlot.AUTH) or b"")
    data, sw = send(card, "00A4020402000A00")
    assert sw == 0x9000
    assert data.hex() == "620b8002" + size.to_bytes(2, "big").hex() + "820101" + "8302000a"
    assert send(card, "00A40204020017FF")[0].hex() == "62078201118302" + "0017"  # a key object
    assert send(card, "00A40204020018FF")[0].hex() == "62078201108302" + "0018"  # a PIN object


def test_a_removed_certificate_is_no_longer_found_and_removing_it_again_is_harmless(
    chip: Chip, card: VirtualCard
) -> None:
    """A holder whose signing certificate was revoked and not reissued: EF 0001 answers 6A82."""
    chip.clear_slot(KeySlot.SIGN)
    chip.clear_slot(KeySlot.SIGN)
    send(card, f"00A4040C0A{JPKI}")
    assert send(card, "00A40204020001FF") == (b"", 0x6A82)
    assert send(card, "00A4020402000AFF")[1] == 0x9000


@pytest.mark.parametrize("card_id", ["card-0001", "card-0002", "x", "カード"])
def test_the_common_aps_record_is_js_13_digits_and_00(card_id: str) -> None:
    """jpki/myna reads characters 2..14 of record 1 (SFI 1) as the 13-digit manufacturing number."""
    from mynacard.chip.applications import _common_records

    [record] = _common_records(Chip.blank(card_id, master_key=MASTER_KEY))
    assert record[:2] == b"\x30\x11" and len(record) == 19
    text = record[2:].decode("ascii")
    assert text.startswith("JS") and text.endswith("00") and text[2:15].isdigit()


@pytest.mark.parametrize("n", [1, 32, 245])
def test_raw_rsa_signing_pads_1_to_245_bytes_R_CERT_2(n: int) -> None:
    key = pooled_key()
    t = bytes(range(1, n + 1))
    signature = pkcs1_v15_sign(key.private_numbers(), t)
    assert key.public_key().recover_data_from_signature(signature, padding.PKCS1v15(), None) == t


@pytest.mark.parametrize("n", [0, 246])
def test_raw_rsa_signing_refuses_what_padding_cannot_hold(n: int) -> None:
    with pytest.raises(ValueError) as e:
        pkcs1_v15_sign(pooled_key().private_numbers(), bytes(n))
    assert str(e.value) == f"The data to sign should be 1 to 245 bytes, not {n}."


@pytest.mark.parametrize(
    ("expiry_year", "expected"),
    [
        (2027, date(2027, 2, 28)),
        (2028, date(2028, 2, 29)),
        (2100, date(2100, 2, 28)),
        (2000, date(2000, 2, 29)),
        (2400, date(2400, 2, 29)),
    ],
)
def test_a_card_of_someone_born_on_29_february_expires_on_28_february_in_common_years_R_CARD_4(
    expiry_year: int, expected: date
) -> None:
    info = replace(CARD_INFO, birth_date=date(1992, 2, 29), expiry_year=expiry_year)
    assert expiry_date(info) == expected


def test_the_attributes_digest_covers_ef_0002_up_to_the_end_of_ff20_only() -> None:
    """Readers hash what they read; the padding after the FF20 object is not part of it."""
    from mynacard.chip.card_data import CardData, attributes_digest, attributes_ef

    ef = attributes_ef(CardData.of(CARD_INFO))
    assert attributes_digest(ef + b"\xff" * 8) == attributes_digest(ef)
    assert attributes_digest(ef[:-1] + bytes([ef[-1] ^ 1])) != attributes_digest(ef)


def test_a_signature_that_is_not_the_sandbox_signers_does_not_verify() -> None:
    from mynacard.chip.card_data import verify_signature

    assert verify_signature(b"data", bytes(256)) is False


COMMON = "D3921000310001010100"


@pytest.mark.parametrize(
    ("apdu", "sw", "length"),
    [
        ("00B2010C00", 0x9000, 19),  # record 1 of SFI 1, Le 00: as many bytes as there are
        ("00B2010C13", 0x9000, 19),  # Le exactly the record's 19 bytes
        ("00B2010C05", 0x6C13, 0),  # Le too short: 6C and the length to ask for
        ("00B2010D00", 0x6A86, 0),  # P2 must end in 100 (record number in P1)
        ("00B2000C00", 0x6A86, 0),  # no record 0
        ("00B2020C00", 0x6A83, 0),  # the file has one record
    ],
)
def test_read_record_of_the_common_ap_answers_as_iso_7816_4_says(
    card: VirtualCard, apdu: str, sw: int, length: int
) -> None:
    send(card, f"00A4040C0A{COMMON}")
    data, got = send(card, apdu)
    assert (got, len(data)) == (sw, length)


@pytest.mark.parametrize(
    ("address", "municipality"),
    [
        ("東京都千代田区千代田1-1", "東京都千代田区"),
        ("北海道札幌市中央区北1条西2丁目", "北海道札幌市"),
        ("京都府京都市中京区", "京都府京都市"),
        ("千葉県市川市八幡1-1", "千葉県市川市"),  # 市 as the first character of the name is part of it
        ("市川市八幡1-1", "市川市"),  # no prefecture written
        ("神奈川県足柄下郡箱根町湯本", "神奈川県足柄下郡箱根町"),
        ("東京都", "東京都"),  # nothing after the prefecture: the whole address
    ],
)
def test_the_card_faces_municipality_is_the_address_up_to_its_first_city_ward_town_or_village(
    address: str, municipality: str
) -> None:
    from mynacard.chip.card_data import municipality as municipality_of

    assert municipality_of(address) == municipality
