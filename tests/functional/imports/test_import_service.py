"""``ImportService`` against the database: what an applied plan writes, row by row, and what
it refuses. (The pure rules are in tests/unit/cpd_tracker/services/test_imports.py.)"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from cpd_tracker.extensions import db
from cpd_tracker.models import AuditEntry, Person, StaffRole, StaffRoleKind
from cpd_tracker.services.audit import Actor, AuditService
from cpd_tracker.services.imports import (
    AlreadyApplied,
    ImportKind,
    ImportRefused,
    ImportService,
    KnownSchool,
)
from tests.support.csv_files import staff_csv, staff_row, staff_rows

NOW = dt.datetime(2025, 1, 15, 23, 30, tzinfo=dt.UTC)


@pytest.fixture
def service(app: Flask, org_id: int) -> Iterator[ImportService]:
    with app.app_context():
        yield ImportService(db.session, AuditService(db.session, Actor("test")), lambda: NOW)


def alder(service: ImportService, org_id: int) -> KnownSchool:
    found = service.school(org_id, urn="100001")
    assert found is not None
    return found


def run(service: ImportService, org_id: int, rows: list[dict[str, str]]) -> dict[str, int]:
    plan = service.check(ImportKind.STAFF, org_id, staff_csv(rows), school=alder(service, org_id))
    assert plan.ok, plan.errors
    result = service.execute(plan, file_name="staff.csv")
    db.session.commit()
    return result.counts


def test_updates_of_different_fields_apply_together(service: ImportService, org_id: int) -> None:
    run(service, org_id, staff_rows(5))
    counts = run(
        service,
        org_id,
        [
            staff_row(1, email="new1@alder.example.org"),
            staff_row(2, first_name="Renamed"),
            staff_row(3, leaving_date="31/12/2024"),
            staff_row(4, role="Teacher; SENCO"),
            staff_row(5),
        ],
    )
    assert counts == {"new": 0, "updated": 4, "unchanged": 1, "leavers": 1}
    db.session.expire_all()
    by_number = {p.staff_number: p for p in db.session.scalars(select(Person))}
    assert by_number["S00001"].email == "new1@alder.example.org"
    assert by_number["S00002"].given_name == "Renamed"
    assert by_number["S00002"].name == "Renamed Clarke-2"
    assert by_number["S00003"].leaving_date == dt.date(2024, 12, 31)
    roles = {
        (r.role, r.ended_on)
        for r in db.session.scalars(
            select(StaffRole).where(StaffRole.person_id == by_number["S00004"].id)
        )
    }
    # The clock says 23:30 UTC on 15 January, already 16 January in London? No: GMT in winter.
    assert roles == {
        (StaffRoleKind.TEACHER, None),
        (StaffRoleKind.SENCO, None),
        (StaffRoleKind.LEADER, dt.date(2025, 1, 15)),
    }


def test_today_is_london_time(app: Flask, org_id: int) -> None:
    summer = dt.datetime(2025, 6, 30, 23, 30, tzinfo=dt.UTC)  # 00:30 on 1 July in London
    with app.app_context():
        service = ImportService(db.session, AuditService(db.session, Actor("t")), lambda: summer)
        assert service.today() == dt.date(2025, 7, 1)


def test_execute_refuses_a_plan_with_problems(service: ImportService, org_id: int) -> None:
    plan = service.check(
        ImportKind.STAFF,
        org_id,
        staff_csv([staff_row(1, role="Cook")]),
        school=alder(service, org_id),
    )
    with pytest.raises(ImportRefused) as refused:
        service.execute(plan, file_name="x.csv")
    assert refused.value.plan is plan


def test_an_upload_applies_once(service: ImportService, org_id: int) -> None:
    submitted = service.submit(
        ImportKind.STAFF,
        org_id,
        school=alder(service, org_id),
        file_name="C:\\Users\\head\\staff.csv",
        content=staff_csv(),
        uploaded_by_id=None,
    )
    upload = submitted.upload
    assert upload is not None
    assert service.result_of(upload) is None
    result = service.apply(upload)
    assert result.counts["new"] == 3
    db.session.commit()
    stored = service.result_of(upload)
    assert stored is not None
    assert stored.counts == result.counts
    assert stored.school == "Alder Primary (URN 100001)"
    with pytest.raises(AlreadyApplied):
        service.apply(upload)


def test_a_concurrent_apply_finds_the_upload_claimed(
    app: Flask, service: ImportService, org_id: int
) -> None:
    submitted = service.submit(
        ImportKind.STAFF,
        org_id,
        school=alder(service, org_id),
        file_name="staff.csv",
        content=staff_csv(),
        uploaded_by_id=None,
    )
    assert submitted.upload is not None
    db.session.commit()
    stale = submitted.upload
    # Another request applied it after this one loaded the upload.
    other = db.new_session()
    try:
        other_service = ImportService(other, AuditService(other, Actor("t")), lambda: NOW)
        found = other_service.upload(org_id, stale.id)
        assert found is not None
        other_service.apply(found)
        other.commit()
    finally:
        other.close()
    set_committed_value(stale, "applied_at", None)  # what this request still believes
    with pytest.raises(AlreadyApplied) as already:
        service.apply(stale)
    assert already.value.applied_at is not None


def test_a_bad_file_is_not_stored(service: ImportService, org_id: int) -> None:
    submitted = service.submit(
        ImportKind.STAFF,
        org_id,
        school=None,
        file_name="staff.csv",
        content=b"",
        uploaded_by_id=None,
    )
    assert submitted.upload is None
    assert not submitted.plan.ok


def test_uploads_are_audited_without_their_content(service: ImportService, org_id: int) -> None:
    service.submit(
        ImportKind.STAFF,
        org_id,
        school=None,
        file_name="staff.csv",
        content=staff_csv(),
        uploaded_by_id=None,
    )
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "import.uploaded")
    ).one()
    assert entry.details["rows"] == 3
    assert len(entry.details["sha256"]) == 64
    assert "staff1@" not in str(entry.details)


def test_organisation_for_cli(service: ImportService, org_id: int) -> None:
    assert service.organisation_for_cli(None).id == org_id
    assert service.organisation_for_cli(org_id).id == org_id
    with pytest.raises(ValueError, match="there is no organisation 404"):
        service.organisation_for_cli(404)


def test_schools_are_looked_up_in_the_organisation_only(
    app: Flask, service: ImportService, org_id: int
) -> None:
    from tests.support.factories import make_org

    other = make_org(app, "Other", schools=[("200001", "Elm")])
    assert service.school(org_id, urn="200001") is None
    elm = service.school(other, urn=" 200001 ")
    assert elm is not None
    assert service.school(org_id, school_id=elm.id) is None


@pytest.fixture
def org_id(app: Flask) -> int:
    from tests.support.factories import make_org

    return make_org(app)
