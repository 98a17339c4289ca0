"""The dashboards' tables as header and rows, shared by CSV and XLSX exports. Rows come
from SQL aggregates or a streamed query, never from counting loaded rows."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal

from cpd_tracker.exports import Cell
from cpd_tracker.services.coverage import (
    Column,
    Counts,
    GapLine,
    PersonRow,
    SchoolReport,
    StaffLine,
    TrustReport,
)
from cpd_tracker.services.school_statements import EXPIRY_WINDOWS
from cpd_tracker.templating import ROLE_LABELS, STATUS_LABELS

Table = tuple[list[str], Iterator[list[Cell]]]
COUNT_HEADER = ["Trained %", "Trained", "Expected", "Overdue or expired", "Exempt", "Left"]


def _counts(counts: Counts) -> list[Cell]:
    return [
        counts.percent,
        counts.trained,
        counts.expected,
        counts.of("overdue", "expired"),
        counts.of("exempt"),
        counts.of("left"),
    ]


def role_table(report: SchoolReport) -> Table:
    header = ["Role", *COUNT_HEADER]

    def rows() -> Iterator[list[Cell]]:
        for role, counts in sorted(report.by_role.items()):
            yield [ROLE_LABELS.get(role, role), *_counts(counts)]

    return header, rows()


#: What each gap list is called in the download.
_LISTS = {"overdue": "Overdue or expired", "never_started": "Never started",
          "never_launched": "Never opened the tool"}  # fmt: skip
_LOW = 0
for _days in EXPIRY_WINDOWS:
    _LISTS[str(_days)] = f"Expiring in {_LOW} to {_days} days"
    _LOW = _days + 1

Staff = Iterable[tuple[StaffLine, dict[int, str], Decimal]]


def gap_table(lines: Iterable[tuple[str, GapLine | StaffLine]]) -> Table:
    """Every row of every gap list (``ReportService.school_gaps``: the page shows the first
    rows of each)."""
    header = ["List", "Name", "Training", "Status", "Due", "Valid until"]

    def rows() -> Iterator[list[Cell]]:
        for tag, line in lines:
            if isinstance(line, GapLine):
                yield [_LISTS[tag], line.name, line.title, STATUS_LABELS[line.status],
                       line.due_on, line.expires_on]  # fmt: skip
            else:
                yield [_LISTS[tag], line.name, "", "", None, None]

    return header, rows()


def _roles(member: StaffLine) -> str:
    return ", ".join(ROLE_LABELS.get(r, r) for r in member.roles)


def hours_table(staff: Staff, columns: list[Column], academic_year: int) -> Table:
    """Everyone's CPD hours this academic year (``ReportService.school_staff``)."""
    header = ["Name", "Email", "Roles", f"CPD hours since 1 September {academic_year}"]

    def rows() -> Iterator[list[Cell]]:
        for member, _, hours in staff:
            yield [member.name, member.email, _roles(member), hours]

    return header, rows()


def heatmap_table(staff: Staff, columns: list[Column], academic_year: int) -> Table:
    """Everyone's status for each requirement (``ReportService.school_staff``)."""
    header = ["Name", "Roles", *(c.title for c in columns)]

    def rows() -> Iterator[list[Cell]]:
        for member, cells, _ in staff:
            yield [
                member.name,
                _roles(member),
                *(STATUS_LABELS[cells[c.id]] if c.id in cells else "Not required" for c in columns),
            ]

    return header, rows()


def matrix_table(report: TrustReport) -> Table:
    """Schools down, requirements across: trained % (blank when nobody is expected)."""
    header = ["School", "URN", "Phase", *(c.title for c in report.columns), "All requirements"]

    def rows() -> Iterator[list[Cell]]:
        for school in report.schools:
            yield [
                school.name,
                school.urn,
                school.phase,
                *(report.cells.get((school.id, c.id), Counts()).percent for c in report.columns),
                report.by_school.get(school.id, Counts()).percent,
            ]

    return header, rows()


def ranking_table(report: TrustReport) -> Table:
    header = ["Rank", "School", "URN", "Phase", "Gap (expected, not trained)", *COUNT_HEADER]

    def rows() -> Iterator[list[Cell]]:
        for rank, (school, counts) in enumerate(report.ranked(), start=1):
            yield [rank, school.name, school.urn, school.phase, counts.gap, *_counts(counts)]

    return header, rows()


def people_table(rows: Iterable[PersonRow]) -> Table:
    header = [
        "School",
        "URN",
        "Name",
        "Email",
        "Training",
        "Status",
        "Due",
        "Valid until",
        "Last completed",
    ]

    def lines() -> Iterator[list[Cell]]:
        for r in rows:
            yield [r.school_name, r.urn, r.name, r.email, r.title, STATUS_LABELS[r.status],
                   r.due_on, r.expires_on, r.last_completed_on]  # fmt: skip

    return header, lines()
