"""Reading a school MIS's CSV export: bytes in, a table of cells or file-level problems out.

Pure functions, no database: decoding (UTF-8 with or without a BOM; anything else is refused
with what to do in Excel), the delimiter, flexible header matching (case, spacing and
punctuation do not matter; common MIS names are aliases), size caps, and the cell parsers
shared by both imports (UK and ISO dates, e-mail addresses).

Row numbers are spreadsheet row numbers: the header is row 1, so "Row 14" is the row a teacher
sees as 14 when the file is opened in Excel.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

#: Uploads and CLI files larger than this are refused before parsing.
MAX_FILE_BYTES = 5 * 1024 * 1024
#: Data rows (not counting the header); a 20,000-row staff list is a very large trust.
MAX_ROWS = 20_000

Progress = Callable[[int], None]
RowT = TypeVar("RowT")

SAVE_AS_CSV = (
    "In Excel choose File > Save As and pick 'CSV UTF-8 (Comma delimited) (*.csv)', "
    "then upload that file."
)


@dataclass(frozen=True, order=True)
class Problem:
    """Something wrong with the file (``row`` None) or with one row of it."""

    row: int | None
    message: str

    def __str__(self) -> str:
        return self.message if self.row is None else f"Row {self.row}: {self.message}"


@dataclass
class ParsedFile(Generic[RowT]):
    """The rows that passed the checks, and every problem found (file-level and per row)."""

    rows: list[RowT] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    #: Columns of the file this import does not use (shown, so nobody thinks they were read).
    ignored_columns: tuple[str, ...] = ()
    #: Data rows read, blank rows excluded.
    data_rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class Column:
    """A column an import understands: its canonical heading and the headings MIS use for it."""

    field: str
    heading: str
    aliases: tuple[str, ...] = ()

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(header_key(h) for h in (self.heading, self.field, *self.aliases))


@dataclass(frozen=True)
class Record:
    row: int
    cells: dict[str, str]
    #: Set when the row has more values than the header has columns.
    overflow: int = 0

    def get(self, name: str) -> str:
        return self.cells.get(name, "")


@dataclass(frozen=True)
class Table:
    fields: frozenset[str]
    records: list[Record]
    ignored_columns: tuple[str, ...]


class FileProblem(Exception):
    """The file as a whole cannot be read; the message says what to do."""


def header_key(heading: str) -> str:
    """``"Staff Number "``, ``"staff_number"`` and ``"STAFF-NO."`` compare on letters and digits."""
    return re.sub(r"[^a-z0-9]", "", heading.lower())


def clean_cell(value: str) -> str:
    """Trim, and collapse runs of whitespace (including non-breaking spaces) to one space."""
    return " ".join(value.split())


def decode(data: bytes) -> str:
    """UTF-8 text (a BOM is dropped), or a ``FileProblem`` saying how to save the file."""
    if not data.strip():
        raise FileProblem("The file is empty. Export the list again and upload the CSV file.")
    if data.startswith(b"PK\x03\x04"):
        raise FileProblem("This is an Excel workbook (.xlsx), not a CSV file. " + SAVE_AS_CSV)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileProblem("This is an old Excel workbook (.xls), not a CSV file. " + SAVE_AS_CSV)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileProblem("This file was saved as 'Unicode text' (UTF-16). " + SAVE_AS_CSV)
    if b"\x00" in data:
        raise FileProblem(
            "This does not look like a CSV file: it contains binary data. " + SAVE_AS_CSV
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FileProblem(
            f"The file is not UTF-8 text (the first character that is not is on line {line}; "
            "this usually means names with accents were saved in another encoding). " + SAVE_AS_CSV
        ) from exc


def _delimiter(text: str) -> str:
    """Comma, unless the header line has none and uses semicolons or tabs (some Excel locales
    and MIS 'text' exports do)."""
    first = text.split("\n", 1)[0]
    if "," in first:
        return ","
    counts = {d: first.count(d) for d in (";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_table(
    data: bytes,
    columns: Sequence[Column],
    *,
    required: Iterable[str],
    one_of: Sequence[tuple[str, ...]] = (),
    what: str = "rows",
) -> Table:
    """The file's header matched to ``columns`` and its non-blank rows, keyed by field.

    ``required`` fields must have a column; for each group in ``one_of`` at least one must.
    Raises ``FileProblem`` for anything that makes the whole file unusable.
    """
    if len(data) > MAX_FILE_BYTES:
        raise FileProblem(
            f"The file is {len(data) / 1024 / 1024:.1f} MB; the most one import takes is "
            f"{MAX_FILE_BYTES // 1024 // 1024} MB. Split it into smaller files."
        )
    text = decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    by_key = {key: column for column in columns for key in column.keys}
    header: list[str] | None = None
    positions: list[str | None] = []
    records: list[Record] = []
    ignored: list[str] = []
    row = 0
    try:
        for raw in reader:
            row += 1
            cells = [clean_cell(c) for c in raw]
            if not any(cells):
                continue
            if header is None:
                header = cells
                positions, ignored = _match_header(header, by_key, columns)
                continue
            if len(records) >= MAX_ROWS:
                raise FileProblem(
                    f"The file has more than {MAX_ROWS:,} {what}; the most one import takes is "
                    f"{MAX_ROWS:,}. Split it into smaller files."
                )
            named = {
                name: value
                for name, value in zip(positions, cells, strict=False)
                if name is not None and value
            }
            records.append(Record(row, named, max(0, len(cells) - len(positions))))
    except csv.Error as exc:
        raise FileProblem(
            f"The file could not be read as CSV near line {reader.line_num}: {exc}. Check for a "
            'stray double quote ("): a value containing commas or quotes must be in double '
            "quotes, with any quote inside it doubled."
        ) from exc
    if header is None:  # pragma: no cover - decode() refuses blank files
        raise FileProblem("The file is empty.")
    found = frozenset(p for p in positions if p is not None)
    _check_columns(found, columns, required, one_of)
    if not records:
        raise FileProblem(f"The file has a header row but no {what}.")
    return Table(found, records, tuple(ignored))


def _match_header(
    header: list[str], by_key: dict[str, Column], columns: Sequence[Column]
) -> tuple[list[str | None], list[str]]:
    positions: list[str | None] = []
    seen: dict[str, str] = {}
    ignored: list[str] = []
    for heading in header:
        column = by_key.get(header_key(heading))
        if column is None:
            positions.append(None)
            if heading:
                ignored.append(heading)
            continue
        if column.field in seen:
            raise FileProblem(
                f"The columns '{seen[column.field]}' and '{heading}' both give the "
                f"{column.heading.lower()}. Delete one of them and upload the file again."
            )
        seen[column.field] = heading
        positions.append(column.field)
    return positions, ignored


def _check_columns(
    found: frozenset[str],
    columns: Sequence[Column],
    required: Iterable[str],
    one_of: Sequence[tuple[str, ...]],
) -> None:
    heading = {c.field: c.heading for c in columns}
    missing = [f"'{heading[f]}'" for f in required if f not in found]
    missing += [
        " or ".join(f"'{heading[f]}'" for f in group)
        for group in one_of
        if not any(f in found for f in group)
    ]
    if missing:
        if not found:
            raise FileProblem(
                "The first row of the file must be the column headings, and none of them is "
                f"one this import understands. It needs {_join(missing)} (download the "
                "template to see the headings)."
            )
        raise FileProblem(
            f"The file has no {_join(missing)} column. Add "
            f"{'it' if len(missing) == 1 else 'them'} to the first row (the headings) and "
            "upload the file again."
        )


def _join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


class Ticker:
    """Reports progress to a callback (a click progress bar's ``update``) in steps, not per row."""

    def __init__(self, progress: Progress | None, every: int = 100) -> None:
        self.progress = progress
        self.every = every
        self.pending = 0

    def tick(self) -> None:
        if self.progress is None:
            return
        self.pending += 1
        if self.pending >= self.every:
            self.progress(self.pending)
            self.pending = 0

    def done(self) -> None:
        if self.progress is not None and self.pending:
            self.progress(self.pending)
            self.pending = 0


# -- cell parsers ----------------------------------------------------------------------------

EMAIL = re.compile(r"[^@\s,;<>()\[\]\"]+@[^@\s,;<>()\[\]\"]+\.[^@\s,;<>()\[\]\".]+")

_TIME_SUFFIX = re.compile(r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(?:Z|[+-]\d{2}:?\d{2})?$")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_UK_DATE = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{2}|\d{4})")
_NAMED_DATE = re.compile(r"(\d{1,2})[ -]([A-Za-z]{3,9})[ -](\d{4})")
_SERIAL = re.compile(r"\d{5}(?:\.\d+)?")
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
EARLIEST_YEAR = 1900
LATEST_YEAR = 2100


def parse_date(value: str) -> dt.date:
    """A UK (``dd/mm/yyyy``, also with ``-`` or ``.``), ISO (``yyyy-mm-dd``) or named-month
    (``1 Sep 2024``) date; a time of day after it is ignored. Anything that could be read two
    ways (two-digit years, month first) raises ``ValueError`` with what to write instead."""
    text = _TIME_SUFFIX.sub("", value.strip())
    if _SERIAL.fullmatch(text):
        raise ValueError(
            f"'{value}' is a spreadsheet date number, not a date: format the column as a date "
            "(dd/mm/yyyy) before saving the file"
        )
    if match := _ISO_DATE.fullmatch(text):
        year, month, day = (int(g) for g in match.groups())
    elif match := _UK_DATE.fullmatch(text):
        day, month = int(match.group(1)), int(match.group(3))
        if len(match.group(4)) == 2:
            raise ValueError(
                f"'{value}' has a two-digit year: write the full year, as "
                f"{day:02d}/{month:02d}/20{match.group(4)} or {day:02d}/{month:02d}/"
                f"19{match.group(4)}"
            )
        year = int(match.group(4))
        if month > 12 >= day:
            raise ValueError(
                f"'{value}' looks like month/day/year: write dates as day/month/year, "
                f"e.g. {month:02d}/{day:02d}/{year}"
            )
    elif (match := _NAMED_DATE.fullmatch(text)) and match.group(2).lower() in _MONTHS:
        day, month, year = int(match.group(1)), _MONTHS[match.group(2).lower()], int(match[3])
    else:
        raise ValueError(f"'{value}' is not a date: write it as dd/mm/yyyy, e.g. 01/09/2024")
    try:
        date = dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"'{value}' is not a real date") from None
    if not EARLIEST_YEAR <= date.year <= LATEST_YEAR:
        raise ValueError(f"'{value}' is not a plausible date")
    return date


def is_email(value: str) -> bool:
    return len(value) <= 320 and EMAIL.fullmatch(value) is not None
