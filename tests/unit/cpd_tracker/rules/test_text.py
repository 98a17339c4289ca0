"""Display text from an LMS, made storable (issue 14, finding 7)."""

from __future__ import annotations

import pytest

from cpd_tracker.rules.text import clean_email, clean_line, is_unstorable


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Ada Lovelace", "Ada Lovelace"),
        ("Ada\x00 Lovelace", "Ada Lovelace"),
        ("Ada\x0bLovelace", "Ada Lovelace"),
        ("Ada\tLovelace\r\n", "Ada Lovelace"),
        ("Ada \ud800Lovelace", "Ada Lovelace"),
        ("Zo\u00eb\x9b", "Zo\u00eb"),  # a C1 control
        ("  Siân   Jones ", "Siân Jones"),
        ("\x00\x01\x7f", None),
        ("", None),
        (None, None),
        (42, None),
    ],
)
def test_clean_line(value: object, expected: str | None) -> None:
    assert clean_line(value, 255) == expected


def test_clean_line_cuts_to_the_column() -> None:
    assert clean_line("A" * 300, 255) == "A" * 255
    assert clean_line("ab cd", 3) == "ab"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (" ada@example.org ", "ada@example.org"),
        ("ada\x00@example.org", None),
        ("ada @example.org", None),
        ("a" * 310 + "@example.org", None),
        ("", None),
        (None, None),
    ],
)
def test_clean_email(value: object, expected: str | None) -> None:
    assert clean_email(value) == expected


def test_is_unstorable() -> None:
    assert is_unstorable("\x00")
    assert is_unstorable("\ud800")
    assert not is_unstorable("é")
