"""The knowledge check's paper and marking (issue 17: a fair check)."""

from __future__ import annotations

import random

from cpd_tracker.models import Module, ModulePage, Question, QuestionOption
from cpd_tracker.rules.knowledge_check import Paper, draw, score, single_answer, to_revisit


def _module(questions: int = 6, *, bank: int | None = None, pages: int = 3) -> Module:
    module = Module(pass_mark_percent=80, questions_per_attempt=bank)
    module.pages = [ModulePage(position=p, title=f"Page {p}") for p in range(1, pages + 1)]
    module.questions = []
    for n in range(1, questions + 1):
        q = Question(id=n, position=n, prompt=f"Q{n}", page_position=(n - 1) % pages + 1)
        # Odd questions have one right option, even ones two.
        q.options = [
            QuestionOption(
                id=n * 10 + k,
                position=k,
                text=f"{n}.{k}",
                correct=k == 1 or (n % 2 == 0 and k == 2),
            )
            for k in range(1, 5)
        ]
        module.questions.append(q)
    return module


def test_a_paper_asks_every_question_once_with_all_its_options() -> None:
    module = _module()
    paper = draw(module, random.Random(1))
    assert sorted(paper.question_ids) == [1, 2, 3, 4, 5, 6]
    for qid, options in paper.questions:
        assert sorted(options) == [qid * 10 + k for k in range(1, 5)]


def test_papers_differ_in_question_and_option_order() -> None:
    module = _module()
    rng = random.Random(7)
    papers = [draw(module, rng) for _ in range(5)]
    assert len({p.question_ids for p in papers}) > 1
    assert len({dict(p.questions)[2] for p in papers}) > 1


def test_a_bank_draws_its_size_and_varies_which() -> None:
    module = _module(bank=2)
    rng = random.Random(3)
    papers = [draw(module, rng) for _ in range(10)]
    assert {len(p.questions) for p in papers} == {2}
    assert len({frozenset(p.question_ids) for p in papers}) > 1


def test_a_bank_as_big_as_the_questions_asks_them_all() -> None:
    assert len(draw(_module(bank=6), random.Random(0)).questions) == 6
    assert len(draw(_module(bank=9), random.Random(0)).questions) == 6


def test_one_right_option_is_a_radio_question() -> None:
    module = _module()
    assert [single_answer(q) for q in module.questions] == [True, False] * 3


def _right(q: Question) -> frozenset[int]:
    return frozenset(o.id for o in q.options if o.correct)


def test_only_exactly_the_right_options_count() -> None:
    module = _module(questions=2)
    q1, q2 = module.questions
    everything = frozenset(o.id for o in q2.options)
    result = score(module.questions, {q1.id: _right(q1), q2.id: everything}, 50)
    assert (result.correct, result.total, result.percent, result.passed) == (1, 2, 50, True)
    assert result.marks == {1: True, 2: False}
    assert score(module.questions, {q1.id: _right(q1)}, 80).passed is False


def test_no_pass_mark_means_every_answer_right() -> None:
    module = _module(questions=2)
    q1 = module.questions[0]
    half = score(module.questions, {q1.id: _right(q1)}, None)
    assert (half.pass_mark, half.passed) == (100, False)
    assert score(module.questions, {q.id: _right(q) for q in module.questions}, None).passed


def test_nothing_asked_never_passes() -> None:
    assert score([], {}, 0).passed is False


def test_pages_to_revisit_are_those_behind_wrong_answers() -> None:
    module = _module()
    marks = {1: True, 2: False, 3: True, 4: True, 5: False, 6: True}
    assert [p.position for p in to_revisit(module, module.questions, marks)] == [2]
    marks[1] = False
    assert [p.position for p in to_revisit(module, module.questions, marks)] == [1, 2]


def test_a_wrong_question_naming_no_page_sends_the_learner_to_every_page() -> None:
    module = _module()
    module.questions[0].page_position = None
    marks = {q.id: q.id != 1 for q in module.questions}
    assert len(to_revisit(module, module.questions, marks)) == 3


def test_a_paper_is_plain_data() -> None:
    paper = Paper(((2, (21, 20)), (1, (10,))))
    assert paper.question_ids == (2, 1)
