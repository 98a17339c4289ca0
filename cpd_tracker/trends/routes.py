"""Trend pages: a school's coverage month by month (its CPD lead or a trust leader) and the
trust's (trust leaders), each with CSV and XLSX downloads of the figures it draws."""

from __future__ import annotations

from flask import Blueprint, Response, render_template

from cpd_tracker.access import login_required, own_school, signed_in, trust_leader_required
from cpd_tracker.exports import csv_response, xlsx_response
from cpd_tracker.models import School
from cpd_tracker.params import choice_arg
from cpd_tracker.registry import get_service, local_today
from cpd_tracker.services.overview import OverviewService
from cpd_tracker.services.snapshots import SnapshotService
from cpd_tracker.services.trends import DEFAULT_WINDOW, WINDOWS, Trend
from cpd_tracker.trends import tables

bp = Blueprint("trends", __name__)


def _window() -> int:
    choices = [str(w) for w in WINDOWS]
    message = f"Show the trend over {', '.join(choices)} months."
    value = choice_arg("months", choices, message=message)
    return DEFAULT_WINDOW if value is None else int(value)


def _school_trend(school: School) -> Trend:
    return get_service(SnapshotService).school_trend(school, _window())


def _trust_trend() -> Trend:
    organisation = get_service(OverviewService).organisation(signed_in().organisation_id)
    return get_service(SnapshotService).trust_trend(organisation.id, organisation.name, _window())


def _download(trend: Trend, name: str, fmt: str) -> Response:
    filename = f"trend-{name}-{local_today().isoformat()}"
    if fmt == "csv":
        return csv_response(filename, tables.header(trend), tables.rows(trend))
    return xlsx_response(filename, "Trend", tables.header(trend), tables.rows(trend))


@bp.get("/schools/<int:school_id>/trend")
@login_required
def school(school_id: int) -> str:
    school = own_school(school_id)
    return render_template(
        "trends/school.html", school=school, trend=_school_trend(school), windows=WINDOWS
    )


@bp.get("/schools/<int:school_id>/trend.<any(csv, xlsx):fmt>")
@login_required
def school_export(school_id: int, fmt: str) -> Response:
    school = own_school(school_id)
    return _download(_school_trend(school), school.urn, fmt)


@bp.get("/trust/trend")
@trust_leader_required
def trust() -> str:
    return render_template("trends/trust.html", trend=_trust_trend(), windows=WINDOWS)


@bp.get("/trust/trend.<any(csv, xlsx):fmt>")
@trust_leader_required
def trust_export(fmt: str) -> Response:
    return _download(_trust_trend(), "trust", fmt)
