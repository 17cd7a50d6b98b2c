"""Reading the card's data objects (chip/tlv.py): padding, the length forms, and what a reader is
told when a file is cut short. Written to kill mutants (docs/testing.md)."""

from __future__ import annotations

import pytest

from mynacard.chip.tlv import decode, encode


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
