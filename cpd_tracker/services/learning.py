"""In-tool modules: the knowledge check, scored here; a pass records the completion.

Every attempt is kept. A question counts as right only when exactly the correct options were
chosen (no credit for ticking everything).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from cpd_tracker.models import Attempt, Completion, CompletionMethod, Delivery, Module, Person
from cpd_tracker.services.audit import AuditService


@dataclass(frozen=True)
class Score:
    correct: int
    total: int
    percent: int
    passed: bool
    #: question id -> answered right
    marks: dict[int, bool]


def score(module: Module, answers: Mapping[int, frozenset[int]]) -> Score:
    """Pure: mark ``answers`` (question id -> chosen option ids) against ``module``."""
    marks = {
        q.id: answers.get(q.id, frozenset()) == frozenset(o.id for o in q.options if o.correct)
        for q in module.questions
    }
    total = len(marks)
    correct = sum(marks.values())
    percent = round(100 * correct / total) if total else 0
    passed = total > 0 and percent >= (module.pass_mark_percent or 100)
    return Score(correct, total, percent, passed, marks)


class LearningService:
    def __init__(
        self, session: Session, audit: AuditService, clock: Callable[[], dt.datetime]
    ) -> None:
        self.session = session
        self.audit = audit
        self.clock = clock

    def submit(
        self, person: Person, module: Module, answers: Mapping[int, frozenset[int]]
    ) -> tuple[Attempt, Score, Completion | None]:
        if (
            module.delivery is not Delivery.IN_TOOL
            or module.organisation_id != person.organisation_id
        ):
            raise PermissionError("not an in-tool module of this organisation")
        result = score(module, answers)
        now = self.clock()
        attempt = Attempt(
            organisation_id=person.organisation_id,
            person_id=person.id,
            module_id=module.id,
            answers={str(q): sorted(opts) for q, opts in answers.items()},
            correct=result.correct,
            total=result.total,
            score_percent=result.percent,
            passed=result.passed,
            submitted_at=now,
        )
        self.session.add(attempt)
        self.session.flush()
        self.audit.record(
            "attempt.submitted",
            organisation_id=person.organisation_id,
            entity_type="attempt",
            entity_id=attempt.id,
            person_id=person.id,
            module_id=module.id,
            score_percent=result.percent,
            passed=result.passed,
        )
        completion = self._complete(person, module, attempt, now.date()) if result.passed else None
        return attempt, result, completion

    def attempts(self, person: Person, module: Module) -> list[Attempt]:
        return list(
            self.session.scalars(
                select(Attempt)
                .where(Attempt.person_id == person.id, Attempt.module_id == module.id)
                .order_by(Attempt.id.desc())
            )
        )

    def _complete(
        self, person: Person, module: Module, attempt: Attempt, today: dt.date
    ) -> Completion:
        # One completion per day is enough: passing twice in a day adds no new cycle.
        existing = self.session.scalar(
            select(Completion).where(
                Completion.person_id == person.id,
                Completion.module_id == module.id,
                Completion.completed_on == today,
            )
        )
        if existing is not None:
            return existing
        completion = Completion(
            organisation_id=person.organisation_id,
            person_id=person.id,
            module_id=module.id,
            completed_on=today,
            method=CompletionMethod.IN_TOOL,
            cpd_hours=module.cpd_hours,
            provider=module.provider,
            attempt_id=attempt.id,
        )
        self.session.add(completion)
        self.session.flush()
        self.audit.record(
            "completion.recorded",
            organisation_id=person.organisation_id,
            entity_type="completion",
            entity_id=completion.id,
            person_id=person.id,
            module_id=module.id,
            method="in_tool",
            completed_on=today.isoformat(),
        )
        return completion
