"""The notes field (追記欄) on the card face (R_CARD_7)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

#: [policy] How many changes the notes field holds before it is full.
NOTES_CAPACITY = 4


def notes_full(notes: Sequence[Any]) -> bool:
    """R_CARD_7: a full notes field (no room for another change) means a free reissue."""
    return len(notes) >= NOTES_CAPACITY
