"""The historical completions import through the HTTP surface."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import Flask
from sqlalchemy import select

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    AuditEntry,
    Completion,
    CompletionMethod,
    Delivery,
    Module,
    Person,
    Tier,
)
from tests.functional.imports.conftest import BIRCH, SignIn, apply, counts, upload
from tests.support.csv_files import (
    COMPLETION_HEADINGS,
    completion_row,
    completions_csv,
    staff_csv,
    staff_row,
    staff_rows,
)


def add_modules(app: Flask, org_id: int) -> None:
    """The catalogue is seeded elsewhere; here two modules are enough."""
    with app.app_context():
        db.session.add_all(
            [
                Module(
                    organisation_id=org_id,
                    slug="send-awareness",
                    title="SEND awareness",
                    tier=Tier.AWARENESS,
                    delivery=Delivery.IN_TOOL,
                    cpd_hours=Decimal("1.5"),
                ),
                Module(
                    organisation_id=org_id,
                    slug="autism-basics",
                    title="Autism basics",
                    tier=Tier.ENHANCED,
                    delivery=Delivery.EXTERNAL,
                    cpd_hours=Decimal("3"),
                ),
            ]
        )
        db.session.commit()


def test_lead_imports_past_completions(app: Flask, sign_in: SignIn, org_id: int) -> None:
    add_modules(app, org_id)
    lead = sign_in("instructor")
    assert (
        apply(lead, upload(lead, staff_csv(staff_rows(2))).headers["Location"]).status_code == 303
    )
    rows = [
        completion_row(),
        completion_row(
            staff_number="",
            email="STAFF2@alder.example.org",
            module="Autism Basics",
            completed_on="2024-03-01",
            hours="6",
            provider="Local authority SEND team",
            certificate_expires_on="29/02/2028",
        ),
    ]
    uploaded = upload(lead, completions_csv(rows), kind="completions", file_name="past.csv")
    assert uploaded.status_code == 303
    location = uploaded.headers["Location"]
    html = lead.get(location).get_data(as_text=True)
    assert "Import training completions" in html
    assert '2</span> <span class="app-stat__label">completions to add' in html
    assert "Autism basics" in html
    assert apply(lead, location).status_code == 303
    assert "Completions added" in lead.get(location).get_data(as_text=True)
    with app.app_context():
        lead_id = db.session.scalar(select(Person.id).where(Person.sub.is_not(None)))
        done = {c.module.slug: c for c in db.session.scalars(select(Completion)).all()}
        assert sorted(done) == ["autism-basics", "send-awareness"]
        awareness = done["send-awareness"]
        assert awareness.method is CompletionMethod.IMPORTED
        assert awareness.completed_on == dt.date(2024, 9, 1)
        assert awareness.cpd_hours == Decimal("1.5")
        assert awareness.provider is None
        assert awareness.recorded_by_id == lead_id
        assert "row 2" in awareness.note
        autism = done["autism-basics"]
        assert (autism.cpd_hours, autism.provider) == (Decimal(6), "Local authority SEND team")
        # The provider certificate's own expiry, from the file's column (optional).
        assert autism.certificate_expires_on == dt.date(2028, 2, 29)
        assert awareness.certificate_expires_on is None
        audited = db.session.scalars(
            select(AuditEntry.entity_id).where(AuditEntry.action == "completion.imported")
        ).all()
        assert sorted(audited) == sorted(str(c.id) for c in done.values())

    again = upload(lead, completions_csv(rows), kind="completions")
    location = again.headers["Location"]
    html = lead.get(location).get_data(as_text=True)
    assert '2</span> <span class="app-stat__label">already recorded (skipped)' in html
    before = counts(app)
    assert apply(lead, location).status_code == 303
    after = counts(app)
    assert after["completion"] == before["completion"]
    assert after["audit_entry"] == before["audit_entry"] + 1  # the import's summary only


def test_bad_completion_rows_change_nothing(app: Flask, sign_in: SignIn, org_id: int) -> None:
    add_modules(app, org_id)
    leader = sign_in("admin")
    staff = staff_csv([staff_row(1), staff_row(2, urn=BIRCH)])
    assert apply(leader, upload(leader, staff, school=0).headers["Location"]).status_code == 303
    lead = sign_in("instructor")
    before = counts(app)
    soon = dt.date.today() + dt.timedelta(days=10)
    rows = [
        completion_row(module="Makaton"),
        completion_row(completed_on=f"{soon:%d/%m/%Y}"),
        completion_row(staff_number="S00002"),
        completion_row(certificate_expires_on="31/08/2024"),
        completion_row(certificate_expires_on="soon"),
        completion_row(),
    ]
    response = upload(lead, completions_csv(rows), kind="completions")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "module &#39;Makaton&#39; is not in your organisation&#39;s catalogue" in html
    assert f"completion date {soon.day} {soon:%B %Y} is in the future" in html
    assert "staff number S00002 is not on the staff list of Alder Primary" in html
    assert "expiry date must be on or after the day the course was completed (1 September" in html
    assert "certificate expiry date" in html
    assert counts(app) == before


def test_completions_template(sign_in: SignIn) -> None:
    lead = sign_in("instructor")
    page = lead.get("/imports/completions").get_data(as_text=True)
    assert "Import training completions" in page
    assert 'href="/imports/completions/template.csv"' in page
    body = lead.get("/imports/completions/template.csv").get_data(as_text=True)
    assert body == "\ufeff" + ",".join(COMPLETION_HEADINGS) + "\r\n"
