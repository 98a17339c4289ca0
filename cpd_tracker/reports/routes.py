"""A CPD lead's school dashboard, a trust leader's trust dashboard, the people behind any
figure, and every table as CSV (streamed) and XLSX."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

from flask import Blueprint, Response, abort, flash, redirect, render_template, request
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from cpd_tracker.access import (
    launch_course,
    login_required,
    own_school,
    signed_in,
    trust_leader_required,
)
from cpd_tracker.exports import Cell, csv_response, xlsx_response
from cpd_tracker.forms import BaseForm
from cpd_tracker.params import int_arg
from cpd_tracker.registry import get_service, local_today
from cpd_tracker.reports import tables
from cpd_tracker.reports.compliance_view import (
    ComplianceView,
    chase_table,
    coverage_table,
    status_table,
)
from cpd_tracker.reports.filters import drill_down, trust_filters
from cpd_tracker.reports.heatmap import (
    gap_rows,
    heatmap_rows,
    hours_rows,
    matrix_rows,
    person_url,
    staff_links,
)
from cpd_tracker.services.compliance import ComplianceService
from cpd_tracker.services.coverage import (
    LIST_LIMIT,
    STATUS_ORDER,
    ReportService,
    SchoolReport,
    TrustFilters,
)
from cpd_tracker.services.cpd_record import academic_year_of
from cpd_tracker.services.data_access import DataAccessService
from cpd_tracker.services.overview import OverviewService
from cpd_tracker.services.records import EvidenceService
from cpd_tracker.services.roster import RosterService
from cpd_tracker.services.senco import SchoolSenco, SencoService
from cpd_tracker.services.snapshots import SnapshotService
from cpd_tracker.templating import ROLE_LABELS, tool_url

bp = Blueprint("reports", __name__)
T = TypeVar("T")

#: Rows shown on the drill-down page; the CSV has them all.
PEOPLE_PAGE_ROWS = 500
#: The dashboards' trend charts show the last year's overall line; the trend pages offer
#: longer, with a line per training (school) or per school (trust).
TREND_MONTHS = 12
DRILL_DOWN_ARGS = ("phase", "school", "role", "module", "column", "status")


@bp.get("/school")
@login_required
def school() -> BaseResponse:
    """The school of the course launched from, else the first school this person leads."""
    user = signed_in()
    course = launch_course()
    if course is not None and course.school_id and user.may_lead_school(course.school_id):
        return redirect(tool_url("reports.school_page", school_id=course.school_id))
    led = sorted(user.cpd_lead_school_ids())
    if led:
        return redirect(tool_url("reports.school_page", school_id=led[0]))
    if not user.is_trust_leader:
        abort(403)
    return redirect(tool_url("reports.trust"))


def _role() -> str | None:
    role = request.args.get("role") or None
    return role if role in ROLE_LABELS else None


def _status() -> str | None:
    status = request.args.get("status") or None
    return status if status in STATUS_ORDER else None


def _page_number() -> int:
    """``?page=``: a whole number from 1 (400 otherwise); past the last page is checked
    against the report (``_check_page``)."""
    return int_arg("page", default=1, label="The page number") or 1


def _check_page(report: SchoolReport) -> None:
    if report.page > report.pages:
        pages = "1 page" if report.pages == 1 else f"{report.pages:,} pages"
        abort(400, description=f"The staff list has {pages}. Go back and choose one of them.")


@bp.get("/schools/<int:school_id>")
@login_required
def school_page(school_id: int) -> str:
    """The dashboard: figures over everyone, the heatmap and hours a page of staff at a time
    (``?page=``), the gap lists' first rows (issue 14, finding 9)."""
    school = own_school(school_id)
    page = _page_number()
    status = _status()
    report = get_service(ReportService).school(
        school, local_today(), _role(), page=page, status=status
    )
    _check_page(report)
    courses = get_service(OverviewService).school_courses(school)
    return render_template(
        "reports/school.html",
        school=school,
        report=report,
        heatmap=heatmap_rows(report),
        person_url=person_url(school.id),
        gap_rows=gap_rows,
        hours_rows=hours_rows,
        staff_links=staff_links,
        status=status,
        role=_role(),
        statuses=STATUS_ORDER,
        list_limit=LIST_LIMIT,
        courses=courses,
        rosters=get_service(RosterService).statuses(school, courses),
        roster_form=BaseForm(),
        senco=get_service(SencoService).school(school),
        trend=get_service(SnapshotService).school_trend(school, TREND_MONTHS, lines=False),
        trend_more=True,
    )


@bp.post("/schools/<int:school_id>/courses/<int:course_id>/roster-sync")
@login_required
def roster_sync(school_id: int, course_id: int) -> BaseResponse:
    """ "Sync roster now": queue a read of the course's members from the LMS."""
    school = own_school(school_id)
    if not BaseForm(request.form).validate():
        abort(400, description="That request was not complete. Reload the page and try again.")
    service = get_service(RosterService)
    status = next((r for r in service.statuses(school) if r.course.id == course_id), None)
    if status is None:
        abort(404)
    service.request_sync(status.course)
    flash(
        "Roster sync queued: the course's members are being read from your LMS. Reload this "
        "page in a minute to see them.",
        "info",
    )
    return redirect(tool_url("reports.school_page", school_id=school.id))


ENGINE_TABLES = {"compliance": status_table, "coverage": coverage_table, "chase": chase_table}
#: Downloads that list people by name: each goes in the data-access log (the others are counts).
PEOPLE_TABLES = {"compliance", "chase", "gaps", "hours", "heatmap", "statuses"}


#: Cells an XLSX download holds at most. openpyxl writes some 60,000 cells a second on a busy
#: 2-core machine, and a workbook is built whole before it is sent, so a 26,000-staff
#: heatmap (800,000 cells) would take a worker past its timeout (issue 14, finding 9). The
#: CSV streams, and has every row.
XLSX_CELLS = 250_000


def _export(name: str, sheet: str, fmt: str, table: tables.Table) -> Response:
    header, rows = table
    if fmt == "csv":
        return csv_response(name, header, rows)
    return xlsx_response(name, sheet, header, _capped(rows, XLSX_CELLS // max(1, len(header))))


def _capped(rows: Iterator[list[Cell]], limit: int) -> Iterator[list[Cell]]:
    """The first ``limit`` rows, then, if there were more, a last row that says so."""
    for n, row in enumerate(rows):
        if n == limit:
            yield [
                f"The first {limit:,} rows: too many for one Excel download. "
                "The CSV download (which Excel opens) has every row."
            ]
            return
        yield row


@bp.get(
    "/schools/<int:school_id>/"
    "<any(compliance, coverage, chase, roles, gaps, hours, heatmap):table>.<any(csv, xlsx):fmt>"
)
@login_required
def school_export(school_id: int, fmt: str, table: str = "compliance") -> Response:
    """Every table of the school dashboard, as CSV or XLSX (the same rows the page shows)."""
    school = own_school(school_id)
    if table in PEOPLE_TABLES:
        get_service(DataAccessService).exported(
            school.organisation_id, signed_in().id, f"School {table} {fmt.upper()}", school
        )
    today = local_today()
    name = f"{table}-{school.urn}-{today.isoformat()}"
    if table in ENGINE_TABLES:
        compliance = get_service(ComplianceService).school(school, today)
        view = ComplianceView(compliance, role=_role(), status=request.args.get("status") or None)
        return _export(name, table.capitalize(), fmt, ENGINE_TABLES[table](view))
    service = get_service(ReportService)
    if table == "roles":
        return _export(
            name, "Roles", fmt, tables.role_table(service.school(school, today, _role()))
        )
    # Everyone, however many: read a batch of staff (or a stream of rows) at a time.
    if table == "gaps":
        gaps = service.school_gaps(school, today, _role())
        built = tables.gap_table(_released(gaps, service.session) if fmt == "csv" else gaps)
    else:
        staff = service.school_staff(school, today, _role(), cells=table == "heatmap")
        if fmt == "csv":
            staff = _released(staff, service.session)
        columns = service.columns(school.organisation_id, school.id)
        year = academic_year_of(today)
        builder = tables.heatmap_table if table == "heatmap" else tables.hours_table
        built = builder(staff, columns, year)
    return _export(name, table.capitalize(), fmt, built)


@bp.get("/trust")
@trust_leader_required
def trust() -> str:
    user = signed_in()
    filters = trust_filters(user.organisation_id)
    report = get_service(ReportService).trust(
        user.organisation_id, local_today(), filters, page=_page_number()
    )
    if report.page > report.pages:
        pages = "1 page" if report.pages == 1 else f"{report.pages:,} pages"
        abort(400, description=f"The schools fill {pages}. Go back and choose one of them.")
    organisation = get_service(OverviewService).organisation(user.organisation_id)
    return render_template(
        "reports/trust.html",
        organisation=organisation,
        report=report,
        matrix=matrix_rows(report),
        filters=filters,
        roles=ROLE_LABELS,
        sencos=_filtered_sencos(user.organisation_id, filters),
        list_limit=LIST_LIMIT,
        evidence_for_trust=get_service(EvidenceService).for_trust(user.organisation_id, user.id),
        trend=get_service(SnapshotService).trust_trend(
            user.organisation_id, organisation.name, TREND_MONTHS, lines=False
        ),
        trend_more=True,
    )


def _filtered_sencos(organisation_id: int, filters: TrustFilters) -> list[SchoolSenco]:
    """The SENCO table's schools, most urgent first, within the school and phase filters."""
    return [
        row
        for row in get_service(SencoService).trust(organisation_id)
        if (filters.school_id is None or row.school.id == filters.school_id)
        and (not filters.phase or row.school.phase == filters.phase)
    ]


@bp.get("/trust/<any(matrix, ranking, statuses):table>.<any(csv, xlsx):fmt>")
@trust_leader_required
def trust_export(table: str, fmt: str) -> Response:
    """The trust's tables; ``statuses`` is every status row (streamed, whatever the size)."""
    user = signed_in()
    today = local_today()
    filters = trust_filters(user.organisation_id)
    service = get_service(ReportService)
    name = f"{table}-trust-{today.isoformat()}"
    if table in PEOPLE_TABLES:
        get_service(DataAccessService).exported(
            user.organisation_id, user.id, f"Trust {table} {fmt.upper()}", filters.school_id
        )
    if table == "statuses":
        column_id, statuses = drill_down(user.organisation_id)
        rows = service.people(
            user.organisation_id, today, filters, column_id=column_id, statuses=statuses
        )
        if fmt == "csv":
            rows = _released(rows, service.session)
        return _export(name, "Statuses", fmt, tables.people_table(rows))
    report = service.trust(user.organisation_id, today, filters)
    builder = tables.matrix_table if table == "matrix" else tables.ranking_table
    return _export(name, table.capitalize(), fmt, builder(report))


def _released(rows: Iterator[T], session: Session) -> Iterator[T]:
    """A CSV streams after the request has ended: the request's session was committed and
    closed, and reading the rows opened a transaction on it again. Close it with the last
    row, or nothing would (the request's teardown has already run)."""
    try:
        yield from rows
    finally:
        session.close()


@bp.get("/trust/people")
@trust_leader_required
def people() -> str:
    """The people behind one figure of the trust dashboard (a cell, a school, a column)."""
    user = signed_in()
    today = local_today()
    filters = trust_filters(user.organisation_id)
    column_id, statuses = drill_down(user.organisation_id)
    service = get_service(ReportService)
    total = service.count_people(
        user.organisation_id, today, filters, column_id=column_id, statuses=statuses
    )
    rows = list(
        service.people(
            user.organisation_id,
            today,
            filters,
            column_id=column_id,
            statuses=statuses,
            limit=PEOPLE_PAGE_ROWS,
        )
    )
    columns = {c.id: c.title for c in service.columns(user.organisation_id)}
    return render_template(
        "reports/people.html",
        rows=rows,
        total=total,
        shown=PEOPLE_PAGE_ROWS,
        filters=filters,
        column_title=columns.get(column_id) if column_id is not None else None,
        group=request.args.get("status") or None,
        args={k: v for k, v in request.args.items() if k in DRILL_DOWN_ARGS},
    )
