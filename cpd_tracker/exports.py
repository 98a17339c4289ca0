"""Every table exports: CSV streamed row by row (constant memory whatever the size) and XLSX
written with openpyxl's write-only mode (header row, frozen panes, widths, real dates).

Any stored text exports without failing (issue 14, finding 7): XLSX cannot hold most control
characters (openpyxl refuses a vertical tab that an LMS put in a name), so they are left out
of XLSX cells; no UTF-8 file can hold a lone surrogate, so both formats leave those out. A cell
(or a header: column titles come from training titles) that a spreadsheet would run as a
formula is written with a leading apostrophe, in both formats.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

from flask import Response, stream_with_context
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from cpd_tracker.dates import in_london, iso_datetime
from cpd_tracker.rules.money import MoneyText

Cell = str | int | Decimal | dt.date | dt.datetime | None

#: Rows read to size the XLSX columns before the rest is streamed.
WIDTH_SAMPLE_ROWS = 1000
#: Pounds with a thousands separator and pence; negatives with the minus sign (U+2212) that
#: ``rules.money.money_text`` writes, so the cell reads as the page does.
MONEY_FORMAT = '"£"#,##0.00;"\u2212£"#,##0.00'
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Spreadsheet formula injection: a cell starting with these is data, not a formula.
_FORMULA = re.compile(r"^[=+\-@\t\r]")
_SURROGATES = re.compile("[\ud800-\udfff]")
#: Characters a worksheet name may not hold (openpyxl raises on them).
_SHEET_TITLE = re.compile(r"[\\/*?:\[\]]")


def safe_text(value: str) -> str:
    """Text as data: no lone surrogates, and never a formula."""
    value = _SURROGATES.sub("", value)
    return "'" + value if _FORMULA.match(value) else value


def xlsx_text(value: str) -> str:
    """``safe_text`` without the control characters an XLSX file cannot hold."""
    return safe_text(ILLEGAL_CHARACTERS_RE.sub("", value))


def _sheet_title(title: str) -> str:
    return _SHEET_TITLE.sub(" ", xlsx_text(title).lstrip("'"))[:31].strip() or "Sheet"


def _csv_value(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return iso_datetime(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return safe_text(value)
    return str(value)


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_text(h) for h in header])
    for row in rows:
        writer.writerow([_csv_value(v) for v in row])
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Response:
    # A BOM so Excel opens UTF-8 names (Siân, Zoë) correctly.
    body = stream_with_context(_with_bom(csv_lines(header, rows)))
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def _with_bom(lines: Iterator[str]) -> Iterator[str]:
    yield "\ufeff"
    yield from lines


def xlsx_bytes(sheet_title: str, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_title(sheet_title))
    sheet.freeze_panes = "A2"
    widths = [max(10, len(h) + 2) for h in header]
    # Column widths from the first rows only; the rest stream through openpyxl's write-only
    # sheet (kept in a temporary file), so a trust-wide export does not sit in memory.
    remaining = iter(rows)
    materialised: list[list[Cell]] = []
    for row in remaining:
        values = list(row)
        for i, v in enumerate(values[: len(widths)]):
            widths[i] = min(60, max(widths[i], len(_csv_value(v)) + 2))
        materialised.append(values)
        if len(materialised) >= WIDTH_SAMPLE_ROWS:
            break
    for i, width in enumerate(widths):
        sheet.column_dimensions[_column_letter(i)].width = width
    bold = Font(bold=True)
    header_cells = []
    for title in header:
        cell = WriteOnlyCell(sheet, value=xlsx_text(title))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for values in materialised:
        sheet.append([_xlsx_cell(sheet, v) for v in values])
    for row in remaining:
        sheet.append([_xlsx_cell(sheet, v) for v in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _xlsx_cell(sheet: object, value: Cell) -> object:
    if isinstance(value, dt.datetime):
        local = in_london(value).replace(tzinfo=None)
        cell = WriteOnlyCell(sheet, value=local)  # type: ignore[arg-type]
        cell.number_format = "dd/mm/yyyy hh:mm"
        return cell
    if isinstance(value, dt.date):
        cell = WriteOnlyCell(sheet, value=value)  # type: ignore[arg-type]
        cell.number_format = "dd/mm/yyyy"
        return cell
    if isinstance(value, MoneyText):
        # The number, so a spreadsheet can sum it, shown exactly as the page shows the text.
        cell = WriteOnlyCell(sheet, value=Decimal(value.pence) / 100)  # type: ignore[arg-type]
        cell.number_format = MONEY_FORMAT
        return cell
    if isinstance(value, str):
        return xlsx_text(value)
    return value


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def xlsx_response(
    filename: str, sheet_title: str, header: Sequence[str], rows: Iterable[Sequence[Cell]]
) -> Response:
    response = Response(xlsx_bytes(sheet_title, header, rows), mimetype=XLSX_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response
