"""The data-access log (issue 15, finding 4): each download and export route writes its entry
(and views of one's own record write none), and trust leaders read the log on
``/admin/data-access``: their organisation only, newest first, filtered, paged, as CSV and
XLSX; CPD leads and staff get a 403."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    DataAccessEntry,
    Evidence,
    Person,
    SencoAppointment,
    SencoDocument,
    SencoQualification,
    SencoQualificationKind,
)
from cpd_tracker.services import data_access
from cpd_tracker.storage import EvidenceStore
from tests.functional.records import conftest as records
from tests.functional.records.helpers import PDF, World, text

#: The records tests' world: a trust of two schools, another organisation, and people signed
#: in through real launches (``tests/functional/records/helpers.py``).
world = records.world


def entries(world: World, org_id: int | None = None) -> list[DataAccessEntry]:
    with world.app.app_context():
        return list(
            db.session.scalars(
                select(DataAccessEntry)
                .where(DataAccessEntry.organisation_id == (org_id or world.org_id))
                .order_by(DataAccessEntry.id)
            )
        )


def logged(world: World) -> list[tuple[int | None, int | None, str, str]]:
    return [(e.viewer_id, e.subject_person_id, e.action, e.what) for e in entries(world)]


def add_evidence(world: World, person_id: int, school_id: int) -> int:
    with world.app.app_context():
        key = EvidenceStore(world.evidence_dir()).save(world.org_id, PDF)
        row = Evidence(
            organisation_id=world.org_id,
            person_id=person_id,
            module_id=world.external_module,
            school_id=school_id,
            course_title="Speech and language",
            provider="County",
            completed_on=dt.date(2026, 10, 1),
            cpd_hours=Decimal(6),
            file_key=key,
            file_name="certificate.pdf",
            content_type="application/pdf",
            file_size=len(PDF),
        )
        db.session.add(row)
        db.session.commit()
        return row.id


# --- Each route writes its entry ---------------------------------------------------------------


def test_certificate_downloads_are_logged_whoever_downloads(world: World) -> None:
    staff = world.person_id("staff_a")
    lead = world.person_id("lead_a")
    evidence = add_evidence(world, staff, world.school_a)
    for name in ("staff_a", "lead_a"):
        response = world.client(name).get(f"/records/evidence/{evidence}/certificate")
        assert response.status_code == 200
    assert logged(world) == [
        (staff, staff, "downloaded", "Certificate: Speech and language"),
        (lead, staff, "downloaded", "Certificate: Speech and language"),
    ]
    # Refused (another school's lead): a 404 and nothing logged.
    assert (
        world.client("lead_b").get(f"/records/evidence/{evidence}/certificate").status_code == 404
    )
    assert len(entries(world)) == 2


def test_a_record_page_viewed_by_someone_else_is_logged_and_ones_own_is_not(world: World) -> None:
    staff = world.person_id("staff_a")
    lead = world.person_id("lead_a")
    lead_client = world.client("lead_a")
    school = world.school_a
    # The old address only redirects: the one person page logs one view per GET.
    assert lead_client.get(f"/records/schools/{school}/people/{staff}").status_code == 301
    assert lead_client.get(f"/staff/schools/{school}/people/{staff}").status_code == 200
    assert lead_client.get(f"/records/schools/{school}/people/{lead}").status_code == 301
    assert lead_client.get(f"/staff/schools/{school}/people/{lead}").status_code == 200
    evidence = add_evidence(world, staff, school)
    assert lead_client.get(f"/records/schools/{school}/evidence/{evidence}").status_code == 200
    assert logged(world) == [
        (lead, staff, "viewed", "Staff and training record, Alder Primary (URN 100001)"),
        (
            lead,
            staff,
            "viewed",
            "Evidence to verify: Speech and language, Alder Primary (URN 100001)",
        ),
    ]
    # Another school's lead is refused and leaves no entry.
    assert world.client("lead_b").get(f"/staff/schools/{school}/people/{staff}").status_code == 403
    assert len(entries(world)) == 2


@pytest.mark.parametrize("table", ["compliance", "chase", "gaps", "hours", "heatmap"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_every_school_export_listing_people_is_logged(world: World, table: str, fmt: str) -> None:
    lead = world.person_id("lead_a")
    response = world.client("lead_a").get(f"/schools/{world.school_a}/{table}.{fmt}")
    assert response.status_code == 200
    response.get_data()
    assert logged(world) == [
        (lead, None, "exported", f"School {table} {fmt.upper()}, Alder Primary (URN 100001)")
    ]


@pytest.mark.parametrize("table", ["coverage", "roles"])
def test_school_exports_of_counts_are_not_logged(world: World, table: str) -> None:
    response = world.client("lead_a").get(f"/schools/{world.school_a}/{table}.csv")
    assert response.status_code == 200
    assert entries(world) == []


def test_trust_and_senco_exports_are_logged(world: World) -> None:
    leader = world.person_id("trust")
    client = world.client("trust")
    assert client.get("/trust/statuses.csv").status_code == 200
    assert client.get(f"/trust/statuses.xlsx?school={world.school_b}").status_code == 200
    assert client.get("/trust/matrix.csv").status_code == 200  # counts: not logged
    assert client.get("/senco/trust.csv").status_code == 200
    assert logged(world) == [
        (leader, None, "exported", "Trust statuses CSV, every school"),
        (leader, None, "exported", "Trust statuses XLSX, Birch Academy (URN 100002)"),
        (leader, None, "exported", "SENCO table CSV, every school"),
    ]


def test_senco_document_downloads_are_logged(world: World) -> None:
    senco = world.person_id("staff_a")
    lead = world.person_id("lead_a")
    with world.app.app_context():
        db.session.add(
            SencoAppointment(
                organisation_id=world.org_id,
                school_id=world.school_a,
                person_id=senco,
                started_on=dt.date(2026, 9, 1),
            )
        )
        qualification = SencoQualification(
            organisation_id=world.org_id, person_id=senco, kind=SencoQualificationKind.NPQ_SENCO
        )
        db.session.add(qualification)
        db.session.flush()
        document = SencoDocument(
            organisation_id=world.org_id,
            qualification_id=qualification.id,
            file_name="npq.pdf",
            content_type="application/pdf",
            size=len(PDF),
            storage_key=EvidenceStore(world.evidence_dir()).save(world.org_id, PDF),
        )
        db.session.add(document)
        db.session.commit()
        path = (
            f"/senco/schools/{world.school_a}/qualifications/{qualification.id}"
            f"/documents/{document.id}"
        )
    assert world.client("lead_a").get(path).status_code == 200
    assert logged(world) == [
        (lead, senco, "downloaded", "SENCO qualification document, Alder Primary (URN 100001)")
    ]


# --- The trust leaders' page -------------------------------------------------------------------


def seed(world: World) -> dict[str, int]:
    """Entries a day apart, oldest first: the lead viewing two staff, the trust leader
    exporting, and one in the other organisation."""
    ids = {name: world.person_id(name) for name in ("lead_a", "staff_a", "staff_a2", "trust")}
    other_staff = world.person_id("other_staff")
    start = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
    with world.app.app_context():
        for n, (viewer, subject, what) in enumerate(
            [
                (ids["lead_a"], ids["staff_a"], "Training record, Alder Primary (URN 100001)"),
                (ids["lead_a"], ids["staff_a2"], "Staff record, Alder Primary (URN 100001)"),
                (ids["trust"], None, "Trust statuses CSV, every school"),
            ]
        ):
            data_access.record_access(
                db.session,
                organisation_id=world.org_id,
                viewer_id=viewer,
                subject_person_id=subject,
                action="exported" if subject is None else "viewed",
                what=what,
                at=start + dt.timedelta(days=n),
            )
        data_access.record_access(
            db.session,
            organisation_id=world.other_org_id,
            viewer_id=other_staff,
            subject_person_id=other_staff,
            action="viewed",
            what="Elsewhere entirely",
            at=start,
        )
        db.session.commit()
    return ids | {"other_staff": other_staff}


@pytest.mark.parametrize("name", ["lead_a", "staff_a", "other_lead"])
@pytest.mark.parametrize("path", ["/admin/data-access", "/admin/data-access.csv"])
def test_only_trust_leaders_read_the_log(world: World, name: str, path: str) -> None:
    seed(world)
    assert world.client(name).get(path).status_code == 403


def test_the_log_newest_first_in_the_organisation_only(world: World) -> None:
    seed(world)
    page = text(world.client("trust").get("/admin/data-access"))
    assert "3 entries" in page
    assert "Elsewhere entirely" not in page
    order = [
        page.index("Trust statuses CSV"),
        page.index("Staff record, Alder"),
        page.index("Training record, Alder"),
    ]
    assert order == sorted(order)
    assert "Several people" in page


def test_filters_by_person_name_and_days(world: World) -> None:
    ids = seed(world)
    client = world.client("trust")
    by_person = text(client.get(f"/admin/data-access?person={ids['staff_a2']}"))
    assert "1 entry" in by_person
    assert "Staff record, Alder" in by_person
    as_viewer = text(client.get(f"/admin/data-access?person={ids['lead_a']}"))
    assert "2 entries" in as_viewer
    with world.app.app_context():
        lead_name = db.session.get(Person, ids["lead_a"]).display_name  # type: ignore[union-attr]
    by_name = text(client.get("/admin/data-access", query_string={"name": lead_name.upper()}))
    assert "2 entries" in by_name
    days = text(client.get("/admin/data-access?from=2026-11-02&to=2%2F11%2F2026"))
    assert "1 entry" in days
    assert "Staff record, Alder" in days
    assert "1 entry" in text(client.get("/admin/data-access?from=2026-11-03"))
    # Another organisation's person is not one to filter by.
    assert client.get(f"/admin/data-access?person={ids['other_staff']}").status_code == 404


@pytest.mark.parametrize(
    "query",
    ["from=yesterday", "to=2026-13-01", "from=0001-01-01", "page=0", "page=x", "person=abc",
     "from=2026-11-03&to=2026-11-01", "page=2"],
)  # fmt: skip
def test_bad_filters_are_a_400(world: World, query: str) -> None:
    seed(world)
    assert world.client("trust").get(f"/admin/data-access?{query}").status_code == 400


def test_the_log_is_paged(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    seed(world)
    monkeypatch.setattr(data_access, "PAGE_SIZE", 2)
    client = world.client("trust")
    first = text(client.get("/admin/data-access"))
    assert "Trust statuses CSV" in first
    assert "Training record, Alder" not in first
    second = text(client.get("/admin/data-access?page=2"))
    assert "Training record, Alder" in second
    assert "Trust statuses CSV" not in second
    assert client.get("/admin/data-access?page=3").status_code == 400


def test_the_log_downloads_as_csv_and_xlsx_and_the_download_is_logged(world: World) -> None:
    ids = seed(world)
    client = world.client("trust")
    body = client.get("/admin/data-access.csv?from=2026-11-01&to=2026-11-30").get_data(as_text=True)
    lines = body.lstrip("\ufeff").splitlines()
    assert lines[0] == "When (London time),Who,What they did,Whose data,What"
    assert len(lines) == 4
    assert "Trust statuses CSV, every school" in lines[1]
    assert "Several people" in lines[1]
    assert "Elsewhere" not in body
    workbook = load_workbook(io.BytesIO(client.get("/admin/data-access.xlsx").get_data()))
    rows = list(workbook.active.iter_rows(values_only=True))  # type: ignore[union-attr]
    # The CSV download is itself in the log by now, newest first.
    assert rows[1][4] == "Data access log CSV, every school"
    assert len(rows) == 1 + 4
    assert logged(world)[-2:] == [
        (ids["trust"], None, "exported", "Data access log CSV, every school"),
        (ids["trust"], None, "exported", "Data access log XLSX, every school"),
    ]
