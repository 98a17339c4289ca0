"""Exports write any stored text (issue 14, finding 7): control characters an XLSX cannot hold,
lone surrogates, and formula-looking cells and headers."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest

from cpd_tracker.exports import csv_lines, safe_text, xlsx_bytes, xlsx_text

HOSTILE = ["Ada\x0bLovelace", "Nul\x00name", "Sur\ud800rogate", "=1+1", "@SUM(A1)", "-2", "\tx"]


def _xlsx_rows(data: bytes) -> list[list[object]]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def test_xlsx_writes_text_openpyxl_would_refuse() -> None:
    data = xlsx_bytes(
        "People", ["Name", "=Module title"], [[v, dt.date(2025, 1, 2)] for v in HOSTILE]
    )
    rows = _xlsx_rows(data)
    assert rows[0] == ["Name", "'=Module title"]
    assert [r[0] for r in rows[1:]] == [
        "AdaLovelace",
        "Nulname",
        "Surrogate",
        "'=1+1",
        "'@SUM(A1)",
        "'-2",
        "'\tx",
    ]


@pytest.mark.parametrize("title", ["A/B: [draft]?", "\x0b", "=sum", "x" * 40])
def test_a_sheet_title_is_made_one_a_workbook_takes(title: str) -> None:
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(title, ["A"], [["1"]])))
    assert book.active.title
    assert len(book.active.title) <= 31


def test_csv_keeps_control_characters_but_not_formulas_or_surrogates() -> None:
    text = "".join(csv_lines(["=Title", "Name"], [["=1+1", "Ada\x0bLovelace"], ["x\ud800", "y"]]))
    text.encode("utf-8")  # a lone surrogate would fail here, mid-download
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["'=Title", "Name"], ["'=1+1", "Ada\x0bLovelace"], ["x", "y"]]


def test_safe_and_xlsx_text() -> None:
    assert safe_text("+44 1234") == "'+44 1234"
    assert safe_text("plain") == "plain"
    assert xlsx_text("a\x01b") == "ab"
    assert xlsx_text("line\nbreak") == "line\nbreak"
