"""Fuzzing of the APDU front end: random and mutated commands never break the card.

Over 100,000 commands per run (100 hypothesis examples x 1,100 commands, each example a
fresh card and its own seed): no exception escapes ``transmit``, every answer ends with a
valid status word, no command answers 6F00 (that would be a bug caught by the safety net),
and no PIN counter moves except through VERIFY or CHANGE REFERENCE DATA. Under mutmut a tenth
of the examples (tests/conftest.py, ``examples``).
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mynacard.chip import Chip, ChipState, FacePin, PinId, digest_info
from mynacard.chip.apdu import is_valid_sw
from mynacard.chip.card_os import VirtualCard
from tests.chip.conftest import MASTER_KEY
from tests.conftest import examples

APDUS_PER_EXAMPLE = 1100
EXAMPLES = 100
REBUILD_EVERY = 300  # a fresh card now and then, so locked PINs do not close every path

DI = digest_info("sha256", bytes(range(32))).hex()
SELECTS = {
    "jpki": "00A4040C0AD392F000260100000001",
    "info": "00A4040C0AD3921000310001010408",
    "face": "00A4040C0AD3921000310001010402",
    "resident": "00A4040C0AD3921000310001010401",
    "common": "00A4040C0AD3921000310001010100",
}
# Well-formed commands of every kind, with the right PINs, so mutations reach deep paths.
CORPUS = [
    bytes.fromhex(h)
    for h in [
        *SELECTS.values(),
        "00A4000C023F00",
        *(
            f"00A4020C02{fid}"
            for fid in [
                "0001",
                "0002",
                "0006",
                "000A",
                "000B",
                "0017",
                "0018",
                "001A",
                "001B",
                "0011",
                "0012",
                "0013",
                "0003",
                "0004",
                "0005",
                "0014",
                "0015",
                "001C",
            ]
        ),
        # SELECT asking for the FCI / FCP, short EF identifiers, extended Le, GET CHALLENGE,
        # READ RECORD (the common AP).
        "00A404000AD392F00026010000000100",
        "00A4020002000200",
        "00A4020402000A00",
        "00B0810000",
        "00B0820000000000",
        "00B08A1000",
        "00B0850000",
        "00B0930000",
        "002000910439303132",
        "00200098",
        "0020009B06414243313233",
        "002000930c313233343536373839303138",
        "002000920e3930303430313230333434333231",
        "0020009C0435363738",
        "002401910439303132",
        "0084000008",
        "0084000000",
        "00B2010C00",
        "00B2020C00",
        "00B2010400",
        "00B0000000",
        "00B0000004",
        "00B0010000",
        "00B0000000000000",
        "00B0020000",
        "0020008004313233340000"[:-4],
        "002000800439303132",
        "002000800435363738",
        "0020008006414243313233",
        "002000800c313233343536373839303138",
        "002000800e3930303430313230333434333231",
        "00200080",
        "0020008004303030",
        "002401800434333231",
        "00240180064E4557313233",
        f"802A008033{DI}00",
        f"802A008033{DI}",
        "802A008000",
        f"802A0080000033{DI}0100",
    ]
]
FLOWS = [
    [bytes.fromhex(h) for h in flow]
    for flow in [
        # OpenSC-like authentication: VERIFY the auth PIN, select the key EF, sign.
        [
            SELECTS["jpki"],
            "00A4020C020018",
            "00200080",
            "002000800431323334",
            "00A4020C020017",
            f"802A008033{DI}00",
        ],
        # Signing: the signing password opens EF 0001 and the signing key.
        [
            SELECTS["jpki"],
            "00A4020C02001B",
            "0020008006414243313233",
            "00A4020C020001",
            "00B0000004",
            "00B0000000",
            "00B0010000",
            "00B0020000",
            "00A4020C02001A",
            f"802A008033{DI}00",
        ],
        # Certificates without PIN, short and extended reads.
        [
            SELECTS["jpki"],
            "00A4020C020006",
            "00B0000000",
            "00A4020C02000A",
            "00B0000004",
            "00B0000000",
            "00B0010000",
            "00B00200000000",
            "00A4020C02000B",
            "00B0000000000000",
        ],
        # Card-info-input AP.
        [
            SELECTS["info"],
            "00A4020C020011",
            "00200080",
            "002000800439303132",
            "00A4020C020001",
            "00B0000010",
            "00A4020C020002",
            "00B0000000",
        ],
        # Card-face AP with PIN A, then PIN B.
        [
            SELECTS["face"],
            "00A4020C020013",
            "002000800c313233343536373839303138",
            "00A4020C020001",
            "00B0000000",
            "00A4020C020002",
            "00B0000000",
            "00A4020C020012",
            "002000800e3930303430313230333434333231",
        ],
        # Resident registry AP: VERIFY and CHANGE.
        [SELECTS["resident"], "00A4020C02001C", "002000800435363738", "002401800435363738"],
        # AokiApp/jsapdu: VERIFY and READ BINARY by short EF identifier, extended Le 0000.
        [
            SELECTS["info"],
            "002000910439303132",
            "00B0810000000000",
            "00B0820000000000",
            "00B0830000000000",
            "00B0840000000000",
            SELECTS["face"],
            "002000930c313233343536373839303138",
            "00B0820000000000",
            "00B0850000000000",
        ],
        # jpki/myna: the tries-left query of every PIN, 7-byte header reads, the common AP.
        [
            SELECTS["info"],
            "00A4020C020014",
            "00200080",
            "00A4020C020015",
            "00200080",
            "00A4020C020005",
            "00B0000007",
            "00B0000700",
            SELECTS["common"],
            "00B2010C00",
        ],
        # Wrong PINs.
        [SELECTS["jpki"], "00A4020C020018", "002000800430303030", "00200080"],
        [SELECTS["jpki"], "00A4020C02001B", "0020008006414243313234", "00200080"],
    ]
]
INTERESTING = [
    0x00,
    0x01,
    0x02,
    0x04,
    0x0C,
    0x20,
    0x24,
    0x2A,
    0x3F,
    0x7F,
    0x80,
    0x81,
    0xA4,
    0xB0,
    0xFF,
]


def mutate(rng: random.Random, raw: bytes) -> bytes:
    """One random mutation of a corpus entry, or fresh random bytes."""
    b = bytearray(raw)
    op = rng.randrange(9)
    if op == 0:
        return bytes(b)
    if op == 1 and b:
        i = rng.randrange(len(b))
        b[i] ^= 1 << rng.randrange(8)
    elif op == 2 and b:
        b[rng.randrange(len(b))] = rng.randrange(256)
    elif op == 3:
        del b[rng.randrange(len(b) + 1) :]
    elif op == 4:
        b += rng.randbytes(rng.choice([1, 2, 3, rng.randrange(300)]))
    elif op == 5 and len(b) >= 4:
        b[rng.randrange(4)] = rng.choice(INTERESTING)
    elif op == 6 and len(b) >= 5:
        b[4] = rng.choice([0x00, 0x01, 0xFF, len(b) - 5, len(b) - 6, rng.randrange(256)]) % 256
    elif op == 7:
        return rng.randbytes(rng.randrange(0, 12) if rng.random() < 0.7 else rng.randrange(300))
    else:
        b = b[: rng.randrange(len(b) + 1)] + bytearray(rng.choice(CORPUS))
    return bytes(b)


def counters(chip: Chip) -> tuple[int, ...]:
    return tuple(chip.tries_left(p) for p in PinId) + tuple(
        chip.face_tries_left(p) for p in FacePin
    )


def moves_counters(apdu: bytes) -> bool:
    return len(apdu) >= 2 and apdu[0] == 0x00 and apdu[1] in (0x20, 0x24)


def check_answer(apdu: bytes, answer: bytes) -> int:
    assert isinstance(answer, bytes) and len(answer) >= 2, apdu.hex()
    sw = int.from_bytes(answer[-2:], "big")
    assert is_valid_sw(sw), f"{apdu.hex()} -> {answer.hex()}"
    assert sw != 0x6F00, f"unexpected error for {apdu.hex()}"
    if sw not in (0x9000, 0x6282):
        assert len(answer) == 2, f"data with an error SW: {apdu.hex()} -> {answer.hex()}"
    return sw


@pytest.fixture(scope="module")
def template() -> str:
    from mynacard.chip import KeySlot
    from tests.chip.conftest import (
        AUTH_PIN,
        CARD_INFO,
        CARD_INFO_PIN,
        RESIDENT_PIN,
        SIGN_PW,
        make_certificate,
    )
    from tests.keypool import pooled_key

    chip = Chip.blank("fuzz", master_key=MASTER_KEY)
    for pin_id, value in [
        (PinId.SIGN, SIGN_PW),
        (PinId.AUTH, AUTH_PIN),
        (PinId.RESIDENT, RESIDENT_PIN),
        (PinId.CARD_INFO, CARD_INFO_PIN),
    ]:
        chip.set_pin(pin_id, value)
    ca = pooled_key()
    for slot in KeySlot:
        chip.write_certificate(slot, make_certificate(chip.generate_key(slot, pooled_key), ca))
        chip.write_ca_certificate(slot, make_certificate(ca.public_key(), ca))
    chip.write_card_info(CARD_INFO)
    return chip.state.to_json()


def fresh_card(template: str) -> VirtualCard:
    return VirtualCard(Chip(ChipState.from_json(template), master_key=MASTER_KEY))


@pytest.mark.slow
@settings(
    max_examples=examples(EXAMPLES),
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(0, 2**64 - 1), extra=st.lists(st.binary(max_size=24), max_size=8))
def test_mutated_apdus_never_break_the_card(template: str, seed: int, extra: list[bytes]) -> None:
    rng = random.Random(seed)
    corpus = CORPUS + extra
    card = fresh_card(template)
    pending: list[bytes] = []
    for n in range(APDUS_PER_EXAMPLE):
        if n % REBUILD_EVERY == REBUILD_EVERY - 1:
            card = fresh_card(template)
        if rng.random() < 0.01:
            assert card.reset() == card.atr
        if not pending:  # half the time a client flow with some steps mutated
            pending = list(rng.choice(FLOWS)) if rng.random() < 0.5 else [rng.choice(corpus)]
        apdu = pending.pop(0)
        if rng.random() < 0.25 or (len(pending) == 0 and rng.random() < 0.5):
            apdu = mutate(rng, apdu)
        before = counters(card.chip)
        answer = card.transmit(apdu)
        check_answer(apdu, answer)
        if not moves_counters(apdu):
            assert counters(card.chip) == before, f"{apdu.hex()} moved a PIN counter"


@settings(
    max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.binary(max_size=300), min_size=1, max_size=30))
def test_random_bytes_never_break_the_card(template: str, apdus: list[bytes]) -> None:
    card = fresh_card(template)
    card.transmit(bytes.fromhex(SELECTS["jpki"]))
    for apdu in apdus:
        before = counters(card.chip)
        check_answer(apdu, card.transmit(apdu))
        if not moves_counters(apdu):
            assert counters(card.chip) == before


@settings(
    max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ap=st.sampled_from(list(SELECTS.values())),
    fid=st.integers(0, 0x20),
    cla=st.sampled_from([0x00, 0x80]),
    ins=st.sampled_from([0xA4, 0xB0, 0xB2, 0x20, 0x24, 0x2A, 0x84]),
    p1=st.integers(0, 255),
    p2=st.integers(0, 255),
    data=st.binary(max_size=260),
    le=st.one_of(st.none(), st.integers(1, 65536)),
)
def test_structured_commands_never_break_the_card(
    template: str,
    ap: str,
    fid: int,
    cla: int,
    ins: int,
    p1: int,
    p2: int,
    data: bytes,
    le: int | None,
) -> None:
    """Well-formed commands with every parameter drawn: the card answers each with an SW."""
    from mynacard.chip.apdu import Command

    card = fresh_card(template)
    card.transmit(bytes.fromhex(ap))
    card.transmit(bytes.fromhex(f"00A4020C02{fid:04X}"))
    apdu = Command(cla, ins, p1, p2, data, le).to_bytes()
    before = counters(card.chip)
    check_answer(apdu, card.transmit(apdu))
    if not moves_counters(apdu):
        assert counters(card.chip) == before
