"""Issue 15, finding 3 replayed: two uploads of one staff file applied at the same moment made
two people per staff number, and re-importing was then refused ("belongs to 2 people").

Two threads, each with its own app context and session on the real database (a SQLite file,
or PostgreSQL with TEST_DATABASE_URL), apply two uploads of the same 50-row file at once: one
person per staff number, both applies succeed (the second finds the first's people), and the
file imports again. A clash the lock cannot prevent (a person created between the plan and the
write) refuses the import with a message; the database refuses duplicates outright.
"""

from __future__ import annotations

import threading

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from cpd_tracker.extensions import db
from cpd_tracker.models import ImportUpload, Person
from cpd_tracker.registry import clock
from cpd_tracker.services.audit import Actor, AuditService
from cpd_tracker.services.imports import ImportConflict, ImportKind, ImportResult, ImportService
from tests.support.csv_files import staff_csv, staff_rows
from tests.support.factories import make_org, school_id

ROWS = 50


def _service() -> ImportService:
    return ImportService(db.session, AuditService(db.session, Actor("test")), clock)


def _upload(app: Flask, org_id: int, data: bytes) -> int:
    with app.app_context():
        service = _service()
        school = service.school(org_id, urn="100001")
        submitted = service.submit(
            ImportKind.STAFF,
            org_id,
            school=school,
            file_name="staff.csv",
            content=data,
            uploaded_by_id=None,
        )
        assert submitted.upload is not None, submitted.plan.errors
        db.session.commit()
        return submitted.upload.id


def _apply(app: Flask, upload_id: int) -> ImportResult:
    with app.app_context():
        service = _service()
        upload = db.session.get(ImportUpload, upload_id)
        assert upload is not None
        result = service.apply(upload)
        db.session.commit()
        return result


def test_two_imports_of_one_file_racing_make_one_person_per_staff_number(app: Flask) -> None:
    org_id = make_org(app)
    data = staff_csv(staff_rows(ROWS))
    uploads = [_upload(app, org_id, data) for _ in range(2)]
    barrier = threading.Barrier(2)
    results: dict[int, ImportResult] = {}
    errors: list[BaseException] = []

    def run(upload_id: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[upload_id] = _apply(app, upload_id)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(u,)) for u in uploads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    # One applied first and created everyone; the other waited and found them all.
    assert sorted(r.counts["new"] for r in results.values()) == [0, ROWS]
    assert sorted(r.counts["unchanged"] for r in results.values()) == [0, ROWS]
    with app.app_context():
        numbers = db.session.execute(
            select(Person.staff_number, func.count(Person.id)).group_by(Person.staff_number)
        ).all()
        assert len(numbers) == ROWS
        assert {count for _, count in numbers} == {1}
    # And the file imports again: every row is the one person it names.
    again = _apply(app, _upload(app, org_id, data))
    assert again.counts["unchanged"] == ROWS


def test_a_person_created_between_plan_and_write_refuses_the_import(app: Flask) -> None:
    org_id = make_org(app)
    data = staff_csv(staff_rows(3))
    with app.app_context():
        service = _service()
        school = service.school(org_id, urn="100001")
        plan = service.check(ImportKind.STAFF, org_id, data, school=school)
        assert plan.ok
        # A launch (another request) creates row 2's person meanwhile.
        db.session.add(Person(organisation_id=org_id, email="Staff1@Alder.Example.org"))
        db.session.flush()
        with pytest.raises(ImportConflict) as refused:
            service.execute(plan, file_name="staff.csv")
        assert "nothing was imported" in str(refused.value.plan.errors[0])
        db.session.rollback()


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"email": "sam@x.org"}, {"email": "SAM@X.ORG "}),
        ({"staff_number": "S1", "alder": True}, {"staff_number": "S1", "alder": True}),
        ({"staff_number": "S1"}, {"staff_number": " S1"}),
    ],
)
def test_the_database_refuses_a_second_person(
    app: Flask, first: dict[str, object], second: dict[str, object]
) -> None:
    org_id = make_org(app)
    alder = school_id(app, "100001")
    with app.app_context():

        def person(values: dict[str, object]) -> Person:
            fields = {k: v for k, v in values.items() if k != "alder"}
            if values.get("alder"):
                fields["staff_number_school_id"] = alder
            return Person(organisation_id=org_id, **fields)

        db.session.add(person(first))
        db.session.flush()
        db.session.add(person(second))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_the_same_number_at_another_school_or_organisation_is_another_person(
    app: Flask,
) -> None:
    org_id = make_org(app)
    other_org = make_org(app, "Other Trust", schools=(("200001", "Cedar"),))
    alder, birch = school_id(app, "100001"), school_id(app, "100002")
    with app.app_context():
        db.session.add_all(
            [
                Person(organisation_id=org_id, staff_number="S1", staff_number_school_id=alder),
                Person(organisation_id=org_id, staff_number="S1", staff_number_school_id=birch),
                Person(organisation_id=org_id, email="", staff_number=""),
                Person(organisation_id=org_id, email=" ", staff_number=None),
                Person(organisation_id=other_org, email="a@x.org", staff_number="S1"),
                Person(organisation_id=org_id, email="a@x.org"),
            ]
        )
        db.session.commit()
        blanks = db.session.scalar(select(func.count(Person.id)).where(Person.email.is_(None)))
        assert blanks == 4
