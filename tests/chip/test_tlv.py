"""BER-TLV of the card's data files."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mynacard.chip import tlv

tags = st.sampled_from([0x30, 0xFF20, 0xDF21, 0xDF22, 0xDF25, 0xFF40])


@given(st.lists(st.tuples(tags, st.binary(max_size=400)), max_size=5))
def test_round_trip(items: list[tuple[int, bytes]]) -> None:
    assert tlv.decode(b"".join(tlv.encode(t, v) for t, v in items)) == items


@pytest.mark.parametrize(("n", "encoded"), [(0, "00"), (127, "7f"), (128, "8180"), (256, "820100")])
def test_length_forms(n: int, encoded: str) -> None:
    assert tlv.encode_length(n).hex() == encoded


@pytest.mark.parametrize("raw", ["df", "df22", "df2205", "df2282", "df22830000"])
def test_truncated_is_value_error(raw: str) -> None:
    with pytest.raises(ValueError):
        tlv.decode(bytes.fromhex(raw))


def test_padding_ignored() -> None:
    assert tlv.decode(bytes.fromhex("df250131ffff")) == [(0xDF25, b"1")]
