"""The knowledge check: the paper each attempt gets, how it is marked, what to revisit.

Each attempt gets its own paper (issue 17): questions drawn N of M when the module keeps a bank,
and questions and their options in a fresh order, so a retry is not the same test in the same
order. A question counts as right only when exactly its correct options were chosen (no credit
for ticking everything). A fail names the pages to read again, never the right answers.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cpd_tracker.models import Module, ModulePage, Question


@dataclass(frozen=True)
class Paper:
    """The questions of one attempt, in the order shown: (question id, option ids in order)."""

    questions: tuple[tuple[int, tuple[int, ...]], ...]

    @property
    def question_ids(self) -> tuple[int, ...]:
        return tuple(qid for qid, _ in self.questions)


@dataclass(frozen=True)
class Score:
    correct: int
    total: int
    percent: int
    passed: bool
    pass_mark: int
    #: question id -> answered right
    marks: dict[int, bool]


def draw(module: Module, rng: random.Random) -> Paper:
    """A new paper for ``module``: its bank size of its questions (all when it keeps no bank),
    questions and options shuffled."""
    questions = list(module.questions)
    size = module.questions_per_attempt
    if size is not None and 0 < size < len(questions):
        questions = rng.sample(questions, size)
    else:
        rng.shuffle(questions)
    paper = []
    for q in questions:
        options = [o.id for o in q.options]
        rng.shuffle(options)
        paper.append((q.id, tuple(options)))
    return Paper(tuple(paper))


def single_answer(question: Question) -> bool:
    """One right option: asked with radios, not checkboxes."""
    return sum(1 for o in question.options if o.correct) == 1


def score(
    questions: Sequence[Question], answers: Mapping[int, frozenset[int]], pass_mark: int | None
) -> Score:
    """Mark ``answers`` (question id -> chosen option ids) against the ``questions`` asked."""
    marks = {
        q.id: answers.get(q.id, frozenset()) == frozenset(o.id for o in q.options if o.correct)
        for q in questions
    }
    total = len(marks)
    correct = sum(marks.values())
    percent = round(100 * correct / total) if total else 0
    mark = pass_mark or 100
    return Score(correct, total, percent, total > 0 and percent >= mark, mark, marks)


def to_revisit(
    module: Module, questions: Sequence[Question], marks: Mapping[int, bool]
) -> list[ModulePage]:
    """The module's pages behind the questions answered wrongly, in the module's order; every
    page when a wrong question names none (the learner is then told to read it all again)."""
    wrong = [q for q in questions if not marks.get(q.id, False)]
    if any(q.page_position is None for q in wrong):
        return list(module.pages)
    positions = {q.page_position for q in wrong}
    return [page for page in module.pages if page.position in positions]
