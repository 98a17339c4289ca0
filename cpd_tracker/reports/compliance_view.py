"""The school compliance page's table, filtered by role and status; the same rows feed the
page, the CSV and the XLSX, so the three always agree."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from cpd_tracker.exports import Cell
from cpd_tracker.rules.training import Status
from cpd_tracker.services.compliance import (
    SchoolCompliance,
    StaffMember,
    StatusRow,
    audience_label,
)
from cpd_tracker.templating import ROLE_LABELS, STATUS_LABELS


@dataclass
class ComplianceView:
    compliance: SchoolCompliance
    role: str | None = None
    status: str | None = None
    staff: list[StaffMember] = field(init=False)

    def __post_init__(self) -> None:
        if self.role not in ROLE_LABELS:
            self.role = None
        if self.status not in {s.value for s in Status}:
            self.status = None
        self.staff = [m for m in self.compliance.staff if self._keep(m)]

    def _keep(self, member: StaffMember) -> bool:
        if self.role and self.role not in member.roles:
            return False
        if self.status:
            cells = self.compliance.row_for(member.person_id)
            return any(c is not None and c.result.status.value == self.status for c in cells)
        return True

    @property
    def filtered(self) -> bool:
        return bool(self.role or self.status)

    def roles_present(self) -> list[str]:
        return sorted({r for m in self.compliance.staff for r in m.roles})

    def chase(self) -> list[tuple[StaffMember, str, StatusRow]]:
        people = {m.person_id: m for m in self.compliance.staff}
        titles = {r.id: r.module.title for r in self.compliance.requirements}
        return [
            (people[row.person_id], titles[row.requirement_id], row)
            for row in self.compliance.chase_list()
            if row.person_id in people
        ]


def status_table(view: ComplianceView) -> tuple[list[str], Iterator[list[Cell]]]:
    """One row per person and requirement that applies: the long format spreadsheets like."""
    header = [
        "Name",
        "Email",
        "Roles",
        "Training",
        "Who it is for",
        "Status",
        "Due",
        "Valid until",
        "Last completed",
    ]

    def rows() -> Iterator[list[Cell]]:
        for member in view.staff:
            for requirement, cell in zip(
                view.compliance.requirements,
                view.compliance.row_for(member.person_id),
                strict=True,
            ):
                if cell is None:
                    continue
                if view.status and cell.result.status.value != view.status:
                    continue
                result = cell.result
                yield [
                    member.name,
                    member.email,
                    ", ".join(ROLE_LABELS.get(r, r) for r in sorted(member.roles)),
                    requirement.module.title,
                    audience_label(requirement),
                    STATUS_LABELS[result.status.value],
                    result.due_on,
                    result.expires_on,
                    result.last_completed_on,
                ]

    return header, rows()


def coverage_table(view: ComplianceView) -> tuple[list[str], Iterator[list[Cell]]]:
    """Coverage per requirement, as on the page (percent as a number for spreadsheets)."""
    header = ["Training", "Who it is for", "Trained %", "Trained", "Expected", "Overdue or expired"]
    compliance = view.compliance

    def rows() -> Iterator[list[Cell]]:
        for requirement in compliance.requirements:
            cov = compliance.coverage(requirement.id)
            yield [
                requirement.module.title,
                audience_label(requirement),
                cov.percent,
                cov.trained,
                cov.expected,
                compliance.count(requirement.id, Status.OVERDUE, Status.EXPIRED),
            ]

    return header, rows()


def chase_table(view: ComplianceView) -> tuple[list[str], Iterator[list[Cell]]]:
    header = ["Name", "Email", "Training", "Status", "Due"]

    def rows() -> Iterator[list[Cell]]:
        for member, title, row in view.chase():
            yield [
                member.name,
                member.email,
                title,
                STATUS_LABELS[row.result.status.value],
                row.result.due_on,
            ]

    return header, rows()
