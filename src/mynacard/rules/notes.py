"""The notes field (追記欄) on the card face (R_CARD_7): entries dated in 和暦, as the card is printed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from mynacard.rules.wareki import wareki

#: [policy] How many changes the notes field holds before it is full.
NOTES_CAPACITY = 4


def notes_full(notes: Sequence[Any]) -> bool:
    """R_CARD_7: a full notes field (no room for another change) means a free reissue."""
    return len(notes) >= NOTES_CAPACITY


def note_text(on: date, what: str, detail: str) -> str:
    """One entry of the notes field as the card face prints it, dated in 和暦 (R_CARD_7).

    >>> note_text(date(2026, 11, 28), "転居", "石川県鹿島郡中能登町能登部下1番地")
    '令和8年11月28日 転居 石川県鹿島郡中能登町能登部下1番地'
    >>> note_text(date(2019, 5, 1), "氏名変更", "能登 花子")
    '令和元年5月1日 氏名変更 能登 花子'
    """
    return f"{wareki(on)} {what} {detail}"
