"""Replay of the recorded APDU traces in tests/chip/vectors (see its README)."""

from __future__ import annotations

import pytest

from tests.chip.vectors.record import SESSIONS, load_card
from tests.chip.vectors.trace import VECTORS, format_trace, parse_trace, replay

TRACES = sorted(VECTORS.glob("*.trace"))


def test_every_session_has_a_trace() -> None:
    from tests.chip.vectors.capture_opensc import SESSIONS as CAPTURED
    from tests.chip.vectors.record_readers import SESSIONS as READERS

    assert {p.stem for p in TRACES} == (
        set(SESSIONS)
        | {f"opensc_captured_{name}" for name in CAPTURED}
        | {f"reader_{name}" for name in READERS}
    )


def test_opensc_capture_signs_with_the_card_key_R_CHIP_3() -> None:
    """The captured OpenSC session ends in 80 2A and a 256-byte answer with 90 00."""
    steps = parse_trace((VECTORS / "opensc_captured_auth_sign.trace").read_text(encoding="ascii"))
    signs = [s for s in steps if s.command is not None and s.command[:4] == bytes.fromhex("802A0080")]
    assert signs and len(signs[-1].answer) == 258 and signs[-1].answer[-2:] == b"\x90\x00"


@pytest.mark.parametrize("path", TRACES, ids=lambda p: p.stem)
def test_trace_replays_exactly(path) -> None:  # type: ignore[no-untyped-def]
    card = load_card((VECTORS / "card.json").read_text(encoding="utf-8"))
    steps = parse_trace(path.read_text(encoding="ascii"))
    assert steps and steps[0].command is None  # every trace starts with a reset
    diffs = replay(card, steps)
    assert not diffs, "\n".join(
        f"line {s.line}: {s.command.hex() if s.command else 'reset'} expected "
        f"{s.answer.hex()} got {got.hex()}"
        for s, got in diffs
    )


def test_trace_format_round_trip() -> None:
    steps = [(None, b"\x3b\x00"), (b"\x00\xa4\x04\x0c", b"\x67\x00")]
    parsed = parse_trace(format_trace("two steps", steps))
    assert [(s.command, s.answer) for s in parsed] == steps


@pytest.mark.parametrize("text", ["> 00 A4", "< 90 00", "> 00\n> 00\n< 90 00", "? 00"])
def test_trace_parser_rejects_bad_traces(text: str) -> None:
    with pytest.raises(ValueError):
        parse_trace(text)
