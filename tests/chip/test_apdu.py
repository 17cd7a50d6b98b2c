"""Command APDU parsing and encoding (ISO 7816-4 cases 1-4, short and extended)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mynacard.chip.apdu import SW, ApduError, Command, Response, is_valid_sw, sw_tries_left

CASES = [
    ("00A4040C", Command(0x00, 0xA4, 0x04, 0x0C)),  # case 1
    ("00B0000000", Command(0x00, 0xB0, 0, 0, le=256)),  # case 2S, Le 00 = 256
    ("00B0000010", Command(0x00, 0xB0, 0, 0, le=16)),
    ("00A4020C020006", Command(0x00, 0xA4, 0x02, 0x0C, b"\x00\x06")),  # case 3S
    ("802A0080020102 00", Command(0x80, 0x2A, 0, 0x80, b"\x01\x02", le=256)),  # case 4S
    ("00B0000000 0000", Command(0, 0xB0, 0, 0, le=65536, extended=True)),  # case 2E
    ("00B0000000 0400", Command(0, 0xB0, 0, 0, le=1024, extended=True)),
    ("00200080 000002 3132", Command(0, 0x20, 0, 0x80, b"12", extended=True)),  # case 3E
    ("802A0080 000002 0102 0100", Command(0x80, 0x2A, 0, 0x80, b"\x01\x02", le=256, extended=True)),
]


@pytest.mark.parametrize(("hexstr", "expected"), CASES)
def test_parse_and_encode_cases(hexstr: str, expected: Command) -> None:
    raw = bytes.fromhex(hexstr.replace(" ", ""))
    assert Command.parse(raw) == expected
    assert expected.to_bytes() == raw


@pytest.mark.parametrize(
    "hexstr",
    [
        "",
        "00",
        "00A404",  # 3 bytes
        "00A4040C05 0102",  # Lc 5, 2 data bytes
        "00A4040C02 010203 0000",  # Lc 2 with 4 trailing bytes
        "00B0000000 00",  # 6 bytes: truncated extended Le
        "00200080 000000 31",  # extended Lc 0
        "00200080 000005 3132",  # extended Lc 5, 2 bytes
    ],
)
def test_malformed_is_wrong_length(hexstr: str) -> None:
    with pytest.raises(ApduError) as info:
        Command.parse(bytes.fromhex(hexstr.replace(" ", "")))
    assert info.value.sw == SW.WRONG_LENGTH


def test_long_data_is_encoded_extended() -> None:
    cmd = Command(0x80, 0x2A, 0, 0x80, bytes(300), le=256)
    raw = cmd.to_bytes()
    assert raw[4:7] == b"\x00\x01\x2c"
    assert Command.parse(raw) == Command(0x80, 0x2A, 0, 0x80, bytes(300), le=256, extended=True)


@pytest.mark.parametrize("kwargs", [{"cla": 256}, {"le": 0}, {"le": 65537}, {"data": bytes(65536)}])
def test_command_rejects_impossible_fields(kwargs: dict[str, object]) -> None:
    base: dict[str, object] = {"cla": 0, "ins": 0xB0, "p1": 0, "p2": 0}
    with pytest.raises(ValueError):
        Command(**{**base, **kwargs})  # type: ignore[arg-type]


commands = st.builds(
    Command,
    cla=st.integers(0, 255),
    ins=st.integers(0, 255),
    p1=st.integers(0, 255),
    p2=st.integers(0, 255),
    data=st.binary(max_size=600),
    le=st.one_of(st.none(), st.integers(1, 65536)),
    extended=st.booleans(),
)


@given(commands)
def test_encode_parse_round_trip(cmd: Command) -> None:
    parsed = Command.parse(cmd.to_bytes())
    assert (parsed.cla, parsed.ins, parsed.p1, parsed.p2, parsed.data, parsed.le) == (
        cmd.cla,
        cmd.ins,
        cmd.p1,
        cmd.p2,
        cmd.data,
        cmd.le,
    )
    assert parsed.to_bytes() == cmd.to_bytes()


@given(st.binary(max_size=300))
def test_parse_never_raises_anything_but_apdu_error(raw: bytes) -> None:
    try:
        Command.parse(raw)
    except ApduError as exc:
        assert exc.sw == SW.WRONG_LENGTH


def test_response_and_status_words() -> None:
    assert Response(SW.OK, b"\x01").to_bytes() == b"\x01\x90\x00"
    assert Response.parse(b"\x63\xc2") == Response(0x63C2)
    assert sw_tries_left(3) == 0x63C3
    assert sw_tries_left(99) == 0x63CF
    assert is_valid_sw(0x63C0) and is_valid_sw(0x9000) and not is_valid_sw(0x1234)
    with pytest.raises(ValueError):
        Response.parse(b"\x90")
