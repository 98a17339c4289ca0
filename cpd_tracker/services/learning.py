"""In-tool modules: the knowledge check, marked here (``rules/knowledge_check.py``); a pass
records the completion. Every attempt is kept, with the pass mark it was marked against.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from cpd_tracker.dates import local_date
from cpd_tracker.models import (
    Attempt,
    Completion,
    CompletionMethod,
    Delivery,
    Module,
    Person,
    Question,
)
from cpd_tracker.rules.knowledge_check import Paper, Score, score
from cpd_tracker.services.audit import AuditService


class LearningService:
    def __init__(
        self, session: Session, audit: AuditService, clock: Callable[[], dt.datetime]
    ) -> None:
        self.session = session
        self.audit = audit
        self.clock = clock

    def submit(
        self,
        person: Person,
        module: Module,
        paper: Paper,
        answers: Mapping[int, frozenset[int]],
    ) -> tuple[Attempt, Score, Completion | None]:
        """Mark the questions of ``paper`` (the ones this attempt was asked); anything
        answered outside it counts for nothing."""
        if (
            module.delivery is not Delivery.IN_TOOL
            or module.organisation_id != person.organisation_id
        ):
            raise PermissionError("not an in-tool module of this organisation")
        result = score(self.asked(module, paper), answers, module.pass_mark_percent)
        now = self.clock()
        attempt = Attempt(
            organisation_id=person.organisation_id,
            person_id=person.id,
            module_id=module.id,
            answers={str(q): sorted(answers.get(q, ())) for q in paper.question_ids},
            correct=result.correct,
            total=result.total,
            score_percent=result.percent,
            pass_mark_percent=result.pass_mark,
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
        completion = (
            self._complete(person, module, attempt, local_date(now)) if result.passed else None
        )
        return attempt, result, completion

    @staticmethod
    def asked(module: Module, paper: Paper) -> list[Question]:
        """The paper's questions, in its order (ids not of this module dropped)."""
        by_id = {q.id: q for q in module.questions}
        return [by_id[qid] for qid in paper.question_ids if qid in by_id]

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
