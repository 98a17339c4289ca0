"""Providers, memberships (with their discount rules and included training) and the spend
settings (reporting year, pupil numbers): trust leaders and finance change them; CPD leads see
the providers (and add one) and their own school's memberships."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from cpd_tracker.forms import BaseForm
from cpd_tracker.manage.forms import add_error
from cpd_tracker.once import already_sent, sent
from cpd_tracker.params import int_arg
from cpd_tracker.registry import get_service, local_today
from cpd_tracker.rules.money import (
    RuleScope,
    ShareBasis,
    YearKind,
    academic_year_label,
    census_year,
    parse_percent,
    year_of,
)
from cpd_tracker.rules.numbers import whole_number
from cpd_tracker.services.spend import (
    MembershipDetails,
    RuleDetails,
    SpendError,
    SpendReportService,
    SpendService,
)
from cpd_tracker.services.spend.records import MAX_CENSUS_YEAR, MIN_CENSUS_YEAR
from cpd_tracker.services.spend.report import census_table
from cpd_tracker.spend.access import (
    own_membership,
    scope_of,
    spend_access_required,
    spend_user,
    trust_money_required,
)
from cpd_tracker.spend.forms import (
    IncludedForm,
    MembershipForm,
    ProviderForm,
    RuleForm,
    SettingsForm,
)
from cpd_tracker.spend.routes import FORMATS, _download, _formdata, _page, bp
from cpd_tracker.templating import tool_url

# --- Providers --------------------------------------------------------------------------------


@bp.route("/providers", methods=["GET", "POST"])
@spend_access_required
def providers() -> BaseResponse:
    user = spend_user()
    records = get_service(SpendService)
    form = ProviderForm(_formdata())
    if request.method == "POST" and form.validate():
        if (earlier := already_sent(form)) is not None:
            return earlier
        try:
            provider = records.save_provider(
                user.organisation_id,
                form.name.data or "",
                form.kind.data or "other",
                form.notes.data or "",
                None,
            )
        except SpendError as exc:
            add_error(form.name, str(exc))
        else:
            flash(f"{provider.name} is on the list of providers.", "success")
            return sent("spend.providers", code=302)
    return _page(
        "spend/providers.html",
        400 if form.errors else 200,
        form=form,
        providers=records.providers(user.organisation_id),
        may_edit=user.may_see_trust_money,
    )


@bp.route("/providers/<int:provider_id>/edit", methods=["GET", "POST"])
@trust_money_required
def edit_provider(provider_id: int) -> BaseResponse:
    user = spend_user()
    records = get_service(SpendService)
    provider = records.provider(user.organisation_id, provider_id)
    if provider is None:
        abort(404)
    form = ProviderForm(_formdata(), obj=None if request.method == "POST" else provider)
    if request.method == "POST" and form.validate():
        try:
            records.save_provider(
                user.organisation_id,
                form.name.data or "",
                form.kind.data or "other",
                form.notes.data or "",
                provider,
            )
        except SpendError as exc:
            add_error(form.name, str(exc))
        else:
            flash(f"{provider.name} saved.", "success")
            return redirect(tool_url("spend.providers"))
    return _page(
        "spend/provider_form.html", 400 if form.errors else 200, form=form, provider=provider
    )


# --- Memberships ------------------------------------------------------------------------------


@bp.get("/memberships")
@spend_access_required
def memberships() -> str:
    user = spend_user()
    scope = scope_of(user)
    rows = get_service(SpendService).memberships(user.organisation_id, scope.school_ids)
    report = get_service(SpendReportService)
    return render_template(
        "spend/memberships.html",
        memberships=[(m, report.value_of(m)) for m in rows],
        may_edit=user.may_see_trust_money,
    )


def _membership_form(membership: Any) -> MembershipForm:
    user = spend_user()
    records = get_service(SpendService)
    form = MembershipForm(_formdata())
    form.provider_id.choices = [("", "Choose the association")] + [
        (str(p.id), p.name) for p in records.providers(user.organisation_id)
    ]
    form.school_id.choices = [("", "The whole trust")] + [
        (str(s.id), s.name) for s in records.schools(user.organisation_id)
    ]
    if request.method == "GET" and membership is not None:
        form.name.data = membership.name
        form.provider_id.data = membership.provider_id
        form.school_id.data = membership.school_id
        form.fee.data = membership.fee_pence
        form.starts_on.data = membership.starts_on
        form.ends_on.data = membership.ends_on
        form.share_basis.data = membership.share_basis.value
        form.finance_code.data = membership.finance_code
        form.nominal_code.data = membership.nominal_code
    return form


def _with_choices(rule_form: RuleForm, included_form: IncludedForm) -> None:
    """The organisation's providers and modules as the two sub-forms' choices."""
    user = spend_user()
    records = get_service(SpendService)
    providers = [("", "Choose a provider")] + [
        (str(p.id), p.name) for p in records.providers(user.organisation_id)
    ]
    modules = [("", "Choose a module")] + [
        (str(m.id), m.title) for m in records.modules(user.organisation_id)
    ]
    rule_form.provider_id.choices = providers
    rule_form.module_id.choices = modules
    included_form.module_id.choices = modules


def _membership_page(membership: Any, form: MembershipForm, status: int, **extra: Any) -> Response:
    rule_form = extra.pop("rule_form", None) or RuleForm()
    included_form = extra.pop("included_form", None) or IncludedForm()
    _with_choices(rule_form, included_form)
    value = None if membership is None else get_service(SpendReportService).value_of(membership)
    return _page(
        "spend/membership_form.html",
        status,
        form=form,
        membership=membership,
        rule_form=rule_form,
        included_form=included_form,
        remove_form=BaseForm(),
        value=value,
    )


def _membership_details(form: MembershipForm) -> MembershipDetails:
    return MembershipDetails(
        name=form.name.data or "",
        provider_id=int(form.provider_id.data),
        school_id=form.school_id.data,
        fee_pence=int(form.fee.data),
        starts_on=form.starts_on.data,
        ends_on=form.ends_on.data,
        share_basis=ShareBasis(form.share_basis.data),
        finance_code=form.finance_code.data or "E09",
        nominal_code=form.nominal_code.data or "",
    )


@bp.route("/memberships/new", methods=["GET", "POST"])
@trust_money_required
def new_membership() -> BaseResponse:
    return _save_membership(None)


@bp.route("/memberships/<int:membership_id>/edit", methods=["GET", "POST"])
@trust_money_required
def edit_membership(membership_id: int) -> BaseResponse:
    return _save_membership(own_membership(membership_id))


def _save_membership(membership: Any) -> BaseResponse:
    user = spend_user()
    form = _membership_form(membership)
    if request.method == "POST" and form.validate():
        if membership is None and (earlier := already_sent(form)) is not None:
            return earlier
        try:
            saved = get_service(SpendService).save_membership(
                user.organisation_id, _membership_details(form), membership
            )
        except SpendError as exc:
            add_error(getattr(form, exc.field or "name"), str(exc))
        else:
            flash(f"{saved.name} saved.", "success")
            return sent("spend.edit_membership", code=302, membership_id=saved.id)
    return _membership_page(membership, form, 400 if form.errors else 200)


@bp.post("/memberships/<int:membership_id>/rules")
@trust_money_required
def add_rule(membership_id: int) -> BaseResponse:
    membership = own_membership(membership_id)
    form = RuleForm(request.form)
    page_form = _membership_form(membership)
    _with_choices(form, IncludedForm())
    if form.validate():
        if (earlier := already_sent(form)) is not None:
            return earlier
        details = RuleDetails(
            scope=RuleScope(form.scope.data),
            percent=parse_percent(form.percent.data or ""),
            cap_pence=form.cap.data,
            provider_id=form.provider_id.data,
            module_id=form.module_id.data,
            category=form.category.data or None,
        )
        try:
            get_service(SpendService).add_rule(membership, details)
        except SpendError as exc:
            add_error(getattr(form, exc.field or "scope"), str(exc))
        else:
            flash("Discount rule added.", "success")
            return sent("spend.edit_membership", code=302, membership_id=membership.id)
    return _membership_page(membership, page_form, 400, rule_form=form)


@bp.post("/memberships/<int:membership_id>/rules/<int:rule_id>/remove")
@trust_money_required
def remove_rule(membership_id: int, rule_id: int) -> BaseResponse:
    membership = own_membership(membership_id)
    if not BaseForm(request.form).validate():
        abort(400, description="That request was not complete. Reload the page and try again.")
    try:
        get_service(SpendService).remove_rule(membership, rule_id)
    except SpendError:
        abort(404)
    flash("Discount rule removed.", "success")
    return redirect(tool_url("spend.edit_membership", membership_id=membership.id))


@bp.post("/memberships/<int:membership_id>/included")
@trust_money_required
def add_included(membership_id: int) -> BaseResponse:
    membership = own_membership(membership_id)
    form = IncludedForm(request.form)
    page_form = _membership_form(membership)
    _with_choices(RuleForm(), form)
    if form.validate():
        if (earlier := already_sent(form)) is not None:
            return earlier
        try:
            get_service(SpendService).add_included(
                membership, int(form.module_id.data), int(form.places.data)
            )
        except SpendError as exc:
            add_error(getattr(form, exc.field or "module_id"), str(exc))
        else:
            flash("Included training saved.", "success")
            return sent("spend.edit_membership", code=302, membership_id=membership.id)
    return _membership_page(membership, page_form, 400, included_form=form)


@bp.post("/memberships/<int:membership_id>/included/<int:line_id>/remove")
@trust_money_required
def remove_included(membership_id: int, line_id: int) -> BaseResponse:
    membership = own_membership(membership_id)
    if not BaseForm(request.form).validate():
        abort(400, description="That request was not complete. Reload the page and try again.")
    try:
        get_service(SpendService).remove_included(membership, line_id)
    except SpendError:
        abort(404)
    flash("Included training removed.", "success")
    return redirect(tool_url("spend.edit_membership", membership_id=membership.id))


# --- Settings ---------------------------------------------------------------------------------


def _census_year() -> int:
    """The academic year whose pupil numbers the page shows: ``census_year`` of the form or
    ``?census=`` (2024 = 2024/25), by default the year the current report shares costs by."""
    source = request.form if request.method == "POST" else request.args
    name = "census_year" if request.method == "POST" else "census"
    year = int_arg(
        name,
        min=MIN_CENSUS_YEAR,
        max=MAX_CENSUS_YEAR,
        label="The year of the pupil numbers",
        source=source,
    )
    if year is not None:
        return year
    user = spend_user()
    window = get_service(SpendReportService).window(user.organisation_id, None, local_today())
    return census_year(window)


def _census_years(chosen: int, entered: dict[int, dict[int, int]]) -> list[int]:
    """Years to offer: next year back to six years ago, and any year already entered."""
    current = year_of(YearKind.ACADEMY, local_today()).start.year
    years = set(range(current - 6, current + 2)) | {chosen}
    years |= {y for by_year in entered.values() for y in by_year}
    return sorted(years, reverse=True)


@bp.get("/settings/census.<fmt>")
@trust_money_required
def census_download(fmt: str) -> Response:
    if fmt not in FORMATS:
        abort(404)
    user = spend_user()
    return _download(census_table(get_service(SpendService), user.organisation_id), "census", fmt)


@bp.route("/settings", methods=["GET", "POST"])
@trust_money_required
def settings() -> BaseResponse:
    user = spend_user()
    records = get_service(SpendService)
    org = records.organisation(user.organisation_id)
    schools = records.schools(user.organisation_id)
    form = SettingsForm(_formdata())
    year = _census_year()
    entered = records.census(user.organisation_id)
    pupils: dict[int, str] = {
        s.id: request.form.get(f"pupils-{s.id}", "").strip()
        if request.method == "POST"
        else str(entered.get(s.id, {}).get(year, ""))
        for s in schools
    }
    pupil_errors: dict[int, str] = {}
    for s in schools:
        text = pupils[s.id]
        if text and whole_number(text, high=10_000) is None:
            pupil_errors[s.id] = (
                f"Pupils at {s.name} must be a whole number from 0 to 10,000, like 420"
            )
    if request.method == "GET":
        form.spend_year.data = org.spend_year.value
    if request.method == "POST" and form.validate() and not pupil_errors:
        records.set_year_kind(org, YearKind(form.spend_year.data))
        records.set_census(
            user.organisation_id,
            year,
            {s.id: whole_number(pupils[s.id], high=10_000) for s in schools},
            user.id,
        )
        flash(
            f"Spend settings saved, with the pupil numbers for {academic_year_label(year)}.",
            "success",
        )
        return redirect(tool_url("spend.settings", census=year))
    status = 400 if (form.errors or pupil_errors) else 200
    return _page(
        "spend/settings.html",
        status,
        form=form,
        schools=schools,
        pupils=pupils,
        pupil_errors=pupil_errors,
        census_year=year,
        census_label=academic_year_label(year),
        census_years=[(y, academic_year_label(y)) for y in _census_years(year, entered)],
        census=census_table(records, user.organisation_id),
    )
