"""The card OS answers with exact status words where nothing was selected yet, for AIDs at the
ends of the allowed length, for a SELECT of the MF without data, for a file removed while it was
selected, and for an error of the PIN store (6F00, logged by header only) (chip/card_os.py,
R_CHIP_3)."""

from __future__ import annotations

import logging

import pytest

from mynacard.chip import Chip, KeySlot
from mynacard.chip.card_os import CardOS, VirtualCard
from tests.chip.conftest import send

JPKI = "D392F000260100000001"


# -- no current EF: after power-on, after a reset --------------------------------------------------


@pytest.mark.parametrize(
    "apdu",
    [
        "00B0000000",  # READ BINARY of the current EF
        "0020008000",  # VERIFY status query of the current PIN EF
        "002000800431323334",  # VERIFY of the current PIN EF
        "002401800431323334",  # CHANGE REFERENCE DATA of the current PIN EF
    ],
)
def test_a_fresh_card_has_no_current_ef_and_answers_6986(chip: Chip, apdu: str) -> None:
    card = VirtualCard(chip)
    assert send(card, apdu) == (b"", 0x6986)


def test_a_fresh_card_os_answers_6986_to_a_signature_without_a_selected_key(chip: Chip) -> None:
    os = CardOS(chip)
    answer = os.transmit(bytes.fromhex("802A0080" + "03" + "010203" + "00"))
    assert answer == bytes.fromhex("6986")


def test_a_warm_reset_forgets_the_selected_ef_R_CHIP_3(card: VirtualCard) -> None:
    send(card, f"00A4040C0A{JPKI}")
    send(card, "00A4020C02000A")
    assert send(card, "00B0000004")[1] == 0x9000
    card.reset()
    assert send(card, "00B0000004") == (b"", 0x6986)
    assert send(card, "0020008000") == (b"", 0x6986)


# -- SELECT by AID: 1 to 16 bytes -----------------------------------------------------------------


@pytest.mark.parametrize("aid", ["D3", "D392", "D392F000260100000001000000000000"])
def test_an_unknown_aid_of_1_to_16_bytes_is_not_found(card: VirtualCard, aid: str) -> None:
    assert len(bytes.fromhex(aid)) in (1, 2, 16)
    assert send(card, f"00A4040C{len(aid) // 2:02X}{aid}") == (b"", 0x6A82)


@pytest.mark.parametrize("n", [17, 20])
def test_an_aid_longer_than_16_bytes_is_a_wrong_length(card: VirtualCard, n: int) -> None:
    aid = bytes.fromhex(JPKI) + bytes(n - 10)
    assert send(card, f"00A4040C{n:02X}{aid.hex()}") == (b"", 0x6700)


def test_an_aid_of_exactly_16_bytes_keeps_the_selected_ap(card: VirtualCard) -> None:
    """A refused SELECT leaves the JPKI AP selected: its certificate EF is still found."""
    send(card, f"00A4040C0A{JPKI}")
    assert send(card, "00A4040C10" + "00" * 16) == (b"", 0x6A82)
    assert send(card, "00A4020C02000A") == (b"", 0x9000)


# -- SELECT of the MF -------------------------------------------------------------------------------


@pytest.mark.parametrize("apdu", ["00A4000C", "00A40000", "00A4000C023F00"])
def test_select_of_the_mf_without_data_or_by_its_identifier_succeeds(card: VirtualCard, apdu: str) -> None:
    send(card, f"00A4040C0A{JPKI}")
    assert send(card, apdu) == (b"", 0x9000)
    # the MF has no EF 000A: the JPKI AP was left
    assert send(card, "00A4020C02000A") == (b"", 0x6A82)


def test_select_of_the_mf_by_another_identifier_is_not_found(card: VirtualCard) -> None:
    assert send(card, "00A4000C023F01") == (b"", 0x6A82)
    assert send(card, "00A4000C0458585858") == (b"", 0x6A82)


# -- P2=0C: no response data even when Le is sent ----------------------------------------------------


@pytest.mark.parametrize(
    "apdu",
    [f"00A4040C0A{JPKI}00", f"00A4040C0A{JPKI}FF", "00A4000C023F0000"],
)
def test_select_with_p2_0c_answers_no_data_even_with_le(card: VirtualCard, apdu: str) -> None:
    assert send(card, apdu) == (b"", 0x9000)


def test_select_of_an_ef_with_p2_0c_and_le_answers_no_fcp(card: VirtualCard) -> None:
    send(card, f"00A4040C0A{JPKI}")
    assert send(card, "00A4020C02000A00") == (b"", 0x9000)


# -- a selected file that disappears ---------------------------------------------------------------


def test_reading_a_certificate_removed_after_its_selection_answers_6a82(chip: Chip, card: VirtualCard) -> None:
    """The authentication certificate is removed (revoked at the window) while EF 000A is the
    current EF: READ BINARY finds no file."""
    send(card, f"00A4040C0A{JPKI}")
    assert send(card, "00A4020C02000A") == (b"", 0x9000)
    chip.clear_slot(KeySlot.AUTH)
    assert send(card, "00B0000004") == (b"", 0x6A82)


# -- an unexpected error: 6F00, and the log shows the header only ------------------------------------


class StoreDown(RuntimeError):
    pass


def test_an_error_of_the_pin_store_answers_6f00_and_logs_the_header_only(
    chip: Chip, card: VirtualCard, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def spend(pin):  # type: ignore[no-untyped-def]
        raise StoreDown("the PIN store cannot record the try")

    send(card, f"00A4040C0A{JPKI}")
    send(card, "00A4020C020018")
    monkeypatch.setattr(chip.pins, "spend", spend)
    with caplog.at_level(logging.ERROR, logger="mynacard.chip.card_os"):
        answer = card.transmit(bytes.fromhex("002000800431323334"))
    assert answer == bytes.fromhex("6F00")
    [record] = [r for r in caplog.records if r.name == "mynacard.chip.card_os"]
    assert record.levelno == logging.ERROR
    assert record.getMessage() == "Unexpected error while processing an APDU with header 00200080"
    assert record.exc_info is not None and record.exc_info[0] is StoreDown
    # the PIN sent (31 32 33 34) and the length byte before it are not logged
    assert "0020008004" not in caplog.text
    assert "31323334" not in caplog.text


def test_an_unexpected_error_of_a_short_apdu_logs_what_header_there_is(
    chip: Chip, card: VirtualCard, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def process(cmd):  # type: ignore[no-untyped-def]
        raise StoreDown("boom")

    monkeypatch.setattr(card.os, "process", process)
    with caplog.at_level(logging.ERROR, logger="mynacard.chip.card_os"):
        assert card.transmit(bytes.fromhex("00A4000C")) == bytes.fromhex("6F00")
    [record] = [r for r in caplog.records if r.name == "mynacard.chip.card_os"]
    assert record.getMessage() == "Unexpected error while processing an APDU with header 00a4000c"
