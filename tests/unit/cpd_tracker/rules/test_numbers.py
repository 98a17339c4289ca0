"""Whole numbers from people and links, held to what the database holds (issue 14, finding 7)."""

from __future__ import annotations

import pytest

from cpd_tracker.rules.numbers import MAX_ID, whole_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("42", 42),
        (" 7 ", 7),
        ("0", 0),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),  # past PostgreSQL's integer
        ("99999999999999999999", None),  # past SQLite's
        ("\u00b2", None),  # "²".isdigit() is true; int() refuses it
        ("\u0663", None),  # Arabic-Indic three: not plain ASCII
        ("-1", None),
        ("1.5", None),
        ("1e3", None),
        ("", None),
        (None, None),
        (True, None),
        (12, 12),
        (-3, None),
    ],
)
def test_whole_number(text: object, expected: int | None) -> None:
    assert whole_number(text) == expected


def test_whole_number_keeps_to_the_range_given() -> None:
    assert whole_number("1000", low=1, high=1000) == 1000
    assert whole_number("1001", low=1, high=1000) is None
    assert whole_number("0", low=1) is None
