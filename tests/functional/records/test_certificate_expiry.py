"""A provider certificate's own expiry, recorded through the forms (issue 16): the member of
staff gives it with their evidence, the CPD lead confirms or corrects it when verifying, the
completion carries it (validated, audited), the person's record, CPD record and certificate
show it, and compliance stops counting the training after it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

from sqlalchemy import select

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    Completion,
    DueRule,
    Evidence,
    EvidenceStatus,
    Person,
    Requirement,
)
from cpd_tracker.rules.training import Status, add_months
from cpd_tracker.services.certificates import CertificateService
from cpd_tracker.services.compliance import ComplianceService
from tests.functional.records.helpers import World, audited, count, csrf, days_ago, text, uk
from tests.functional.records.test_evidence import only_evidence, submit


def _positive_handling_cycle(world: World) -> None:
    """The external module becomes an accredited positive-handling course: due by 1 September
    each year, valid 24 months, renewals on the fixed 1 September cycle."""
    with world.app.app_context():
        requirement = db.session.scalar(
            select(Requirement).where(Requirement.module_id == world.external_module)
        )
        assert requirement is not None
        requirement.due_rule = DueRule.FIXED_DATE
        requirement.due_days = None
        requirement.due_month, requirement.due_day = 9, 1
        requirement.validity_months = 24
        # In force for years: the person's cycle is the requirement's own, not one begun today.
        requirement.created_at = dt.datetime(2016, 1, 1, tzinfo=dt.UTC)
        db.session.commit()


def _status_on(world: World, person_id: int, day: dt.date) -> Status:
    with world.app.app_context():
        person = db.session.get(Person, person_id)
        assert person is not None
        (result,) = [
            r
            for _, requirement, r in ComplianceService(db.session).for_person(person, day)
            if requirement.module_id == world.external_module
        ]
        return result.status


def test_a_24_month_certificate_on_a_fixed_1_september_cycle_expires_on_its_own_date(
    world: World,
) -> None:
    """Trained on 10 July, 53 days before the 1 September it counts for: the fixed cycle runs
    to 1 September two years on, but the 24-month certificate expires on 10 July. Through the
    forms, the certificate's date is the last day it counts (the renewal due that day, as for
    every expiry) and the day after it is expired; without the recorded expiry it would still
    count then."""
    _positive_handling_cycle(world)
    staff, lead = world.client("staff_a"), world.client("lead_a")
    person = world.person_id("staff_a")
    today = days_ago(0)
    completed = dt.date(today.year, 7, 10)
    if completed > today - dt.timedelta(days=7):
        completed = completed.replace(year=today.year - 1)
    certificate = add_months(completed, 24)
    sent = submit(
        staff,
        world,
        completed_on=uk(completed),
        certificate_expires_on=uk(certificate),
        course_title="Positive handling (accredited, 12 hours)",
    )
    assert sent.status_code == 303, text(sent)[:2000]
    evidence = only_evidence(world)
    assert evidence.certificate_expires_on == certificate
    review_url = f"/records/schools/{world.school_a}/evidence/{evidence.id}"
    review = text(lead.get(review_url))
    assert f'value="{uk(certificate)}"' in review  # the sent date, for the lead to check
    verified = lead.post(
        f"{review_url}/verify",
        data={"csrf_token": csrf(review), "certificate_expires_on": uk(certificate)},
    )
    assert verified.status_code == 303
    with world.app.app_context():
        completion = db.session.scalars(select(Completion)).one()
        assert completion.certificate_expires_on == certificate
        completion_id = completion.id

    # The fixed cycle alone would run to a 1 September after the certificate's date.
    day_after = certificate + dt.timedelta(days=1)
    assert _status_on(world, person, certificate - dt.timedelta(days=61)) is Status.COMPLIANT
    assert _status_on(world, person, certificate) is Status.EXPIRING_SOON  # renew by today
    assert _status_on(world, person, day_after) is Status.EXPIRED
    with world.app.app_context():
        row = db.session.get(Completion, completion_id)
        assert row is not None
        row.certificate_expires_on = None
        db.session.commit()
    assert _status_on(world, person, day_after) is not Status.EXPIRED
    with world.app.app_context():
        row = db.session.get(Completion, completion_id)
        assert row is not None
        row.certificate_expires_on = certificate
        db.session.commit()

    # Shown on the person's training record, their CPD record (and its CSV) and certificate.
    long = f"{certificate.day} {certificate:%B %Y}"
    record = text(lead.get(f"/staff/schools/{world.school_a}/people/{person}"))
    assert "Certificate expires" in record
    assert long in record
    assert long in text(staff.get("/staff/me/cpd-record"))
    assert certificate.isoformat() in text(staff.get("/staff/me/cpd-record.csv"))
    with world.app.app_context():
        stored = db.session.get(Completion, completion_id)
        assert stored is not None
        facts = CertificateService(db.session).facts(stored, dt.date.today())
        assert facts.certificate_expires_on == certificate
    pdf = staff.get(f"/certificates/{completion_id}.pdf")
    assert pdf.status_code == 200
    assert pdf.get_data().startswith(b"%PDF")

    # And in the person's subject access export, on the completion and on the evidence.
    export = lead.get(f"/staff/schools/{world.school_a}/people/{person}/subject-access.zip")
    with export:
        assert export.status_code == 200
        archive = zipfile.ZipFile(io.BytesIO(export.get_data()))
    for name in ("training/completions.csv", "training/evidence.csv"):
        (row,) = csv.DictReader(io.StringIO(archive.read(name).decode("utf-8-sig")))
        assert row["Certificate expires on"] == certificate.isoformat(), name

    (submitted,) = audited(world.app, "evidence.submitted")
    assert submitted.details["certificate_expires_on"] == certificate.isoformat()
    (recorded,) = audited(world.app, "completion.recorded")
    assert recorded.details["certificate_expires_on"] == certificate.isoformat()


def test_an_expiry_before_the_completion_is_refused_with_a_clear_message(world: World) -> None:
    staff = world.client("staff_a")
    completed = days_ago(30)
    refused = submit(
        staff,
        world,
        completed_on=uk(completed),
        certificate_expires_on=uk(completed - dt.timedelta(days=1)),
    )
    assert refused.status_code == 400
    page = text(refused)
    assert "expiry date must be on or after the day the course was" in page
    assert f"{completed.day} {completed:%B %Y}" in page
    typo = submit(
        staff,
        world,
        completed_on=uk(completed),
        certificate_expires_on=uk(completed.replace(year=completed.year + 20)),
    )
    assert typo.status_code == 400
    assert "within 10 years" in text(typo)
    nonsense = submit(staff, world, certificate_expires_on="next summer")
    assert nonsense.status_code == 400
    assert "Enter the date the certificate expires, for example 31/8/2027." in text(nonsense)
    assert count(world.app, Evidence) == 0
    # Optional: without one the evidence goes as before.
    assert submit(staff, world).status_code == 303
    assert only_evidence(world).certificate_expires_on is None


def test_the_cpd_lead_corrects_or_refuses_the_expiry_when_verifying(world: World) -> None:
    staff, lead = world.client("staff_a"), world.client("lead_a")
    completed = days_ago(10)
    sent_date = add_months(completed, 36)
    assert (
        submit(
            staff, world, completed_on=uk(completed), certificate_expires_on=uk(sent_date)
        ).status_code
        == 303
    )
    evidence = only_evidence(world)
    url = f"/records/schools/{world.school_a}/evidence/{evidence.id}"
    token = csrf(text(lead.get(url)))
    bad = lead.post(
        f"{url}/verify",
        data={
            "csrf_token": token,
            "certificate_expires_on": uk(completed - dt.timedelta(days=3)),
        },
    )
    assert bad.status_code == 400
    assert "must be on or after the day the course was completed" in text(bad)
    assert only_evidence(world).status is EvidenceStatus.PENDING
    assert count(world.app, Completion) == 0
    printed = add_months(completed, 24)
    good = lead.post(
        f"{url}/verify", data={"csrf_token": token, "certificate_expires_on": uk(printed)}
    )
    assert good.status_code == 303
    with world.app.app_context():
        assert db.session.scalars(select(Completion)).one().certificate_expires_on == printed
    (verified,) = audited(world.app, "evidence.verified")
    assert verified.details["certificate_expires_on"] == printed.isoformat()
    assert verified.details["certificate_expires_on_sent"] == sent_date.isoformat()


def test_bulk_verification_keeps_the_expiry_that_was_sent(world: World) -> None:
    staff, lead = world.client("staff_a"), world.client("lead_a")
    completed = days_ago(10)
    expires = add_months(completed, 24)
    submit(staff, world, completed_on=uk(completed), certificate_expires_on=uk(expires))
    evidence = only_evidence(world)
    url = f"/records/schools/{world.school_a}/evidence"
    token = csrf(text(lead.get(url)))
    done = lead.post(
        url, data={"csrf_token": token, "action": "verify", "evidence_id": [str(evidence.id)]}
    )
    assert done.status_code == 303
    with world.app.app_context():
        assert db.session.scalars(select(Completion)).one().certificate_expires_on == expires
