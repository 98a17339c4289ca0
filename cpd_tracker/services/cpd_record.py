"""A person's CPD record: every completion, with CPD hours totalled per academic year.

DOMAIN.md, "Who uses it": staff want "my CPD record". English schools count CPD by academic
year, 1 September to 31 August, written "2025/26". The grouping (``academic_year_of``,
``by_academic_year``) is pure; ``CpdRecordService`` loads one person's completions in one
statement, scoped by their organisation. The page, the CSV and the XLSX all render
``record_table`` or the same ``CpdRecord``, so they always agree.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from cpd_tracker.exports import Cell
from cpd_tracker.models import Completion, CompletionMethod, Module, Person

#: How a completion came about, in words a member of staff (or an appraiser) understands.
METHOD_LABELS: dict[CompletionMethod, str] = {
    CompletionMethod.IN_TOOL: "Online module in this tool",
    CompletionMethod.EXTERNAL: "External course",
    CompletionMethod.INSET: "Whole-staff INSET",
    CompletionMethod.RECORDED: "Recorded by a CPD lead",
    CompletionMethod.IMPORTED: "Imported from an earlier record",
}

#: The ways of completing that earn a certificate of completion: what the tool witnessed or a
#: CPD lead vouched for (an external completion is made only when a CPD lead verifies its
#: evidence). An imported completion has none: the tool cannot vouch for it.
CERTIFIED = frozenset(
    {
        CompletionMethod.IN_TOOL,
        CompletionMethod.EXTERNAL,
        CompletionMethod.INSET,
        CompletionMethod.RECORDED,
    }
)

#: The academic year starts on 1 September.
ACADEMIC_YEAR_START_MONTH = 9


def academic_year_of(day: dt.date) -> int:
    """The calendar year in which ``day``'s academic year began: 31 August 2026 is in
    2025 (2025/26), 1 September 2026 in 2026 (2026/27)."""
    return day.year if day.month >= ACADEMIC_YEAR_START_MONTH else day.year - 1


def academic_year_label(start_year: int) -> str:
    """``2025`` -> "2025/26"; ``2099`` -> "2099/00"."""
    return f"{start_year}/{(start_year + 1) % 100:02d}"


@dataclass(frozen=True)
class RecordLine:
    completed_on: dt.date
    training: str
    method: CompletionMethod
    provider: str | None
    cpd_hours: Decimal
    completion_id: int | None = None
    #: The provider certificate's own expiry, when recorded.
    certificate_expires_on: dt.date | None = None

    @property
    def method_label(self) -> str:
        return METHOD_LABELS[self.method]

    @property
    def has_certificate(self) -> bool:
        return self.completion_id is not None and self.method in CERTIFIED


@dataclass(frozen=True)
class AcademicYear:
    start_year: int
    #: Newest first.
    lines: tuple[RecordLine, ...]

    @property
    def label(self) -> str:
        return academic_year_label(self.start_year)

    @property
    def total_hours(self) -> Decimal:
        return sum((line.cpd_hours for line in self.lines), Decimal("0"))


def by_academic_year(lines: Iterable[RecordLine]) -> list[AcademicYear]:
    """Group ``lines`` by academic year, newest year first and newest line first in each
    (lines on the same day keep their given order)."""
    groups: dict[int, list[RecordLine]] = defaultdict(list)
    for line in sorted(lines, key=lambda x: x.completed_on, reverse=True):
        groups[academic_year_of(line.completed_on)].append(line)
    return [AcademicYear(year, tuple(groups[year])) for year in sorted(groups, reverse=True)]


@dataclass(frozen=True)
class CpdRecord:
    person: Person
    years: list[AcademicYear]

    @property
    def count(self) -> int:
        return sum(len(year.lines) for year in self.years)

    @property
    def total_hours(self) -> Decimal:
        return sum((year.total_hours for year in self.years), Decimal("0"))

    @property
    def lines(self) -> Iterator[RecordLine]:
        for year in self.years:
            yield from year.lines


RECORD_HEADER = [
    "Academic year",
    "Date",
    "Training",
    "How",
    "Provider",
    "CPD hours",
    "Certificate expires",
]


def record_table(record: CpdRecord) -> tuple[list[str], Iterator[list[Cell]]]:
    """One row per completion, a total row after each academic year, and a grand total.

    Total rows leave the date empty, so a spreadsheet filter on the date column separates them
    from the completions.
    """

    def rows() -> Iterator[list[Cell]]:
        for year in record.years:
            for line in year.lines:
                yield [
                    year.label,
                    line.completed_on,
                    line.training,
                    line.method_label,
                    line.provider,
                    line.cpd_hours,
                    line.certificate_expires_on,
                ]
            yield [year.label, None, f"Total for {year.label}", None, None, year.total_hours, None]
        if record.years:
            yield ["All years", None, "Total", None, None, record.total_hours, None]

    return list(RECORD_HEADER), rows()


class CpdRecordService:
    def __init__(self, session: Session) -> None:
        self.session = session

    def lines(self, person: Person) -> list[RecordLine]:
        """Every completion of ``person`` (in their own organisation only), newest first."""
        rows = self.session.execute(
            select(Completion, Module.title, Module.provider)
            .join(Module, Module.id == Completion.module_id)
            .where(
                Completion.person_id == person.id,
                Completion.organisation_id == person.organisation_id,
            )
            .order_by(Completion.completed_on.desc(), Completion.id.desc())
        )
        return [
            RecordLine(
                completed_on=completion.completed_on,
                training=title,
                method=completion.method,
                provider=completion.provider or module_provider,
                cpd_hours=completion.cpd_hours,
                completion_id=completion.id,
                certificate_expires_on=completion.certificate_expires_on,
            )
            for completion, title, module_provider in rows
        ]

    def record(self, person: Person) -> CpdRecord:
        return CpdRecord(person, by_academic_year(self.lines(person)))
