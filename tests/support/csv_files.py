"""CSV files as a school MIS exports them, for the import tests and the benchmark."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence

STAFF_HEADINGS = (
    "Staff number",
    "First name",
    "Last name",
    "Email",
    "Role",
    "School URN",
    "Start date",
    "Leaving date",
)
COMPLETION_HEADINGS = (
    "Staff number",
    "Email",
    "Module",
    "Completed on",
    "CPD hours",
    "Provider",
    "Certificate expires on",
)

_GIVEN = ("Amara", "Ben", "Chloe", "Dev", "Ewa", "Finn", "Grace", "Hamza", "Isla", "Jonah")
_FAMILY = ("Ahmed", "Brown", "Clarke", "Davies", "Evans", "Fox", "Green", "Hughes", "Iqbal")
_ROLES = ("Teacher", "Teaching assistant", "HLTA", "Support staff", "Deputy Head", "SENCO")


def to_csv(
    rows: Iterable[Mapping[str, str] | Sequence[str]],
    headings: Sequence[str],
    *,
    bom: bool = False,
    crlf: bool = True,
    encoding: str = "utf-8",
    delimiter: str = ",",
) -> bytes:
    """Rows (mappings by heading, or lists of cells) as CSV bytes; Excel's defaults: CRLF."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n" if crlf else "\n", delimiter=delimiter)
    writer.writerow(headings)
    for row in rows:
        if isinstance(row, Mapping):
            writer.writerow([row.get(h, "") for h in headings])
        else:
            writer.writerow(row)
    data = out.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


STAFF_KEYS = {
    "staff_number": "Staff number",
    "first_name": "First name",
    "last_name": "Last name",
    "email": "Email",
    "role": "Role",
    "urn": "School URN",
    "start_date": "Start date",
    "leaving_date": "Leaving date",
}
COMPLETION_KEYS = {
    "staff_number": "Staff number",
    "email": "Email",
    "module": "Module",
    "completed_on": "Completed on",
    "hours": "CPD hours",
    "provider": "Provider",
    "certificate_expires_on": "Certificate expires on",
}


def staff_row(number: int = 1, **overrides: str) -> dict[str, str]:
    """One staff member, by heading; ``overrides`` by the names in ``STAFF_KEYS``."""
    row = {
        "Staff number": f"S{number:05d}",
        "First name": _GIVEN[number % len(_GIVEN)],
        "Last name": f"{_FAMILY[number % len(_FAMILY)]}-{number}",
        "Email": f"staff{number}@alder.example.org",
        "Role": _ROLES[number % len(_ROLES)],
        "School URN": "100001",
        "Start date": f"{1 + number % 28:02d}/{1 + number % 12:02d}/{2000 + number % 25}",
        "Leaving date": "",
    }
    row.update({STAFF_KEYS[k]: v for k, v in overrides.items()})
    return row


def staff_rows(count: int, *, first: int = 1, **overrides: str) -> list[dict[str, str]]:
    return [staff_row(n, **overrides) for n in range(first, first + count)]


def staff_csv(
    rows: Iterable[Mapping[str, str]] | None = None,
    *,
    bom: bool = False,
    crlf: bool = True,
    delimiter: str = ",",
) -> bytes:
    """A staff list; three people at URN 100001 by default."""
    return to_csv(
        staff_rows(3) if rows is None else rows,
        STAFF_HEADINGS,
        bom=bom,
        crlf=crlf,
        delimiter=delimiter,
    )


def completion_row(**overrides: str) -> dict[str, str]:
    """One completion, by heading; ``overrides`` by the names in ``COMPLETION_KEYS``."""
    row = {
        "Staff number": "S00001",
        "Email": "",
        "Module": "send-awareness",
        "Completed on": "01/09/2024",
        "CPD hours": "",
        "Provider": "",
    }
    row.update({COMPLETION_KEYS[k]: v for k, v in overrides.items()})
    return row


def completions_csv(rows: Iterable[Mapping[str, str]], *, bom: bool = False) -> bytes:
    return to_csv(rows, COMPLETION_HEADINGS, bom=bom)
