"""Training setup: the catalogue (add, edit, retire modules) and requirements (who needs what,
by when), per ARCHITECTURE.md "Training" and DOMAIN.md "Mandatory training".

Who may do what:

* **Trust leaders** manage their organisation's catalogue (add, edit, retire, restore modules),
  its organisation-wide requirements, and the requirements of any of its schools (school-only
  requirements and overrides).
* **CPD leads** see the catalogue, and manage requirements at the schools they lead only:
  requirements for their school alone, and overrides of organisation requirements there. They
  cannot change organisation-wide requirements or another school's.
* **Staff members** have no access (403).

Why CPD leads do not edit the catalogue: a module belongs to the whole organisation (it has no
owning school), so editing or retiring one changes every school's requirements at once:
retiring a module stops each requirement for it applying, in every school. A school that runs
its own training asks a trust leader to add it; a standalone school is its own organisation,
so its leaders are trust leaders and edit the catalogue themselves.

Every handler loads (scoped to the signed-in organisation: another organisation's ids are a
404), checks access (403), then acts through one service; every change is audited there. Bad
input is a 400 with a GOV.UK error summary and nothing written (the request edge rolls back
any 4xx).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, Response, abort, flash, redirect, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from cpd_tracker.access import launch_course, own_school, signed_in, trust_leader_required
from cpd_tracker.auth import CurrentUser
from cpd_tracker.manage.forms import (
    DELIVERY_LABELS,
    ORGANISATION_SCOPE,
    TIER_LABELS,
    ConfirmForm,
    ModuleForm,
    RequirementForm,
    add_error,
    pounds,
    slug_for,
)
from cpd_tracker.models import Module, Requirement, School
from cpd_tracker.once import already_sent, sent
from cpd_tracker.registry import get_service
from cpd_tracker.services.catalogue import CatalogueService
from cpd_tracker.services.compliance import audience_label
from cpd_tracker.services.requirements import (
    RequirementConflict,
    RequirementDetails,
    RequirementService,
    describe_due_rule,
    describe_recertification,
    describe_validity,
    describe_window,
)
from cpd_tracker.templating import tool_url

bp = Blueprint("manage", __name__, url_prefix="/manage")

bp.add_app_template_filter(pounds, "pounds")
bp.add_app_template_filter(describe_due_rule, "due_rule_words")
bp.add_app_template_filter(describe_validity, "validity_words")
bp.add_app_template_filter(describe_window, "window_words")
bp.add_app_template_filter(describe_recertification, "recertify_words")
bp.add_app_template_filter(lambda v: TIER_LABELS.get(str(v), str(v)), "tier_label")
bp.add_app_template_filter(lambda v: DELIVERY_LABELS.get(str(v), str(v)), "delivery_label")

F = TypeVar("F", bound=Callable[..., Any])


# --- Access -------------------------------------------------------------------------------


def manager_required(view: F) -> F:
    """Trust leaders and CPD leads; staff members get a 403."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        user = signed_in()
        if not (user.is_trust_leader or user.cpd_lead_school_ids()):
            abort(403)
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def may_manage(user: CurrentUser, requirement: Requirement) -> bool:
    """Organisation-wide requirements: trust leaders; a school's: whoever leads that school."""
    if requirement.school_id is None:
        return user.is_trust_leader
    return user.may_lead_school(requirement.school_id)


def _schools_managed(user: CurrentUser) -> list[School]:
    schools = get_service(RequirementService).schools(user.organisation_id)
    return [s for s in schools if user.may_lead_school(s.id)]


def _module(module_id: int) -> Module:
    module = get_service(CatalogueService).module(signed_in().organisation_id, module_id)
    if module is None:
        abort(404)
    return module


def _requirement(requirement_id: int) -> Requirement:
    """An active requirement of this organisation the signed-in person may manage."""
    user = signed_in()
    requirement = get_service(RequirementService).requirement(user.organisation_id, requirement_id)
    if requirement is None or requirement.retired_at is not None:
        # Retired requirements are history: there is nothing left to change.
        abort(404)
    if not may_manage(user, requirement):
        abort(403)
    return requirement


# --- Helpers ------------------------------------------------------------------------------


def _formdata() -> Any:
    return request.form if request.method == "POST" else None


def _page(template: str, form: Any, **context: Any) -> Response:
    """A form page: 400 when the submission had errors, so nothing is committed."""
    return Response(
        render_template(template, form=form, **context), status=400 if form.errors else 200
    )


def _show_retired() -> bool:
    return request.args.get("retired") == "1"


def _after_change(requirement: Requirement) -> BaseResponse:
    """The list the requirement is on (recorded as what a create form made, see ``once``)."""
    if requirement.school_id is None:
        return sent("manage.requirements", code=302)
    return sent("manage.school_requirements", code=302, school_id=requirement.school_id)


def _conflict(form: RequirementForm, error: RequirementConflict, school_id: int | None) -> None:
    other = error.existing[0]
    rule = describe_due_rule(other)
    if other.school_id is None and school_id is not None:
        message = (
            f"The organisation already requires this training of some of these staff "
            f"({audience_label(other)}): override that requirement at this school instead, "
            f"or choose other roles"
        )
    else:
        message = (
            f"This training is already required of some of these staff "
            f"({audience_label(other)}: {rule[0].lower()}{rule[1:]}): "
            f"choose other roles, or change that requirement"
        )
    add_error(form.roles, message)


# --- Catalogue ----------------------------------------------------------------------------


@bp.get("/catalogue")
@manager_required
def catalogue() -> str:
    user = signed_in()
    modules = get_service(CatalogueService).modules(
        user.organisation_id, include_retired=_show_retired()
    )
    return render_template(
        "manage/catalogue.html",
        modules=modules,
        show_retired=_show_retired(),
        may_edit=user.is_trust_leader,
    )


@bp.route("/catalogue/new", methods=["GET", "POST"])
@trust_leader_required
def new_module() -> BaseResponse:
    user = signed_in()
    form = ModuleForm(_formdata())
    if request.method == "POST" and form.validate():
        if (earlier := already_sent(form)) is not None:
            return earlier
        catalogue = get_service(CatalogueService)
        taken = (m.slug for m in catalogue.modules(user.organisation_id, include_retired=True))
        details = form.details()
        module = catalogue.add(user.organisation_id, slug_for(details.title, taken), details)
        flash(f"{module.title} is in the catalogue.", "success")
        return sent("manage.catalogue", code=302)
    return _page("manage/module_form.html", form, module=None)


@bp.route("/catalogue/<int:module_id>/edit", methods=["GET", "POST"])
@trust_leader_required
def edit_module(module_id: int) -> BaseResponse:
    module = _module(module_id)
    replacements = get_service(CatalogueService).replacements(module)
    form = ModuleForm.for_module(module, _formdata(), replacements)
    if request.method == "POST" and form.validate():
        get_service(CatalogueService).edit(module, form.details())
        flash(f"{module.title} is saved.", "success")
        return redirect(tool_url("manage.catalogue", retired="1" if module.is_retired else None))
    return _page("manage/module_form.html", form, module=module)


def _module_state(module_id: int, *, retire: bool) -> BaseResponse:
    module = _module(module_id)
    catalogue = get_service(CatalogueService)
    form = ConfirmForm(_formdata())
    if request.method == "POST" and form.validate():
        if retire:
            catalogue.retire(module)
            flash(f"{module.title} is retired. Its history is kept.", "success")
        else:
            catalogue.restore(module)
            flash(f"{module.title} is back in the catalogue.", "success")
        return redirect(tool_url("manage.catalogue", retired="1" if retire else None))
    if request.method == "GET" and module.is_retired == retire:
        # Already done (another tab, a second click): nothing to confirm.
        return redirect(tool_url("manage.catalogue", retired="1"))
    return _page(
        "manage/module_confirm.html",
        form,
        module=module,
        retire=retire,
        requirements=get_service(RequirementService).active_for_module(module),
    )


@bp.route("/catalogue/<int:module_id>/retire", methods=["GET", "POST"])
@trust_leader_required
def retire_module(module_id: int) -> BaseResponse:
    return _module_state(module_id, retire=True)


@bp.route("/catalogue/<int:module_id>/restore", methods=["GET", "POST"])
@trust_leader_required
def restore_module(module_id: int) -> BaseResponse:
    return _module_state(module_id, retire=False)


# --- Requirements -------------------------------------------------------------------------


@bp.get("/requirements")
@manager_required
def requirements() -> BaseResponse | str:
    """Trust leaders: the organisation's requirements and its schools. CPD leads: their
    school's view (the course's school, else the first school they lead)."""
    user = signed_in()
    if not user.is_trust_leader:
        course = launch_course()
        led = sorted(s.id for s in _schools_managed(user))
        if not led:
            abort(403)
        school_id = course.school_id if course and course.school_id in led else led[0]
        return redirect(tool_url("manage.school_requirements", school_id=school_id))
    service = get_service(RequirementService)
    return render_template(
        "manage/requirements.html",
        requirements=service.organisation_requirements(
            user.organisation_id, include_retired=_show_retired()
        ),
        schools=service.schools(user.organisation_id),
        counts=service.school_counts(user.organisation_id),
        show_retired=_show_retired(),
    )


@bp.get("/requirements/schools/<int:school_id>")
@manager_required
def school_requirements(school_id: int) -> str:
    user = signed_in()
    school = own_school(school_id)
    view = get_service(RequirementService).school_view(school, include_retired=_show_retired())
    return render_template(
        "manage/school_requirements.html",
        view=view,
        school=school,
        other_schools=[s for s in _schools_managed(user) if s.id != school.id],
        show_retired=_show_retired(),
        may_manage_org=user.is_trust_leader,
    )


@bp.route("/requirements/new", methods=["GET", "POST"])
@manager_required
def new_requirement() -> BaseResponse:
    user = signed_in()
    schools = {str(s.id): s for s in _schools_managed(user)}
    scopes = [(sid, s.name) for sid, s in schools.items()]
    if user.is_trust_leader:
        scopes.insert(0, (ORGANISATION_SCOPE, "Every school in the organisation"))
    catalogue = get_service(CatalogueService).modules(user.organisation_id)
    modules = {m.id: m for m in sorted(catalogue, key=lambda m: m.title.lower())}
    form = RequirementForm(_formdata(), modules=modules.values(), scopes=scopes)
    if request.method == "GET":
        asked = request.args.get("school", "")
        form.scope.data = asked if asked in dict(scopes) else None
        if len(scopes) == 1:
            form.scope.data = scopes[0][0]
    elif form.validate():
        if (earlier := already_sent(form)) is not None:
            return earlier
        school = schools.get(form.scope.data)
        try:
            requirement = get_service(RequirementService).create(
                modules[form.module_choice], school, form.details()
            )
        except RequirementConflict as error:
            _conflict(form, error, school.id if school else None)
        else:
            flash(f"{requirement.module.title} is now required.", "success")
            return _after_change(requirement)
    return _page("manage/requirement_form.html", form, mode="new", requirement=None, school=None)


@bp.route("/requirements/<int:requirement_id>/edit", methods=["GET", "POST"])
@manager_required
def edit_requirement(requirement_id: int) -> BaseResponse:
    requirement = _requirement(requirement_id)
    form = RequirementForm(_formdata(), fixed=True)
    if request.method == "GET":
        form.fill(RequirementDetails.of(requirement))
    elif form.validate():
        try:
            get_service(RequirementService).update(requirement, form.details())
        except RequirementConflict as error:
            _conflict(form, error, requirement.school_id)
        else:
            flash(f"The requirement for {requirement.module.title} is saved.", "success")
            return _after_change(requirement)
    return _page(
        "manage/requirement_form.html",
        form,
        mode="edit",
        requirement=requirement,
        school=requirement.school,
    )


@bp.route("/requirements/<int:requirement_id>/override/<int:school_id>", methods=["GET", "POST"])
@manager_required
def override_requirement(requirement_id: int, school_id: int) -> BaseResponse:
    user = signed_in()
    original = get_service(RequirementService).requirement(user.organisation_id, requirement_id)
    if (
        original is None
        or original.school_id is not None
        or original.retired_at is not None
        or original.module.is_retired
    ):
        abort(404)
    school = own_school(school_id)
    form = RequirementForm(_formdata(), fixed=True)
    if request.method == "GET":
        form.fill(RequirementDetails.of(original))
    elif form.validate():
        if (earlier := already_sent(form)) is not None:
            return earlier
        try:
            override = get_service(RequirementService).override(original, school, form.details())
        except RequirementConflict as error:
            _conflict(form, error, school.id)
        else:
            flash(f"{original.module.title} now has its own rule at {school.name}.", "success")
            return _after_change(override)
    return _page(
        "manage/requirement_form.html", form, mode="override", requirement=original, school=school
    )


@bp.route("/requirements/<int:requirement_id>/retire", methods=["GET", "POST"])
@manager_required
def retire_requirement(requirement_id: int) -> BaseResponse:
    requirement = _requirement(requirement_id)
    service = get_service(RequirementService)
    form = ConfirmForm(_formdata())
    if request.method == "POST" and form.validate():
        service.retire(requirement)
        flash(f"The requirement for {requirement.module.title} is retired.", "success")
        return _after_change(requirement)
    return _page(
        "manage/requirement_retire.html",
        form,
        requirement=requirement,
        overrides=service.overrides_of(requirement) if requirement.school_id is None else [],
    )
