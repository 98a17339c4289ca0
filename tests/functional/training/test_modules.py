"""In-tool modules: content pages, the knowledge check, and the completion a pass records."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape as markup_escape
from sqlalchemy import func, select

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    Attempt,
    AuditEntry,
    Completion,
    CompletionMethod,
    DueRule,
    Module,
    ModulePage,
    Requirement,
)
from tests.support.factories import make_org

SLUG = "send-code-of-practice-essentials"


def _module(app: Flask, org_id: int, slug: str = SLUG) -> Module:
    with app.app_context():
        module = db.session.scalar(
            select(Module).where(Module.organisation_id == org_id, Module.slug == slug)
        )
        assert module is not None
        _ = [q.options for q in module.questions], module.pages
        db.session.expunge(module)
        return module


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match
    return match.group(1)


def _form(html: str) -> dict[str, str]:
    """The knowledge check's hidden fields: its CSRF token and its sealed paper."""
    paper = re.search(r'name="paper" value="([^"]+)"', html)
    assert paper, "no sealed paper"
    return {"csrf_token": _csrf(html), "paper": paper.group(1)}


def _shown(html: str) -> list[int]:
    """The question ids the page asks, in the order it asks them."""
    return list(dict.fromkeys(int(q) for q in re.findall(r'name="q(\d+)"', html)))


def _answers(module: Module, *, right: int) -> dict[str, list[str]]:
    """Right answers to the first ``right`` questions, wrong ones to the rest."""
    answers: dict[str, list[str]] = {}
    for i, q in enumerate(module.questions):
        correct = [str(o.id) for o in q.options if o.correct]
        wrong = [str(o.id) for o in q.options if not o.correct][:1]
        answers[f"q{q.id}"] = correct if i < right else wrong
    return answers


def test_every_page_of_the_module_reads_in_order(
    app: Flask, teacher: FlaskClient, org_id: int
) -> None:
    module = _module(app, org_id)
    overview = teacher.get(f"/modules/{module.id}")
    assert overview.status_code == 200
    assert module.title in overview.get_data(as_text=True)
    for page in module.pages:
        response = teacher.get(f"/modules/{module.id}/pages/{page.position}")
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert str(markup_escape(page.title)) in html
        assert f"page {page.position} of {len(module.pages)}" in html
    last = teacher.get(f"/modules/{module.id}/pages/{len(module.pages)}").get_data(as_text=True)
    assert f"/modules/{module.id}/check" in last
    assert teacher.get(f"/modules/{module.id}/pages/{len(module.pages) + 1}").status_code == 404


def test_passing_records_one_completion_and_shows_on_my_training(
    app: Flask, teacher: FlaskClient, org_id: int
) -> None:
    module = _module(app, org_id)
    with app.app_context():
        db.session.add(
            Requirement(
                organisation_id=org_id,
                module_id=module.id,
                roles=[],
                due_rule=DueRule.DAYS_AFTER_START,
                due_days=30,
                validity_months=12,
            )
        )
        db.session.commit()
    before = teacher.get("/my-training").get_data(as_text=True)
    assert module.title in before
    assert "Compliant" not in before

    page = teacher.get(f"/modules/{module.id}/check").get_data(as_text=True)
    result = teacher.post(
        f"/modules/{module.id}/check",
        data={**_form(page), **_answers(module, right=len(module.questions))},
    )
    html = result.get_data(as_text=True)
    assert result.status_code == 200
    assert "You passed" in html
    with app.app_context():
        completion = db.session.scalars(select(Completion)).one()
        assert completion.method is CompletionMethod.IN_TOOL
        assert completion.module_id == module.id
        assert completion.attempt_id is not None
        assert (
            db.session.scalar(
                select(func.count(AuditEntry.id)).where(AuditEntry.action == "completion.recorded")
            )
            == 1
        )
    after = teacher.get("/my-training").get_data(as_text=True)
    assert "Compliant" in after


def test_failing_keeps_the_attempt_and_records_nothing(
    app: Flask, teacher: FlaskClient, org_id: int
) -> None:
    module = _module(app, org_id)
    page = teacher.get(f"/modules/{module.id}/check").get_data(as_text=True)
    result = teacher.post(
        f"/modules/{module.id}/check",
        data={**_form(page), **_answers(module, right=2)},
    )
    html = result.get_data(as_text=True)
    assert "Not passed this time" in html
    assert f"2 of {len(module.questions)} right" in html
    # No right answer is given away: no option is marked, no explanation shown ...
    assert "a right answer" not in html
    for q in module.questions:
        assert str(markup_escape(q.explanation)) not in html
    # ... but the pages behind the wrong answers are named, and only those.
    wrong_pages = {q.page_position for q in module.questions[2:]}
    assert wrong_pages
    assert None not in wrong_pages
    for page_ in module.pages:
        link = f"/modules/{module.id}/pages/{page_.position}"
        assert (link in html) is (page_.position in wrong_pages), page_.title
    with app.app_context():
        attempt = db.session.scalars(select(Attempt)).one()
        assert attempt.passed is False
        assert attempt.correct == 2
        assert db.session.scalar(select(func.count(Completion.id))) == 0


def test_unanswered_questions_are_named_and_nothing_is_kept(
    app: Flask, teacher: FlaskClient, org_id: int
) -> None:
    module = _module(app, org_id)
    page = teacher.get(f"/modules/{module.id}/check").get_data(as_text=True)
    answers = _answers(module, right=len(module.questions))
    missing = module.questions[2].id
    answers.pop(f"q{missing}")
    result = teacher.post(f"/modules/{module.id}/check", data={**_form(page), **answers})
    assert result.status_code == 400
    html = result.get_data(as_text=True)
    # Named by the number it had on this page, which asks its questions in its own order.
    assert f"Answer question {_shown(page).index(missing) + 1}<" in html

    # The same paper comes back, with the answers already given still chosen.
    def options(text: str) -> list[str]:
        return re.findall(r'name="q\d+" type="\w+" value="(\d+)"', text)

    assert _shown(html) == _shown(page)
    assert options(html) == options(page)
    assert len(re.findall(r"value=\"\d+\" checked", html)) == sum(len(v) for v in answers.values())
    with app.app_context():
        assert db.session.scalar(select(func.count(Attempt.id))) == 0


def test_ticking_every_option_does_not_pass(app: Flask, teacher: FlaskClient, org_id: int) -> None:
    module = _module(app, org_id)
    page = teacher.get(f"/modules/{module.id}/check").get_data(as_text=True)
    everything = {f"q{q.id}": [str(o.id) for o in q.options] for q in module.questions}
    result = teacher.post(f"/modules/{module.id}/check", data={**_form(page), **everything})
    assert "Not passed this time" in result.get_data(as_text=True)


def test_knowledge_check_needs_csrf(app: Flask, teacher: FlaskClient, org_id: int) -> None:
    module = _module(app, org_id)
    result = teacher.post(
        f"/modules/{module.id}/check", data=_answers(module, right=len(module.questions))
    )
    assert result.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count(Attempt.id))) == 0


def test_other_organisations_and_retired_modules_are_not_found(
    app: Flask, teacher: FlaskClient, org_id: int
) -> None:
    other = _module(app, make_org(app, "Other Trust", schools=[("200001", "Elm")]))
    assert teacher.get(f"/modules/{other.id}").status_code == 404
    assert teacher.get(f"/modules/{other.id}/check").status_code == 404
    assert teacher.get(f"/modules/{other.id}/pages/1").status_code == 404
    own = _module(app, org_id)
    with app.app_context():
        row = db.session.get(Module, own.id)
        assert row is not None
        row.retired_at = row.created_at
        db.session.commit()
    assert teacher.get(f"/modules/{own.id}").status_code == 404


def test_module_content_cannot_inject_script(app: Flask, teacher: FlaskClient, org_id: int) -> None:
    module = _module(app, org_id)
    with app.app_context():
        page = db.session.scalar(
            select(ModulePage).where(ModulePage.module_id == module.id, ModulePage.position == 1)
        )
        assert page is not None
        page.body_markdown = (
            "Hello <script>alert('x')</script>\n\n[click](javascript:alert(1))\n\n"
            '<img src=x onerror="alert(2)">'
        )
        db.session.commit()
    html = teacher.get(f"/modules/{module.id}/pages/1").get_data(as_text=True)
    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html
    assert 'href="javascript:' not in html
    assert "<img src=x" not in html


def test_each_attempt_asks_in_its_own_order(app: Flask, teacher: FlaskClient, org_id: int) -> None:
    module = _module(app, org_id)
    orders = {
        tuple(_shown(teacher.get(f"/modules/{module.id}/check").get_data(as_text=True)))
        for _ in range(6)
    }
    # Six draws of eight questions all in one order: one chance in 40,320^5.
    assert len(orders) > 1
    assert all(sorted(order) == sorted(q.id for q in module.questions) for order in orders)


def test_single_answer_questions_are_radios(app: Flask, teacher: FlaskClient, org_id: int) -> None:
    module = _module(app, org_id)
    html = teacher.get(f"/modules/{module.id}/check").get_data(as_text=True)
    several = 0
    for q in module.questions:
        kinds = set(re.findall(rf'name="q{q.id}" type="(\w+)"', html))
        right = sum(o.correct for o in q.options)
        assert kinds == ({"radio"} if right == 1 else {"checkbox"}), q.prompt
        several += right > 1
    assert 0 < several < len(module.questions)
    assert html.count("Select all that apply.") == several


def _bank(app: Flask, module_id: int, size: int) -> None:
    with app.app_context():
        row = db.session.get(Module, module_id)
        assert row is not None
        row.questions_per_attempt = size
        db.session.commit()


def test_a_bank_draws_n_of_m_and_marks_only_those(
    app: Flask, teacher: FlaskClient, org_id: int
) -> None:
    module = _module(app, org_id)
    _bank(app, module.id, 3)
    page = teacher.get(f"/modules/{module.id}/check").get_data(as_text=True)
    assert len(_shown(page)) == 3
    assert f"3 questions, drawn from {len(module.questions)}" in page
    # Answers sent for questions not on the paper count for nothing.
    everything = _answers(module, right=len(module.questions))
    result = teacher.post(f"/modules/{module.id}/check", data={**_form(page), **everything})
    assert "3 of 3 right" in result.get_data(as_text=True)
    with app.app_context():
        attempt = db.session.scalars(select(Attempt)).one()
        assert sorted(map(int, attempt.answers)) == sorted(_shown(page))
        assert (attempt.total, attempt.pass_mark_percent) == (3, module.pass_mark_percent)


def test_a_bank_cannot_be_answered_on_an_easier_paper(
    app: Flask, teacher: FlaskClient, org_id: int
) -> None:
    module = _module(app, org_id)
    page = teacher.get(f"/modules/{module.id}/check").get_data(as_text=True)
    sent = _form(page)
    # A paper altered (one question asked instead of eight) or another module's is refused.
    tampered = sent["paper"][:-3] + ("AAA" if not sent["paper"].endswith("AAA") else "BBB")
    for paper in (tampered, "", "x" * 9000):
        result = teacher.post(
            f"/modules/{module.id}/check",
            data={**sent, "paper": paper, **_answers(module, right=len(module.questions))},
        )
        assert result.status_code == 400
        assert "your answers were not saved" in result.get_data(as_text=True)
    other = _module(app, org_id, "trauma-informed-practice-basics")
    result = teacher.post(
        f"/modules/{other.id}/check",
        data={**sent, **_answers(other, right=len(other.questions))},
    )
    assert result.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count(Attempt.id))) == 0
