"""Two evidence forms for the same training at the same instant: each request has its own
session and transaction, both pass the service's "already waiting" read, and the database's
partial unique index lets one through; the other gets the same 409 as a later resend, with no
row, no audit entry and no file left behind.

Runs on SQLite and on PostgreSQL (``TEST_DATABASE_URL``), where requests truly overlap: the
second insert waits on the first's uncommitted row, then is refused when it commits.
"""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    AuditEntry,
    Delivery,
    Evidence,
    EvidenceStatus,
    Module,
    Person,
    School,
    StaffRole,
    StaffRoleKind,
    Tier,
)
from cpd_tracker.services import records
from cpd_tracker.services.audit import Actor, AuditService
from cpd_tracker.services.records import AlreadySent, EvidenceService, ExternalTraining, Upload
from cpd_tracker.storage import EvidenceStore
from tests.support.clock import FakeClock
from tests.support.factories import make_org

PDF = b"%PDF-1.4 test"


def test_two_forms_at_the_same_instant_one_is_saved_the_other_gets_the_409(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    org_id = make_org(app)
    store = EvidenceStore(tmp_path / "evidence")
    clock = FakeClock(dt.datetime(2025, 1, 15, 10, tzinfo=dt.UTC))
    with app.app_context():
        session = db.session
        school = session.scalars(select(School).where(School.organisation_id == org_id)).first()
        assert school is not None
        person = Person(organisation_id=org_id, name="Sam Staff")
        session.add(person)
        session.flush()
        session.add(StaffRole(person_id=person.id, school_id=school.id, role=StaffRoleKind.TEACHER))
        module = Module(
            organisation_id=org_id,
            slug="course",
            title="Speech and language",
            tier=Tier.AWARENESS,
            delivery=Delivery.EXTERNAL,
            cpd_hours=Decimal("6"),
            provider="County",
        )
        session.add(module)
        session.commit()
        ids = (person.id, school.id, module.id)

    # Both requests wait here, after their "already waiting" read and before their insert.
    both_read = threading.Barrier(2, timeout=30)
    check_upload = records.check_upload

    def checked_after_both_read(data: bytes) -> object:
        both_read.wait()
        return check_upload(data)

    monkeypatch.setattr(records, "check_upload", checked_after_both_read)
    outcomes: dict[int, object] = {}

    def request(n: int) -> None:
        with app.app_context():
            own = db.new_session()
            try:
                person_id, school_id, module_id = ids
                person, school = own.get(Person, person_id), own.get(School, school_id)
                assert person is not None
                assert school is not None
                service = EvidenceService(
                    own, AuditService(own, Actor("test", person_id)), clock, store
                )
                training = ExternalTraining(
                    module_id=module_id,
                    course_title=f"Speech and language ({n})",
                    provider="County",
                    completed_on=dt.date(2025, 1, 10),
                    cpd_hours=Decimal("6"),
                )
                service.submit(person, school, training, Upload(PDF, f"c{n}.pdf"))
                own.commit()
                outcomes[n] = "saved"
            except Exception as exc:  # the refusal, or a failure the assertions show
                own.rollback()
                outcomes[n] = exc
            finally:
                own.close()

    threads = [threading.Thread(target=request, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == [1, 2], outcomes
    refused = [o for o in outcomes.values() if o != "saved"]
    assert len(refused) == 1, outcomes  # one saved, one refused
    [error] = refused
    assert isinstance(error, AlreadySent), repr(error)
    assert error.status == 409
    assert "has not been checked yet, so nothing new was saved" in error.message
    with app.app_context():
        session = db.session
        [saved] = session.scalars(select(Evidence)).all()
        assert saved.status is EvidenceStatus.PENDING
        assert saved.course_title in error.message  # the message names the copy that won
        audits = session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "evidence.submitted")
        )
        assert audits == 1
        assert saved.file_key is not None
        assert store.open(org_id, saved.file_key) == PDF
    # The refused copy's file went with it: only the saved one is there.
    assert len([p for p in store.root.rglob("*") if p.is_file()]) == 1
