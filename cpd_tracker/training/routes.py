"""A staff member's own training: what is required, in-tool modules, the knowledge check."""

from __future__ import annotations

import secrets

from flask import Blueprint, Response, abort, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from cpd_tracker.access import login_required, signed_in
from cpd_tracker.models import Delivery, Module, Question, QuestionOption
from cpd_tracker.once import already_sent, remember
from cpd_tracker.places.forms import AskForm
from cpd_tracker.registry import get_service, local_today
from cpd_tracker.rules.knowledge_check import Paper, draw, single_answer, to_revisit
from cpd_tracker.services.catalogue import CatalogueService
from cpd_tracker.services.compliance import ComplianceService
from cpd_tracker.services.learning import LearningService
from cpd_tracker.services.overview import OverviewService
from cpd_tracker.services.records import EvidenceService
from cpd_tracker.services.training_requests import TrainingRequestService
from cpd_tracker.training.forms import KnowledgeCheckForm
from cpd_tracker.training.paper import seal, unseal

bp = Blueprint("training", __name__)

#: Papers are drawn from the operating system's randomness: the next one cannot be predicted.
_RANDOM = secrets.SystemRandom()


@bp.get("/my-training")
@login_required
def my_training() -> str:
    user = signed_in()
    overview = get_service(OverviewService)
    today = local_today()
    statuses = get_service(ComplianceService).for_person(user.person, today)
    ways = get_service(TrainingRequestService).how(user.person, statuses, today)
    return render_template(
        "training/my_training.html",
        person=user.person,
        organisation=overview.organisation(user.organisation_id),
        statuses=statuses,
        ways=ways,
        # One form per button: each has its own one-time key (cpd_tracker.once).
        ask_forms={rid: AskForm() for rid, how in ways.items() if how.may_ask},
        activity=overview.recent_activity(user.person),
        evidence=get_service(EvidenceService).latest_by_module(user.person),
    )


def _in_tool_module(module_id: int) -> Module:
    user = signed_in()
    module = get_service(CatalogueService).module(user.organisation_id, module_id)
    if module is None or module.is_retired:
        abort(404)
    return module


@bp.get("/modules/<int:module_id>")
@login_required
def module(module_id: int) -> str:
    module = _in_tool_module(module_id)
    attempts = (
        get_service(LearningService).attempts(signed_in().person, module)
        if module.delivery is Delivery.IN_TOOL
        else []
    )
    return render_template("training/module.html", module=module, attempts=attempts)


@bp.get("/modules/<int:module_id>/pages/<int:position>")
@login_required
def module_page(module_id: int, position: int) -> str:
    module = _in_tool_module(module_id)
    if not 1 <= position <= len(module.pages):
        abort(404)
    return render_template(
        "training/module_page.html",
        module=module,
        page=module.pages[position - 1],
        position=position,
    )


def _shown(module: Module, paper: Paper) -> list[tuple[Question, list[QuestionOption]]]:
    """The paper's questions with their options, in the order this attempt shows them."""
    questions = {q.id: q for q in module.questions}
    shown = []
    for qid, option_ids in paper.questions:
        question = questions.get(qid)
        if question is not None:
            options = {o.id: o for o in question.options}
            shown.append((question, [options[o] for o in option_ids if o in options]))
    return shown


def _check_page(
    module: Module,
    form: KnowledgeCheckForm,
    paper: Paper,
    *,
    unanswered: list[Question] | None = None,
    chosen: dict[int, frozenset[int]] | None = None,
    expired: bool = False,
) -> Response:
    person_id = signed_in().person.id
    failed = bool(unanswered or form.errors or expired)
    return Response(
        render_template(
            "training/check.html",
            module=module,
            form=form,
            shown=_shown(module, paper),
            sealed=seal(paper, person_id=person_id, module_id=module.id),
            single_answer=single_answer,
            unanswered=unanswered or [],
            chosen=chosen or {},
            expired=expired,
        ),
        status=400 if failed else 200,
    )


@bp.route("/modules/<int:module_id>/check", methods=["GET", "POST"])
@login_required
def knowledge_check(module_id: int) -> str | BaseResponse:
    module = _in_tool_module(module_id)
    if module.delivery is not Delivery.IN_TOOL or not module.questions:
        abort(404)
    person = signed_in().person
    if request.method == "GET":
        return _check_page(module, KnowledgeCheckForm(None), draw(module, _RANDOM))
    form = KnowledgeCheckForm(request.form)
    paper = unseal(request.form.get("paper", ""), person_id=person.id, module_id=module.id)
    if not form.validate() or paper is None:
        # A page opened too long ago (or altered) gets a fresh paper: nothing was saved.
        return _check_page(module, form, paper or draw(module, _RANDOM), expired=paper is None)
    # The same answers sent twice are one attempt: the second sees the module page, which
    # lists the attempts.
    if (earlier := already_sent(form)) is not None:
        return earlier
    learning = get_service(LearningService)
    asked = learning.asked(module, paper)
    # Only the question's own options count: anything else sent (a number too big for an id,
    # "²", another question's option) is dropped, as if not ticked.
    answers = {
        q.id: frozenset(o.id for o in q.options if str(o.id) in request.form.getlist(f"q{q.id}"))
        for q in asked
    }
    unanswered = [q for q in asked if not answers[q.id]]
    if unanswered:
        return _check_page(module, form, paper, unanswered=unanswered, chosen=answers)
    attempt, score, completion = learning.submit(person, module, paper, answers)
    remember("training.module", module_id=module.id)
    return render_template(
        "training/check_result.html",
        module=module,
        attempt=attempt,
        score=score,
        completion=completion,
        shown=_shown(module, paper),
        chosen=answers,
        revisit=[] if score.passed else to_revisit(module, asked, score.marks),
    )
