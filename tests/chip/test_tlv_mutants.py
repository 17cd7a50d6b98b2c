"""Reading the card's data objects (chip/tlv.py): padding, the length forms, and what a reader is
told when a file is cut short. Written to kill mutants (docs/testing.md)."""

from __future__ import annotations

import pytest

from mynacard.chip.tlv import decode, encode, encode_length, encode_long


def test_trailing_zero_or_ff_padding_is_not_data() -> None:
    obj = encode(0x80, b"A")
    assert decode(obj + b"\x00" * 4) == [(0x80, b"A")]
    assert decode(obj + b"\xff" * 4) == [(0x80, b"A")]


def test_a_run_of_other_bytes_at_the_end_is_data() -> None:
    assert decode(b"\x01\x01\x01") == [(0x01, b"\x01")]


def test_an_empty_value_in_the_long_length_form_ends_the_data() -> None:
    assert decode(b"\x80\x81\x00") == [(0x80, b"")]
    assert decode(b"\x80\x82\x00\x00") == [(0x80, b"")]


def test_long_lengths_are_big_endian() -> None:
    value = bytes(range(256)) * 2 + b"xy"
    assert decode(b"\xdf\x22\x82\x02\x02" + value) == [(0xDF22, value)]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xdf", "Truncated TLV tag."),
        (b"\xdf\xa2", "Truncated TLV tag."),
        (b"\x80", "Truncated TLV length."),
        (b"\xdf\x22", "Truncated TLV length."),
        (b"\x80\x83\x00\x00\x01A", "Unsupported or truncated TLV length."),
        (b"\x80\x82\x00", "Unsupported or truncated TLV length."),
        (b"\x80\x03AB", "TLV value runs past the end of the data."),
    ],
)
def test_a_cut_file_says_where_it_was_cut(data: bytes, message: str) -> None:
    with pytest.raises(ValueError) as e:
        decode(data)
    assert str(e.value) == message


@pytest.mark.parametrize(
    ("n", "encoded"),
    [(127, "7f"), (128, "8180"), (254, "81fe"), (255, "81ff"), (256, "820100"), (65534, "82fffe"), (65535, "82ffff")],
)
def test_a_length_takes_the_shortest_form_that_holds_it(n: int, encoded: str) -> None:
    """X.690 8.1.3: one byte below 128, then 81 xx up to 255, then 82 xx xx (big-endian)."""
    assert encode_length(n).hex() == encoded


def test_a_value_above_65535_bytes_is_refused_with_the_reason() -> None:
    for make in (lambda v: encode(0x80, v), lambda v: encode_long(0xFF20, v)):
        with pytest.raises(ValueError) as e:
            make(bytes(65536))
        assert str(e.value) == "TLV values above 65535 bytes are not used on the card."
    with pytest.raises(ValueError) as e:
        encode_length(65536)
    assert str(e.value) == "TLV values above 65535 bytes are not used on the card."


def test_the_outer_object_always_takes_the_three_byte_length_form() -> None:
    """EF 0002 of the card-info-input AP starts ``FF 20 82 xx xx`` whatever the size."""
    assert encode_long(0xFF20, b"AB").hex() == "ff20820002" + "4142"
    assert encode_long(0x30, b"").hex() == "30820000"  # a one-byte tag stays one byte
    assert encode_long(0xFF20, bytes(300))[:5].hex() == "ff2082012c"
    biggest = encode_long(0xFF20, bytes(65535))
    assert biggest[:5].hex() == "ff2082ffff" and len(biggest) == 5 + 65535


@pytest.mark.parametrize(("tag", "encoded"), [(0x30, "30"), (0x5F4E, "5f4e"), (0x7F21, "7f21"), (0xDF22, "df22")])
def test_a_tag_is_written_in_its_own_bytes(tag: int, encoded: str) -> None:
    assert encode(tag, b"").hex() == encoded + "00"
