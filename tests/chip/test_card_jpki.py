"""The JPKI AP over APDUs, in the sequences client software sends (R_CHIP_1..3, R_CERT_2)."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from mynacard.chip import Chip, KeySlot, PinId, digest_info
from mynacard.chip.card_os import ATR, VirtualCard
from tests.chip.conftest import send

SELECT_JPKI = "00A4040C 0A D392F000260100000001"
AUTH_PIN_HEX = "31323334"  # "1234"
SIGN_PW_HEX = "414243313233"  # "ABC123"


def select(card: VirtualCard, fid: str) -> int:
    return send(card, f"00A4020C 02 {fid}")[1]


def read_all(card: VirtualCard) -> bytes:
    out = b""
    while True:
        data, sw = send(card, f"00B0 {len(out):04X} 00")
        if sw == 0x6B00:
            return out
        assert sw == 0x9000
        out += data
        if len(data) < 256:
            return out


@pytest.fixture
def jpki(card: VirtualCard) -> VirtualCard:
    assert send(card, SELECT_JPKI) == (b"", 0x9000)
    return card


def test_atr_is_the_jpki_atr() -> None:
    assert ATR.hex(" ").upper() == "3B E0 00 FF 81 31 FE 45 14"
    tck = 0
    for b in ATR[1:-1]:
        tck ^= b
    assert tck == ATR[-1]  # the check byte of a T=1 ATR


def test_select_by_aid_R_CHIP_1(card: VirtualCard) -> None:
    for aid in [
        "D392F000260100000001",
        "D3921000310001010408",
        "D3921000310001010402",
        "D3921000310001010401",
    ]:
        assert send(card, f"00A4040C 0A {aid}")[1] == 0x9000
    assert send(card, "00A4040C 0A D392F000260100000002")[1] == 0x6A82
    assert send(card, "00A4040C 00")[1] == 0x6700  # 5 bytes: case 2, no AID
    assert send(card, "00A4040C")[1] == 0x6700


def test_token_R_CHIP_2(jpki: VirtualCard) -> None:
    """EF 0006 holds JPKIAPICCTOKEN2 padded with spaces to 32 bytes."""
    assert select(jpki, "0006") == 0x9000
    data, sw = send(jpki, "00B0000000")
    assert sw == 0x9000
    assert data == b"JPKIAPICCTOKEN2" + b" " * 17


@pytest.mark.parametrize(
    ("fid", "slot", "ca"),
    [("000A", KeySlot.AUTH, False), ("000B", KeySlot.AUTH, True), ("0002", KeySlot.SIGN, True)],
)
def test_public_certificates_read_without_pin_R_CHIP_2(
    chip: Chip, jpki: VirtualCard, fid: str, slot: KeySlot, ca: bool
) -> None:
    assert select(jpki, fid) == 0x9000
    expected = chip.ca_certificate(slot) if ca else chip.certificate(slot)
    assert expected is not None and len(expected) > 512  # so the reads go past 256 and 512
    assert read_all(jpki) == expected


def test_signing_certificate_needs_signing_password_R_CHIP_2(chip: Chip, jpki: VirtualCard) -> None:
    assert select(jpki, "0001") == 0x9000
    assert send(jpki, "00B0000004")[1] == 0x6982
    assert select(jpki, "001B") == 0x9000
    assert send(jpki, f"00200080 06 {SIGN_PW_HEX}")[1] == 0x9000
    assert select(jpki, "0001") == 0x9000
    assert read_all(jpki) == chip.certificate(KeySlot.SIGN)


def test_read_binary_offsets_and_le(chip: Chip, jpki: VirtualCard) -> None:
    cert = chip.certificate(KeySlot.AUTH)
    assert cert is not None
    select(jpki, "000A")
    assert send(jpki, "00B0 0000 04") == (cert[:4], 0x9000)
    assert send(jpki, "00B0 0102 10") == (cert[0x102:0x112], 0x9000)  # offset past 256
    n = len(cert)
    # Le explicit and more than is left: the rest, with "end of file reached" 6282.
    assert send(jpki, f"00B0 {n - 3:04X} 10") == (cert[-3:], 0x6282)
    # Le 00 means "up to 256": the rest with 9000.
    assert send(jpki, f"00B0 {n - 3:04X} 00") == (cert[-3:], 0x9000)
    assert send(jpki, f"00B0 {n:04X} 01")[1] == 0x6B00  # at EOF
    assert send(jpki, "00B0 7FFF 01")[1] == 0x6B00  # beyond EOF
    assert send(jpki, "00B0 0000 000000") == (cert, 0x9000)  # extended Le 0000: all of it
    assert send(jpki, "00B0 0000 000200") == (cert[:0x200], 0x9000)  # extended Le 0200
    assert send(jpki, "00B0 0000 000400") == (cert, 0x6282)  # extended Le past the end
    # Short EF identifier 80|SFI: the EF 00SFI at offset P2, and it becomes the current EF.
    assert send(jpki, "00B0 8A00 04") == (cert[:4], 0x9000)
    assert send(jpki, "00B0 8A10 000000") == (cert[0x10:], 0x9000)
    assert send(jpki, "00B0 0000 04") == (cert[:4], 0x9000)
    assert send(jpki, "00B0 9900 01")[1] == 0x6A82  # no EF 0019
    assert send(jpki, "00B0 9800 01")[1] == 0x6981  # 0018 is a PIN
    assert send(jpki, "00B0 CA00 01")[1] == 0x6A86  # P1 bits 7-6 not 00
    assert send(jpki, "00B0 0000")[1] == 0x6700  # no Le
    assert send(jpki, "00B0 0000 01 00 00")[1] == 0x6700  # data in READ BINARY


def test_read_without_current_ef_or_on_pin_ef(jpki: VirtualCard) -> None:
    assert send(jpki, "00B0000000")[1] == 0x6986
    select(jpki, "0018")
    assert send(jpki, "00B0000000")[1] == 0x6981
    select(jpki, "0017")
    assert send(jpki, "00B0000000")[1] == 0x6981


def test_select_ef_errors(jpki: VirtualCard, card: VirtualCard) -> None:
    assert select(jpki, "0099") == 0x6A82
    assert send(jpki, "00A4020C 01 00")[1] == 0x6700
    assert send(jpki, "00A4020C 03 000A00")[1] == 0x6700
    assert send(jpki, "00A40200 02 000A")[1] == 0x9000  # FCP asked for: see test_select_fci
    assert send(jpki, "00A40210 02 000A")[1] == 0x6A86
    assert send(jpki, "00A40800 02 000A")[1] == 0x6A86
    assert send(jpki, "00A4000C 02 3F00")[1] == 0x9000  # back to the MF
    assert select(jpki, "000A") == 0x6A82  # no AP selected


def test_verify_status_query_R_CHIP_3_R_PIN_7(chip: Chip, jpki: VirtualCard) -> None:
    select(jpki, "0018")
    assert send(jpki, "00200080")[1] == 0x63C3
    select(jpki, "001B")
    assert send(jpki, "00200080")[1] == 0x63C5
    assert send(jpki, f"00200080 06 {SIGN_PW_HEX}")[1] == 0x9000
    assert send(jpki, "00200080")[1] == 0x63C5  # JPKI answers 63Cx even when verified
    assert chip.tries_left(PinId.SIGN) == 5


def test_verify_counts_down_and_locks_R_CHIP_3_R_PIN_2(chip: Chip, jpki: VirtualCard) -> None:
    select(jpki, "0018")
    assert send(jpki, "00200080 04 30303030")[1] == 0x63C2
    assert send(jpki, "00200080 04 30303030")[1] == 0x63C1
    assert send(jpki, "00200080")[1] == 0x63C1
    assert send(jpki, "00200080 04 30303030")[1] == 0x63C0
    # Blocked: 69 84 to a VERIFY with data, 63 C0 to the status query (the real card's
    # answers, not R_CHIP_3's 6983: see CardOS.verify).
    assert send(jpki, f"00200080 04 {AUTH_PIN_HEX}")[1] == 0x6984
    assert send(jpki, "00200080")[1] == 0x63C0
    assert send(jpki, "00200098")[1] == 0x63C0  # the same PIN by its short EF identifier
    assert chip.is_locked(PinId.AUTH)


def test_verify_right_pin_resets_counter_R_PIN_4(chip: Chip, jpki: VirtualCard) -> None:
    select(jpki, "001B")
    for left in (4, 3, 2, 1):
        assert send(jpki, "00200080 06 414243313234")[1] == 0x63C0 | left
    assert send(jpki, "00200080 06 616263313233")[1] == 0x63C0  # lower case: a wrong try
    assert send(jpki, f"00200080 06 {SIGN_PW_HEX}")[1] == 0x6984
    chip.set_pin(PinId.SIGN, "ABC123")  # the window resets it (R_PIN_5)
    assert send(jpki, "00200080 06 414243313234")[1] == 0x63C4
    assert send(jpki, f"00200080 06 {SIGN_PW_HEX}")[1] == 0x9000
    assert chip.tries_left(PinId.SIGN) == 5


def test_verify_errors(jpki: VirtualCard) -> None:
    assert send(jpki, "00200080")[1] == 0x6986  # no current EF
    select(jpki, "000A")
    assert send(jpki, "00200080")[1] == 0x6981  # not a PIN
    select(jpki, "0018")
    assert send(jpki, "00200083")[1] == 0x6A88  # short EF identifier 03: no such file
    assert send(jpki, "0020008A")[1] == 0x6981  # 000A is not a PIN
    assert send(jpki, "0020009F")[1] == 0x6A86
    assert send(jpki, "00200000")[1] == 0x6A86
    assert send(jpki, "00200180 04 31323334")[1] == 0x6A86


def test_sign_flow_R_CHIP_3_R_CERT_2(chip: Chip, jpki: VirtualCard) -> None:
    """SELECT 0018, VERIFY, SELECT 0017, 80 2A with a SHA-256 DigestInfo: 256 bytes."""
    digest = hashlib.sha256(b"login challenge").digest()
    di = digest_info("sha256", digest).hex()
    select(jpki, "0017")
    assert send(jpki, f"802A0080 33 {di} 00")[1] == 0x6982  # before VERIFY
    select(jpki, "0018")
    assert send(jpki, f"00200080 04 {AUTH_PIN_HEX}")[1] == 0x9000
    select(jpki, "0017")
    sig, sw = send(jpki, f"802A0080 33 {di} 00")
    assert sw == 0x9000 and len(sig) == 256
    chip.public_key(KeySlot.AUTH).verify(sig, digest, PKCS1v15(), Prehashed(hashes.SHA256()))
    select(jpki, "001A")  # the signing key wants the signing password
    assert send(jpki, f"802A0080 33 {di} 00")[1] == 0x6982


def test_sign_errors(jpki: VirtualCard) -> None:
    di = digest_info("sha256", bytes(32)).hex()
    assert send(jpki, f"802A0080 33 {di} 00")[1] == 0x6986  # no key selected
    select(jpki, "000A")
    assert send(jpki, f"802A0080 33 {di} 00")[1] == 0x6981  # a certificate, not a key
    select(jpki, "0018")
    send(jpki, f"00200080 04 {AUTH_PIN_HEX}")
    select(jpki, "0017")
    assert send(jpki, f"802A0081 33 {di} 00")[1] == 0x6A86
    assert send(jpki, "802A0080 00")[1] == 0x6700  # no data (case 2)
    assert send(jpki, "802A0080 00 00F6" + "00" * 246)[1] == 0x6700  # 246 > 245 bytes
    assert send(jpki, f"802A0080 33 {di} 80")[1] == 0x6700  # Le 128 < 256
    assert send(jpki, f"002A0080 33 {di} 00")[1] == 0x6D00  # ISO class: not offered
    assert send(jpki, f"842A0080 33 {di} 00")[1] == 0x6E00


def test_unknown_class_and_instruction(jpki: VirtualCard) -> None:
    assert send(jpki, "00CA0000 00")[1] == 0x6D00
    assert send(jpki, "80A4040C 0A D392F000260100000001")[1] == 0x6D00
    assert send(jpki, "FFCA000000")[1] == 0x6E00
    assert send(jpki, "0CA4040C 0A D392F000260100000001")[1] == 0x6E00


def test_security_status_lost_on_other_ap_and_reset(jpki: VirtualCard) -> None:
    select(jpki, "001B")
    send(jpki, f"00200080 06 {SIGN_PW_HEX}")
    assert send(jpki, SELECT_JPKI)[1] == 0x9000  # re-selecting the same AP keeps it
    select(jpki, "0001")
    assert send(jpki, "00B0000004")[1] == 0x9000
    send(jpki, "00A4040C 0A D3921000310001010408")  # another AP
    send(jpki, SELECT_JPKI)
    select(jpki, "0001")
    assert send(jpki, "00B0000004")[1] == 0x6982
    select(jpki, "001B")
    send(jpki, f"00200080 06 {SIGN_PW_HEX}")
    assert jpki.reset() == ATR
    send(jpki, SELECT_JPKI)
    select(jpki, "0001")
    assert send(jpki, "00B0000004")[1] == 0x6982


def test_change_reference_data_R_CHIP_3_R_PIN_6(chip: Chip, jpki: VirtualCard) -> None:
    select(jpki, "0018")
    assert send(jpki, "00240180 04 34333231")[1] == 0x6982  # not verified yet
    assert send(jpki, f"00200080 04 {AUTH_PIN_HEX}")[1] == 0x9000
    assert send(jpki, "00240180 03 343332")[1] == 0x6A80  # 3 digits
    assert send(jpki, "00240180")[1] == 0x6700
    assert send(jpki, "00240080 08 3132333434333231")[1] == 0x6A86  # old+new form: not offered
    assert send(jpki, "00240180 04 34333231")[1] == 0x9000
    chip.verify_pin(PinId.AUTH, "4321")
    select(jpki, "001B")
    send(jpki, f"00200080 06 {SIGN_PW_HEX}")
    assert send(jpki, "00240180 06 6e6577313233")[1] == 0x6A80  # lower case on the wire
    assert send(jpki, "00240180 06 4E4557313233")[1] == 0x9000
    chip.verify_pin(PinId.SIGN, "NEW123")


def test_change_on_locked_pin(chip: Chip, jpki: VirtualCard) -> None:
    select(jpki, "0018")
    send(jpki, f"00200080 04 {AUTH_PIN_HEX}")
    for _ in range(3):
        send(jpki, "00200080 04 30303030")
    assert send(jpki, "00240180 04 34333231")[1] == 0x6984


def test_cleared_slot_reads_as_a_declined_certificate_R_CERT_10(chip: Chip, jpki: VirtualCard) -> None:
    """After revocation without reissue the chip shows what a card whose holder declined the
    certificate shows: key, certificate and CA certificate EFs answer 6A82, the PIN EF is there
    with its full count (63 C5: OpenSC's pkcs15 binding needs 63 Cx) but holds no PIN (6A88)."""
    chip.clear_slot(KeySlot.SIGN)
    assert select(jpki, "001A") == 0x6A82
    assert select(jpki, "001B") == 0x9000
    assert send(jpki, "00200080")[1] == 0x63C5
    assert send(jpki, f"00200080 06 {SIGN_PW_HEX}")[1] == 0x6A88
    assert select(jpki, "0001") == 0x6A82
    assert select(jpki, "0002") == 0x6A82
    assert select(jpki, "000A") == 0x9000  # the other certificate is untouched


def test_key_cleared_after_selection(chip: Chip, jpki: VirtualCard) -> None:
    select(jpki, "0018")
    send(jpki, f"00200080 04 {AUTH_PIN_HEX}")
    select(jpki, "0017")
    chip.clear_slot(KeySlot.AUTH)
    di = digest_info("sha256", bytes(32)).hex()
    assert send(jpki, f"802A0080 33 {di} 00")[1] == 0x6A88


def test_unset_pin_is_not_usable(keygen) -> None:  # type: ignore[no-untyped-def]
    from tests.chip.conftest import MASTER_KEY

    card = VirtualCard(Chip.blank("blank", master_key=MASTER_KEY))
    send(card, SELECT_JPKI)
    select(card, "0018")
    assert send(card, f"00200080 04 {AUTH_PIN_HEX}")[1] == 0x6A88  # reference data not found
    assert select(card, "000A") == 0x6A82
    assert select(card, "0017") == 0x6A82


def test_verify_by_short_ef_identifier(chip: Chip, jpki: VirtualCard) -> None:
    """VERIFY 00 20 00 80|SFI addresses the PIN EF 00SFI without selecting it (jsapdu)."""
    assert send(jpki, "00200098")[1] == 0x63C3
    assert send(jpki, f"00200098 04 {AUTH_PIN_HEX}")[1] == 0x9000
    assert send(jpki, "0020009B 04 30303030")[1] == 0x63C4
    assert chip.tries_left(PinId.SIGN) == 4
    di = digest_info("sha256", bytes(32)).hex()
    select(jpki, "0017")
    assert len(send(jpki, f"802A0080 33 {di} 00")[0]) == 256


def test_select_fci(jpki: VirtualCard) -> None:
    """P2=00 answers the FCI of an AP (6F { 84 AID }) and the FCP of an EF ([model])."""
    resp, sw = send(jpki, "00A40400 0A D392F000260100000001 00")
    assert (resp, sw) == (bytes.fromhex("6F0C840AD392F000260100000001"), 0x9000)
    assert send(jpki, "00A40400 0A D392F000260100000001") == (b"", 0x9000)  # no Le, no data
    resp, sw = send(jpki, "00A40200 02 000A 00")
    assert sw == 0x9000 and resp[:2] == b"\x62\x0B" and resp[-4:] == bytes.fromhex("8302000A")


def test_get_challenge(jpki: VirtualCard) -> None:
    a, sw = send(jpki, "00840000 08")
    b, _ = send(jpki, "00840000 08")
    assert sw == 0x9000 and len(a) == len(b) == 8 and a != b
    assert len(send(jpki, "00840000 00")[0]) == 256
    assert send(jpki, "00840000 000101")[1] == 0x6700  # over 256
    assert send(jpki, "00840000")[1] == 0x6700  # no Le
    assert send(jpki, "00840100 08")[1] == 0x6A86
