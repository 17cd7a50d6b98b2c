"""The APDU trace format of the test vectors: read, write and replay.

A trace is text, one item per line::

    # comment (the first comment block describes the trace)
    ! reset            card reset; the next "<" line is the ATR
    > 00 A4 04 0C ...  command APDU
    < 90 00            the card's answer (data, then SW1 SW2)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mynacard.chip.card_os import VirtualCard

VECTORS = Path(__file__).parent


@dataclass(frozen=True)
class Step:
    command: bytes | None  # None: card reset
    answer: bytes
    line: int


def _hex(b: bytes) -> str:
    return b.hex(" ").upper()


def format_trace(description: str, steps: list[tuple[bytes | None, bytes]]) -> str:
    lines = [f"# {line}".rstrip() for line in description.strip().splitlines()]
    for command, answer in steps:
        lines.append("! reset" if command is None else f"> {_hex(command)}")
        lines.append(f"< {_hex(answer)}")
    return "\n".join(lines) + "\n"


def parse_trace(text: str) -> list[Step]:
    steps: list[Step] = []
    command: bytes | None = None
    expecting = False
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        kind, _, rest = line.partition(" ")
        if kind in (">", "!"):
            if expecting:
                raise ValueError(f"line {n}: command without answer before it")
            command = None if kind == "!" else bytes.fromhex(rest)
            expecting = True
        elif kind == "<":
            if not expecting:
                raise ValueError(f"line {n}: answer without command")
            steps.append(Step(command, bytes.fromhex(rest), n))
            expecting = False
        else:
            raise ValueError(f"line {n}: unknown line {line!r}")
    if expecting:
        raise ValueError("trace ends with a command without answer")
    return steps


def replay(card: VirtualCard, steps: list[Step]) -> list[tuple[Step, bytes]]:
    """Run the steps; return those whose answer differs, with the card's answer."""
    diffs = []
    for step in steps:
        got = card.reset() if step.command is None else card.transmit(step.command)
        if got != step.answer:
            diffs.append((step, got))
    return diffs
