"""Text a person typed: names, addresses, search words, user names, passwords.

Control characters (NUL, line breaks, escapes, DEL, C1) and lone surrogates never belong in a
field of the registry: a NUL cannot even be stored by PostgreSQL. They are refused where input
is validated, with a message that says which field, before any workflow or query sees them.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from mynacard.errors import ValidationError

_BAD = frozenset({"Cc", "Cs"})


def bad_character(value: str) -> str | None:
    """The first control character or lone surrogate of ``value`` (as U+XXXX), or None.

    >>> bad_character("能登 太郎") is None
    True
    >>> bad_character("能登\\x00太郎")
    'U+0000'
    """
    for ch in value:
        if unicodedata.category(ch) in _BAD:
            return f"U+{ord(ch):04X}"
    return None


def check_text(field: str, value: str) -> str:
    """``value`` if it holds no control character, else a ValidationError naming ``field``."""
    bad = bad_character(value)
    if bad is not None:
        raise ValidationError(
            field,
            f"{field} contains a control character ({bad}); enter it again without it.",
            "入力に使用できない制御文字が含まれています。入力し直してください。",
        )
    return value


def check_all(values: Any, field: str = "") -> None:
    """Check every string inside ``values`` (nested dicts and lists, e.g. a JSON body)."""
    if isinstance(values, str):
        check_text(field or "value", values)
    elif isinstance(values, dict):
        for k, v in values.items():
            if isinstance(k, str):
                check_text(field or "key", k)
            check_all(v, f"{field}.{k}" if field else str(k))
    elif isinstance(values, list | tuple):
        for v in values:
            check_all(v, field)
