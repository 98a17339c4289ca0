"""One person page (issue 17): everything a CPD lead needs about one member of staff at one
school, gathered for ``/staff/schools/<school_id>/people/<person_id>``.

It used to be two pages (roles and dates under ``/staff``, training, exemptions and extensions
under ``/records``). This service only assembles what the services that own each part already
give: the staff record (roles, dates, employment) from ``StaffService``; where the person
stands on each requirement, their completions, exemptions and extensions from
``PersonRecordService``; how each requirement can be completed from
``TrainingRequestService.how`` (the same rule My training uses); the evidence they sent to this
school from ``EvidenceService``; and whether the viewer may erase them from ``ErasureService``.
It changes nothing: the forms on the page post to the services that own each change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from cpd_tracker.dates import local_date
from cpd_tracker.models import Person, School
from cpd_tracker.rules.how_to_complete import HowToComplete
from cpd_tracker.services.erasure import ErasureService
from cpd_tracker.services.records import (
    EvidenceRow,
    EvidenceService,
    PersonRecord,
    PersonRecordService,
)
from cpd_tracker.services.staff import StaffRecord, StaffService
from cpd_tracker.services.training_requests import TrainingRequestService


@dataclass(frozen=True)
class PersonPage:
    staff: StaffRecord
    record: PersonRecord
    #: How each requirement can be completed, by requirement id.
    ways: dict[int, HowToComplete]
    #: What the person sent to this school's CPD lead, newest first.
    evidence: list[EvidenceRow]
    #: The viewer is the person: exemptions and extensions for oneself are granted by others.
    own: bool
    may_erase: bool

    @property
    def person(self) -> Person:
        return self.staff.person

    @property
    def school(self) -> School:
        return self.staff.school


class PersonPageService:
    def __init__(
        self,
        clock: Callable[[], dt.datetime],
        staff: StaffService,
        records: PersonRecordService,
        requests: TrainingRequestService,
        evidence: EvidenceService,
        erasure: ErasureService,
    ) -> None:
        self.clock = clock
        self.staff = staff
        self.records = records
        self.requests = requests
        self.evidence = evidence
        self.erasure = erasure

    def page(self, school: School, person: Person, viewer: Person) -> PersonPage:
        """``person`` (who holds or held a role at ``school``: ``StaffService.person_at``) as
        ``viewer`` sees them there."""
        record = self.records.record(school, person.id, former=True)
        if record is None:  # person_at said they belong here; a caller's mistake
            raise LookupError(f"person {person.id} is not in school {school.id}'s organisation")
        rows = [(school, line.requirement, line.result) for line in record.statuses]
        return PersonPage(
            staff=self.staff.record(school, person),
            record=record,
            ways=self.requests.how(person, rows, local_date(self.clock())),
            evidence=self.evidence.sent_to(school, person),
            own=person.id == viewer.id,
            may_erase=self.erasure.actor_refusal(person, viewer) is None,
        )
