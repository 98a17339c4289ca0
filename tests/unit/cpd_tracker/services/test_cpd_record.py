"""The CPD record: academic years (1 September to 31 August), totals, the export table, and
the service's scoping to one person of one organisation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    Completion,
    CompletionMethod,
    Delivery,
    Module,
    Organisation,
    OrganisationKind,
    Person,
    Tier,
)
from cpd_tracker.services.cpd_record import (
    METHOD_LABELS,
    RECORD_HEADER,
    AcademicYear,
    CpdRecord,
    CpdRecordService,
    RecordLine,
    academic_year_label,
    academic_year_of,
    by_academic_year,
    record_table,
)


def line(on: dt.date, hours: str = "1", training: str = "Autism") -> RecordLine:
    return RecordLine(on, training, CompletionMethod.RECORDED, None, Decimal(hours))


@pytest.mark.parametrize(
    ("day", "start_year"),
    [
        (dt.date(2026, 8, 31), 2025),  # the last day of 2025/26
        (dt.date(2026, 9, 1), 2026),  # the first day of 2026/27
        (dt.date(2025, 9, 1), 2025),
        (dt.date(2026, 1, 1), 2025),  # January belongs to the year that began in September
        (dt.date(2025, 12, 31), 2025),
        (dt.date(2024, 2, 29), 2023),
    ],
)
def test_academic_year_of(day: dt.date, start_year: int) -> None:
    assert academic_year_of(day) == start_year


@pytest.mark.parametrize(
    ("start_year", "label"),
    [(2025, "2025/26"), (2009, "2009/10"), (2099, "2099/00"), (1999, "1999/00")],
)
def test_academic_year_label(start_year: int, label: str) -> None:
    assert academic_year_label(start_year) == label


def test_31_august_and_1_september_fall_in_different_years() -> None:
    years = by_academic_year([line(dt.date(2026, 8, 31), "2"), line(dt.date(2026, 9, 1), "3")])
    assert [(y.label, y.total_hours) for y in years] == [
        ("2026/27", Decimal("3")),
        ("2025/26", Decimal("2")),
    ]


def test_grouping_orders_years_and_lines_newest_first_and_sums_exactly() -> None:
    lines = [
        line(dt.date(2024, 10, 1), "0.1"),
        line(dt.date(2025, 3, 1), "0.2"),
        line(dt.date(2023, 9, 1), "1.5"),
        line(dt.date(2025, 3, 1), "0.25", training="Same day, kept in order"),
    ]
    years = by_academic_year(lines)
    assert [y.start_year for y in years] == [2024, 2023]
    assert [x.completed_on for x in years[0].lines] == [
        dt.date(2025, 3, 1),
        dt.date(2025, 3, 1),
        dt.date(2024, 10, 1),
    ]
    assert years[0].lines[1].training == "Same day, kept in order"
    assert years[0].total_hours == Decimal("0.55")  # Decimal: no 0.30000000000000004


def test_no_lines_no_years() -> None:
    assert by_academic_year([]) == []
    assert AcademicYear(2025, ()).total_hours == Decimal("0")


def test_every_method_has_words() -> None:
    assert set(METHOD_LABELS) == set(CompletionMethod)
    assert line(dt.date(2025, 1, 1)).method_label == "Recorded by a CPD lead"


def test_record_table_has_a_total_after_each_year_and_a_grand_total() -> None:
    record = CpdRecord(
        Person(),
        by_academic_year(
            [line(dt.date(2025, 9, 2), "2"), line(dt.date(2025, 1, 1), "1.5", "Dyslexia")]
        ),
    )
    header, rows = record_table(record)
    assert header == RECORD_HEADER
    assert list(rows) == [
        [
            "2025/26",
            dt.date(2025, 9, 2),
            "Autism",
            "Recorded by a CPD lead",
            None,
            Decimal("2"),
            None,
        ],
        ["2025/26", None, "Total for 2025/26", None, None, Decimal("2"), None],
        [
            "2024/25",
            dt.date(2025, 1, 1),
            "Dyslexia",
            "Recorded by a CPD lead",
            None,
            Decimal("1.5"),
            None,
        ],
        ["2024/25", None, "Total for 2024/25", None, None, Decimal("1.5"), None],
        ["All years", None, "Total", None, None, Decimal("3.5"), None],
    ]
    assert record.count == 2


def test_an_empty_record_has_only_the_header() -> None:
    header, rows = record_table(CpdRecord(Person(), []))
    assert header == RECORD_HEADER
    assert list(rows) == []


# --- The service, on the test database ---------------------------------------------------------


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    with app.app_context():
        yield db.session


def _org(session: Session, name: str) -> tuple[Organisation, Module]:
    org = Organisation(name=name, kind=OrganisationKind.TRUST)
    session.add(org)
    session.flush()
    module = Module(
        organisation_id=org.id,
        slug="unit-autism",
        title=f"Autism ({name})",
        tier=Tier.AWARENESS,
        delivery=Delivery.EXTERNAL,
        provider="nasen",
    )
    session.add(module)
    session.flush()
    return org, module


def _completion(
    session: Session, person: Person, module: Module, on: dt.date, **fields: object
) -> None:
    session.add(
        Completion(
            organisation_id=person.organisation_id,
            person_id=person.id,
            module_id=module.id,
            completed_on=on,
            method=CompletionMethod.INSET,
            cpd_hours=Decimal("1.25"),
            **fields,
        )
    )


def test_service_reads_one_persons_completions_only(session: Session) -> None:
    org, module = _org(session, "Trust A")
    me, colleague = Person(organisation_id=org.id), Person(organisation_id=org.id)
    session.add_all([me, colleague])
    session.flush()
    _completion(session, me, module, dt.date(2025, 9, 1))
    _completion(session, me, module, dt.date(2025, 8, 31), provider="Local authority")
    _completion(session, colleague, module, dt.date(2025, 8, 31))
    session.flush()

    record = CpdRecordService(session).record(me)
    assert [y.label for y in record.years] == ["2025/26", "2024/25"]
    assert record.count == 2
    assert record.total_hours == Decimal("2.50")
    newest, older = list(record.lines)
    assert newest.provider == "nasen"  # the module's provider when the completion names none
    assert older.provider == "Local authority"
    assert newest.method_label == "Whole-staff INSET"
    assert newest.training == "Autism (Trust A)"


def test_service_never_reads_across_organisations(session: Session) -> None:
    """A completion row carrying another organisation's id is not this person's record."""
    org, _ = _org(session, "Trust A")
    other, other_module = _org(session, "Trust B")
    me = Person(organisation_id=org.id)
    session.add(me)
    session.flush()
    session.add(
        Completion(
            organisation_id=other.id,
            person_id=me.id,
            module_id=other_module.id,
            completed_on=dt.date(2025, 1, 1),
            method=CompletionMethod.IMPORTED,
        )
    )
    session.flush()
    assert CpdRecordService(session).record(me).years == []
