"""Training spend pages (ARCHITECTURE.md, "Money"; DOMAIN.md, "Money"): the spend report with
its charts and downloads, purchases (with the suggested discount and its override) and their
delegates. Providers, memberships and settings are in ``memberships.py``, the purchases CSV
import in ``imports.py``; both add their routes to this blueprint.

Handlers load (scoped to the organisation: another organisation's ids are 404), check access
(``spend/access.py``), then act through one service that audits every change. Bad input is a
400 with a GOV.UK error summary and nothing written (the request edge rolls back any 4xx).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from cpd_tracker.access import launch_course
from cpd_tracker.dates import long_date
from cpd_tracker.exports import csv_response, xlsx_response
from cpd_tracker.forms import BaseForm
from cpd_tracker.manage.forms import add_error
from cpd_tracker.models import FundingSource, Purchase, TrainingRequest
from cpd_tracker.once import already_sent, sent
from cpd_tracker.params import choice_arg, id_arg, int_arg
from cpd_tracker.places.routes import decidable
from cpd_tracker.registry import get_service, local_today
from cpd_tracker.rules.money import (
    RECOVERY_LABELS,
    MoneyText,
    ShareBasis,
    VatRecovery,
    YearKind,
    money_text,
    percent_text,
    year_of,
    year_window,
)
from cpd_tracker.services.spend import (
    BASIS_LABELS,
    FUNDING_LABELS,
    PurchaseDetails,
    SpendError,
    SpendReportService,
    SpendService,
    Table,
)
from cpd_tracker.services.spend.records import FINANCE_CODES
from cpd_tracker.services.spend.report import purchases_table, vat_rate_text, year_choices
from cpd_tracker.services.training_requests import RequestRefused, TrainingRequestService
from cpd_tracker.spend.access import (
    allowed_school,
    own_purchase,
    schools_for,
    scope_of,
    spend_access_required,
    spend_user,
)
from cpd_tracker.spend.forms import (
    VAT_LABELS,
    VAT_UNKNOWN,
    YEAR_LABELS,
    DelegateForm,
    PurchaseForm,
    vat_choice,
    vat_percent,
)
from cpd_tracker.templating import tool_url

bp = Blueprint("spend", __name__, url_prefix="/spend")
bp.add_app_template_filter(money_text, "money")
# ``cell is money``: an amount made by ``money_text``; tables and summary lists keep it on one
# line (a negative amount may otherwise break after its minus sign, a line-break opportunity).
bp.add_app_template_test(lambda value: isinstance(value, MoneyText), "money")
bp.add_app_template_filter(percent_text, "percent")
bp.add_app_template_filter(lambda v: FUNDING_LABELS.get(str(v), str(v)), "funding_label")
bp.add_app_template_filter(vat_rate_text, "vat_rate")
bp.add_app_template_filter(lambda v: RECOVERY_LABELS[VatRecovery(v)], "vat_recovery")

FORMATS = ("csv", "xlsx")


def _today() -> dt.date:
    return local_today()


def _formdata() -> Any:
    return request.form if request.method == "POST" else None


def _page(template: str, status: int = 200, **context: Any) -> Response:
    return Response(render_template(template, **context), status=status)


def _download(table: Table, name: str, fmt: str) -> Response:
    if fmt == "csv":
        return csv_response(name, table.header, table.rows)
    return xlsx_response(name, table.title, table.header, table.rows)


def _year_arg() -> int | None:
    return int_arg("year", min=2000, max=2100, label="The year")


def _calendar_arg() -> YearKind | None:
    """``?calendar=academy`` (September to August: academies) or ``financial`` (April to
    March: maintained schools); absent, the calendar set in the spend settings."""
    value = choice_arg("calendar", YEAR_LABELS, label="The calendar", strict=False)
    return YearKind(value) if value is not None else None


def _basis_arg() -> ShareBasis:
    value = choice_arg("basis", BASIS_LABELS, label="The way to share costs", strict=False)
    return ShareBasis(value) if value is not None else ShareBasis.PUPILS


# --- Report -----------------------------------------------------------------------------------


@bp.get("/")
@spend_access_required
def index() -> BaseResponse:
    return redirect(tool_url("spend.report"))


def _report() -> tuple[Any, Any]:
    user = spend_user()
    service = get_service(SpendReportService)
    window = service.window(user.organisation_id, _year_arg(), _today(), _calendar_arg())
    return service.report(scope_of(user), window, _today(), _basis_arg()), window


@bp.get("/report")
@spend_access_required
def report() -> str:
    user = spend_user()
    report, window = _report()
    records = get_service(SpendService)
    first = records.purchases(user.organisation_id)
    return render_template(
        "spend/report.html",
        report=report,
        window=window,
        years=year_choices(window.kind, _today(), first[0].purchased_on if first else None),
        basis=_basis_arg().value,
        basis_labels=BASIS_LABELS,
        calendar_labels=YEAR_LABELS,
        trust_wide=user.may_see_trust_money,
    )


@bp.get("/report/<key>.<fmt>")
@spend_access_required
def report_download(key: str, fmt: str) -> Response:
    if fmt not in FORMATS:
        abort(404)
    report, window = _report()
    table = report.table(key)
    if table is None:
        abort(404)
    return _download(table, f"spend-{key}-{window.label.replace('/', '-')}", fmt)


# --- Purchases --------------------------------------------------------------------------------


def _purchase_filter() -> tuple[list[Purchase], Any, str]:
    user = spend_user()
    records = get_service(SpendService)
    kind = _calendar_arg() or records.organisation(user.organisation_id).spend_year
    year = _year_arg()
    window = year_of(kind, _today()) if year is None else year_window(kind, year)
    school = request.args.get("school", "")
    ids: list[int] | None
    if school == "central":
        if not user.may_see_trust_money:
            abort(403)
        ids, central = [], True
    elif (chosen := id_arg("school", label="The school filter")) is not None:
        ids, central = [allowed_school(chosen).id], False
    elif user.may_see_trust_money:
        ids, central = None, True
    else:
        ids, central = list(user.cpd_lead_school_ids()), False
    purchases = records.purchases(
        user.organisation_id,
        start=window.start,
        end=window.end,
        school_ids=ids,
        central=central,
    )
    return purchases, window, school


@bp.get("/purchases")
@spend_access_required
def purchases() -> str:
    user = spend_user()
    rows, window, school = _purchase_filter()
    first = get_service(SpendService).purchases(user.organisation_id)
    return render_template(
        "spend/purchases.html",
        purchases=rows,
        table=purchases_table(rows),
        window=window,
        years=year_choices(window.kind, _today(), first[0].purchased_on if first else None),
        school=school,
        schools=schools_for(user),
        trust_wide=user.may_see_trust_money,
    )


@bp.get("/purchases.<fmt>")
@spend_access_required
def purchases_download(fmt: str) -> Response:
    if fmt not in FORMATS:
        abort(404)
    rows, window, _ = _purchase_filter()
    return _download(purchases_table(rows), f"purchases-{window.label.replace('/', '-')}", fmt)


def _place_request() -> TrainingRequest | None:
    """The request for a place a new purchase books (``?place_request=<id>``, issue 17): one
    the signed-in person may decide, still open (else 404, 403 or 409)."""
    request_id = id_arg("place_request", label="The request for a place")
    if request_id is None:
        return None
    item = decidable(request_id)
    try:
        get_service(TrainingRequestService).check_bookable(item)
    except RequestRefused as exc:
        abort(409, description=str(exc))
    return item


def _prefill_for(form: PurchaseForm, place: TrainingRequest) -> None:
    """The purchase form filled for the request: its school, module, the module's provider
    (when one of that name is recorded) and list price, one delegate."""
    module = place.module
    form.school_id.data = place.school_id
    form.module_id.data = module.id
    named = (module.provider or "").strip().lower()
    providers = get_service(SpendService).providers(place.organisation_id)
    form.provider_id.data = next((p.id for p in providers if p.name.lower() == named), None)
    if module.list_price_pence is not None:
        form.list_price.data = module.list_price_pence
    form.delegates.data = 1
    form.notes.data = f"Place requested by {place.person.display_name}"


def _purchase_form(purchase: Purchase | None, place: TrainingRequest | None = None) -> PurchaseForm:
    user = spend_user()
    records = get_service(SpendService)
    form = PurchaseForm(_formdata())
    schools = schools_for(user)
    choices = [(str(s.id), s.name) for s in schools]
    if user.may_see_trust_money:
        choices.insert(0, ("", "Trust central (shared out to schools)"))
    form.school_id.choices = choices
    form.school_id.optional = user.may_see_trust_money
    form.provider_id.choices = [("", "Choose a provider")] + [
        (str(p.id), p.name) for p in records.providers(user.organisation_id)
    ]
    form.module_id.choices = [("", "Not in the catalogue: enter the course title")] + [
        (str(m.id), m.title) for m in records.modules(user.organisation_id)
    ]
    # "Not stated" only for a purchase recorded before VAT was asked: a new one says.
    form.vat.choices = [
        (value, label)
        for value, label in VAT_LABELS.items()
        if value != VAT_UNKNOWN or (purchase is not None and purchase.vat_rate is None)
    ]
    if request.method == "GET":
        if purchase is None:
            course = launch_course()
            led = [s.id for s in schools]
            form.school_id.data = (
                course.school_id
                if course is not None and course.school_id in led
                else (None if user.may_see_trust_money or not led else led[0])
            )
            form.purchased_on.data = _today()
            form.funding_source.data = FundingSource.SCHOOL_BUDGET.value
            if place is not None:
                _prefill_for(form, place)
        else:
            _fill(form, purchase)
    return form


def _fill(form: PurchaseForm, p: Purchase) -> None:
    form.school_id.data = p.school_id
    form.provider_id.data = p.provider_id
    form.module_id.data = p.module_id
    form.course_title.data = p.course_title
    form.purchased_on.data = p.purchased_on
    form.delivered_on.data = p.delivered_on
    form.vat.data = vat_choice(p.vat_rate)
    form.delegates.data = p.delegates
    form.list_price.data = p.list_price_pence
    form.discount.data = p.discount_pence
    form.discount_reason.data = p.discount_reason
    form.supply.data = p.supply_pence or None
    form.supply_code.data = p.supply_code or ""
    form.travel.data = p.travel_pence or None
    form.funding_source.data = p.funding_source.value
    form.notional_sen.data = p.notional_sen
    form.finance_code.data = p.finance_code if p.finance_code in FINANCE_CODES else "E09"
    form.nominal_code.data = p.nominal_code
    form.only_for_discount.data = not p.bought_anyway
    form.reference.data = p.reference
    form.notes.data = p.notes


def _details(form: PurchaseForm) -> PurchaseDetails:
    return PurchaseDetails(
        school_id=form.school_id.data,
        provider_id=int(form.provider_id.data),
        module_id=form.module_id.data,
        course_title=form.course_title.data or "",
        purchased_on=form.purchased_on.data,
        delivered_on=form.delivered_on.data,
        vat_rate=vat_percent(form.vat.data),
        delegates=form.delegates.data or 1,
        list_price_pence=int(form.list_price.data),
        discount_pence=form.discount.data,
        discount_reason=form.discount_reason.data or "",
        supply_pence=form.supply.data or 0,
        supply_code=form.supply_code.data or None,
        travel_pence=form.travel.data or 0,
        funding_source=FundingSource(form.funding_source.data),
        notional_sen=bool(form.notional_sen.data),
        finance_code=form.finance_code.data or "E09",
        nominal_code=form.nominal_code.data or "",
        bought_anyway=not form.only_for_discount.data,
        reference=form.reference.data or "",
        notes=form.notes.data or "",
    )


def _purchase_page(purchase: Purchase | None) -> BaseResponse:
    user = spend_user()
    records = get_service(SpendService)
    place = _place_request() if purchase is None else None
    form = _purchase_form(purchase, place)
    suggestion = None
    if purchase is not None and request.method == "GET":
        suggestion = records.suggestion(
            user.organisation_id, _details(form), exclude_id=purchase.id
        )
    if request.method == "POST" and form.validate():
        details = _details(form)
        if details.school_id is not None:
            allowed_school(details.school_id)
        suggestion = records.suggestion(
            user.organisation_id, details, exclude_id=None if purchase is None else purchase.id
        )
        if "check" not in request.form:
            if purchase is None and (earlier := already_sent(form)) is not None:
                return earlier
            try:
                saved = records.save_purchase(
                    user.organisation_id, details, purchase, recorded_by_id=user.id
                )
            except SpendError as exc:
                add_error(getattr(form, exc.field or "discount"), str(exc))
            else:
                if place is not None:
                    _book(place, saved)
                flash(
                    f"Purchase saved: {saved.title}, {money_text(saved.total_pence)} in all.",
                    "success",
                )
                return sent("spend.purchase", code=302, purchase_id=saved.id)
    status = 400 if form.errors else 200
    return _page(
        "spend/purchase_form.html",
        status,
        form=form,
        purchase=purchase,
        place=place,
        suggestion=suggestion,
        no_providers=len(form.provider_id.choices or []) <= 1,
    )


def _book(place: TrainingRequest, purchase: Purchase) -> None:
    """Name the person on the purchase and mark their request booked. A refusal (they left
    the school's staff, say) is a 409 and, like every 4xx, saves nothing: not the purchase
    either."""
    try:
        get_service(SpendService).link_delegate(purchase, place.person_id, None)
    except SpendError as exc:
        abort(409, description=f"The purchase was not saved: {exc}.")
    get_service(TrainingRequestService).booked(place, spend_user().person, purchase)


@bp.route("/purchases/new", methods=["GET", "POST"])
@spend_access_required
def new_purchase() -> BaseResponse:
    if not schools_for(spend_user()) and not spend_user().may_see_trust_money:
        abort(403)
    return _purchase_page(None)


@bp.route("/purchases/<int:purchase_id>/edit", methods=["GET", "POST"])
@spend_access_required
def edit_purchase(purchase_id: int) -> BaseResponse:
    return _purchase_page(own_purchase(purchase_id))


@bp.route("/purchases/<int:purchase_id>/delete", methods=["GET", "POST"])
@spend_access_required
def delete_purchase(purchase_id: int) -> BaseResponse:
    p = own_purchase(purchase_id)
    form = BaseForm(_formdata())
    if request.method == "POST":
        if not form.validate():
            abort(400, description="That request was not complete. Reload the page and try again.")
        title = p.title
        get_service(SpendService).delete_purchase(p)
        flash(f"The purchase of {title} was deleted.", "success")
        return redirect(tool_url("spend.purchases"))
    return _page("spend/purchase_delete.html", purchase=p, form=form)


def _delegate_form(purchase: Purchase) -> DelegateForm:
    form = DelegateForm(_formdata())
    people = get_service(SpendService).delegate_choices(purchase)
    named = {d.person_id for d in purchase.delegate_links}
    form.person_id.choices = [("", "Choose a member of staff")] + [
        (str(p.id), p.display_name) for p, _ in people if p.id not in named
    ]
    form.completion_id.choices = [("", "None recorded yet")] + [
        (str(c.id), f"{p.display_name}: completed {long_date(c.completed_on)}")
        for p, completions in people
        for c in completions
    ]
    return form


@bp.get("/purchases/<int:purchase_id>")
@spend_access_required
def purchase(purchase_id: int) -> str:
    p = own_purchase(purchase_id)
    return render_template(
        "spend/purchase.html",
        purchase=p,
        form=_delegate_form(p),
        remove_form=BaseForm(),
        names={d.id: d.person.display_name for d in p.delegate_links},
    )


@bp.post("/purchases/<int:purchase_id>/delegates")
@spend_access_required
def add_delegate(purchase_id: int) -> BaseResponse:
    p = own_purchase(purchase_id)
    form = _delegate_form(p)
    # Before validating: once named, the person is no longer among the form's choices. A
    # refused form rolls its claim back with everything else.
    if (earlier := already_sent(form)) is not None:
        return earlier
    if form.validate():
        try:
            link = get_service(SpendService).link_delegate(
                p, int(form.person_id.data), form.completion_id.data
            )
        except SpendError as exc:
            add_error(getattr(form, exc.field or "person_id"), str(exc))
        else:
            flash(f"{link.person.display_name} is named on this purchase.", "success")
            return sent("spend.purchase", code=302, purchase_id=p.id)
    return _page(
        "spend/purchase.html",
        400,
        purchase=p,
        form=form,
        remove_form=BaseForm(),
        names={d.id: d.person.display_name for d in p.delegate_links},
    )


@bp.post("/purchases/<int:purchase_id>/delegates/<int:link_id>/remove")
@spend_access_required
def remove_delegate(purchase_id: int, link_id: int) -> BaseResponse:
    p = own_purchase(purchase_id)
    if not BaseForm(request.form).validate():
        abort(400, description="That request was not complete. Reload the page and try again.")
    try:
        get_service(SpendService).unlink_delegate(p, link_id)
    except SpendError:
        abort(404)
    flash("Delegate taken off this purchase.", "success")
    return redirect(tool_url("spend.purchase", purchase_id=p.id))


# The providers, memberships and settings pages, and the import pages, add their routes to
# ``bp`` when imported.
from cpd_tracker.spend import imports as _imports  # noqa: E402,F401
from cpd_tracker.spend import memberships as _memberships  # noqa: E402,F401
