"""A staff member's own training: what is required, in-tool modules, the knowledge check."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from cpd_tracker.access import login_required, signed_in
from cpd_tracker.models import Delivery, Module
from cpd_tracker.once import already_sent, remember
from cpd_tracker.registry import clock, get_service
from cpd_tracker.services.catalogue import CatalogueService
from cpd_tracker.services.compliance import ComplianceService
from cpd_tracker.services.learning import LearningService
from cpd_tracker.services.overview import OverviewService
from cpd_tracker.training.forms import KnowledgeCheckForm

bp = Blueprint("training", __name__)


@bp.get("/my-training")
@login_required
def my_training() -> str:
    user = signed_in()
    overview = get_service(OverviewService)
    statuses = get_service(ComplianceService).for_person(user.person, clock().date())
    return render_template(
        "training/my_training.html",
        person=user.person,
        organisation=overview.organisation(user.organisation_id),
        statuses=statuses,
        activity=overview.recent_activity(user.person),
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


@bp.route("/modules/<int:module_id>/check", methods=["GET", "POST"])
@login_required
def knowledge_check(module_id: int) -> str | BaseResponse:
    module = _in_tool_module(module_id)
    if module.delivery is not Delivery.IN_TOOL or not module.questions:
        abort(404)
    form = KnowledgeCheckForm(request.form if request.method == "POST" else None)
    if request.method == "POST" and form.validate():
        # The same answers sent twice are one attempt: the second sees the module page,
        # which lists the attempts.
        if (earlier := already_sent(form)) is not None:
            return earlier
        # Only the question's own options count: anything else sent (a number too big for
        # an id, "²", another question's option) is dropped, as if not ticked.
        answers = {
            q.id: frozenset(
                o.id for o in q.options if str(o.id) in request.form.getlist(f"q{q.id}")
            )
            for q in module.questions
        }
        unanswered = [q for q in module.questions if not answers[q.id]]
        if unanswered:
            return Response(
                render_template(
                    "training/check.html",
                    module=module,
                    form=form,
                    unanswered=unanswered,
                    chosen=answers,
                ),
                status=400,
            )
        attempt, score, completion = get_service(LearningService).submit(
            signed_in().person, module, answers
        )
        remember("training.module", module_id=module.id)
        return render_template(
            "training/check_result.html",
            module=module,
            attempt=attempt,
            score=score,
            completion=completion,
            chosen=answers,
        )
    status = 400 if form.errors else 200
    return Response(
        render_template("training/check.html", module=module, form=form, unanswered=[], chosen={}),
        status=status,
    )
