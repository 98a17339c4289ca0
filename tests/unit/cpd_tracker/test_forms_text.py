"""Text no column should hold (``cpd_tracker.forms.unstorable``): every form refuses it."""

from __future__ import annotations

import pytest

from cpd_tracker.forms import unstorable


@pytest.mark.parametrize(
    "text", ["Nasen\x00", "a\x0bb", "\x1b[2J", "a\x7f", "a\x85b", "lone \ud800 surrogate"]
)
def test_control_characters_and_lone_surrogates_cannot_be_stored(text: str) -> None:
    assert unstorable(text)


@pytest.mark.parametrize("text", ["", "Ada Ash", "Line one\r\nline\ttwo", "Zoë Ó Briain ²", "😀"])
def test_typed_text_with_tabs_and_line_breaks_can(text: str) -> None:
    assert not unstorable(text)
