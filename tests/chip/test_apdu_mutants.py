"""Command and response APDUs (chip/apdu.py, ISO/IEC 7816-4 5.1-5.6): the status words the card
may answer, where the short form ends, and what a malformed APDU is told. Written to kill mutants
(docs/testing.md)."""

from __future__ import annotations

import pytest

from mynacard.chip.apdu import ApduError, Command, Response, is_valid_sw


@pytest.mark.parametrize(
    ("sw", "valid"),
    [(0x63C0, True), (0x63CE, True), (0x63CF, True), (0x63D0, False), (0x63BF, False),
     (0x6C00, False), (0x6C01, True), (0x6C02, True), (0x6CFE, True), (0x6CFF, True), (0x6D00, True),
     (0x6BFF, False)],
)
def test_63cx_and_6cxx_are_status_words_the_card_may_answer(sw: int, valid: bool) -> None:
    """63 C0..CF: x tries left; 6C 01..FF: wrong Le, xx bytes available (6C00 would say none)."""
    assert is_valid_sw(sw) is valid


def test_an_apdu_error_says_its_status_word_when_it_has_no_message() -> None:
    assert str(ApduError(0x6700)) == "SW 6700"
    assert str(ApduError(0x6700, "Lc does not match the command length.")) == "Lc does not match the command length."


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("00a404", "A command APDU has at least 4 bytes."),
        ("00a4040c03aabb", "Lc does not match the command length."),
        ("00b0000000ff", "Truncated extended length field."),
        ("00a4040c000000aa", "Extended Lc of zero."),
        ("00a4040c000003aabb", "Extended Lc does not match the command length."),
    ],
)
def test_a_malformed_command_answers_6700_and_says_why(raw: str, message: str) -> None:
    with pytest.raises(ApduError) as e:
        Command.parse(bytes.fromhex(raw))
    assert e.value.sw == 0x6700
    assert str(e.value) == message


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cla": 0x100}, "CLA should be one byte, not 256."),
        ({"p2": -1}, "P2 should be one byte, not -1."),
        ({"data": bytes(65536)}, "The command data should be at most 65535 bytes."),
        ({"le": 0}, "Le should be 1 to 65536."),
    ],
)
def test_a_command_that_cannot_be_sent_is_refused_with_the_reason(kwargs: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {"cla": 0x00, "ins": 0xB0, "p1": 0x00, "p2": 0x00, **kwargs}
    with pytest.raises(ValueError) as e:
        Command(**fields)  # type: ignore[arg-type]
    assert str(e.value) == message


def test_the_largest_command_data_is_65535_bytes() -> None:
    raw = Command(0x00, 0xD6, 0x00, 0x00, bytes(65535)).to_bytes()
    assert raw[4:7].hex() == "00ffff" and len(raw) == 7 + 65535


def test_255_bytes_of_data_still_take_the_short_form_and_256_the_extended_one() -> None:
    short = Command(0x00, 0xD6, 0x00, 0x00, bytes(255)).to_bytes()
    assert short[4] == 0xFF and len(short) == 5 + 255
    extended = Command(0x00, 0xD6, 0x00, 0x00, bytes(256)).to_bytes()
    assert extended[4:7].hex() == "000100" and len(extended) == 7 + 256


def test_a_response_needs_its_two_status_bytes() -> None:
    with pytest.raises(ValueError) as e:
        Response.parse(b"\x90")
    assert str(e.value) == "A response APDU has at least the two status bytes."
    assert Response.parse(b"AB\x63\xc2") == Response(0x63C2, b"AB")
