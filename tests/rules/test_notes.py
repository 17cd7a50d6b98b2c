"""The notes field (追記欄) of the card face (R_CARD_7)."""

from __future__ import annotations

from mynacard.rules.notes import notes_full


def test_the_notes_field_is_full_with_4_entries_R_CARD_7() -> None:
    """[policy] 4 changes fit in the notes field (stated here, not read from the code)."""
    entries = [{"on": f"2026-0{i}-01", "text": "転居"} for i in range(1, 6)]
    assert [notes_full(entries[:n]) for n in range(6)] == [False, False, False, False, True, True]
