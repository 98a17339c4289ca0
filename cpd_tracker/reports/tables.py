"""The dashboards' tables as header and rows, shared by CSV and XLSX exports. Rows come
from SQL aggregates or a streamed query, never from counting loaded rows."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from cpd_tracker.exports import Cell
from cpd_tracker.services.coverage import Counts, PersonRow, SchoolReport, TrustReport
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


def gap_table(report: SchoolReport) -> Table:
    """Every gap list of the page, as shown (each list up to its limit)."""
    header = ["List", "Name", "Training", "Status", "Due", "Valid until"]

    def rows() -> Iterator[list[Cell]]:
        for line in report.overdue:
            yield ["Overdue or expired", line.name, line.title, STATUS_LABELS[line.status],
                   line.due_on, line.expires_on]  # fmt: skip
        low = 0
        for days in EXPIRY_WINDOWS:
            for line in report.expiring[days]:
                yield [f"Expiring in {low} to {days} days", line.name, line.title,
                       STATUS_LABELS[line.status], line.due_on, line.expires_on]  # fmt: skip
            low = days + 1
        for member in report.never_started:
            yield ["Never started", member.name, "", "", None, None]
        for member in report.never_launched:
            yield ["Never opened the tool", member.name, "", "", None, None]

    return header, rows()


def hours_table(report: SchoolReport) -> Table:
    header = ["Name", "Email", "Roles", f"CPD hours since 1 September {report.academic_year}"]

    def rows() -> Iterator[list[Cell]]:
        for member in report.staff:
            roles = ", ".join(ROLE_LABELS.get(r, r) for r in member.roles)
            yield [member.name, member.email, roles, report.hours.get(member.person_id, 0)]

    return header, rows()


def heatmap_table(report: SchoolReport) -> Table:
    header = ["Name", "Roles", *(c.title for c in report.columns)]

    def rows() -> Iterator[list[Cell]]:
        for member in report.staff:
            cells = report.cells.get(member.person_id, {})
            roles = ", ".join(ROLE_LABELS.get(r, r) for r in member.roles)
            yield [
                member.name,
                roles,
                *(
                    STATUS_LABELS[cells[c.id]] if c.id in cells else "Not required"
                    for c in report.columns
                ),
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
