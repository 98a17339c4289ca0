"""Text from outside the tool (LMS claims, rosters), made safe to store and to show.

An LMS can send a name holding a NUL, which PostgreSQL refuses outright, a lone surrogate
(valid JSON, "\\ud800"), which no database encoding takes, a vertical tab, which openpyxl
refuses to write, or a title longer than its column. None of that should fail a launch: a
display value keeps what it can (controls out, line breaks and tabs as spaces, cut to the
column), while identifiers with such characters are refused by ``lti/`` (LTI.md, check 11).
"""

from __future__ import annotations

import unicodedata

#: Control characters that read as a gap: shown as one space.
_SPACING = frozenset("\t\n\r\x0b\x0c\x85\u2028\u2029")


def is_unstorable(ch: str) -> bool:
    """A C0 or C1 control character, or a lone surrogate."""
    return unicodedata.category(ch) in ("Cc", "Cs")


def clean_line(value: object, max_length: int) -> str | None:
    """``value`` as one line of display text for a ``String(max_length)`` column: control
    characters and lone surrogates removed (spacing ones become a space), runs of spaces
    closed up, cut to ``max_length``. None when nothing is left, or ``value`` is not text."""
    if not isinstance(value, str):
        return None
    kept = "".join(
        " " if ch in _SPACING else ch for ch in value if ch in _SPACING or not is_unstorable(ch)
    )
    text = " ".join(kept.split())
    return text[:max_length].rstrip() or None


def clean_email(value: object, max_length: int = 320) -> str | None:
    """An email address as sent, when it can be one: None if it holds a control character or a
    space, or would not fit (a cut address would reach someone else)."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > max_length or any(is_unstorable(ch) or ch.isspace() for ch in text):
        return None
    return text
