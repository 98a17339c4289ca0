"""Certificates of completion and CPD portfolios as PDF (issue 17).

Thin: the service decides who may have what (``services/certificates.py``), ``pdf.py`` draws.
A certificate or portfolio someone else may not have is a 404, as for one that does not exist.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort
from werkzeug.wrappers import Response

from cpd_tracker.access import login_required, signed_in
from cpd_tracker.certificates.pdf import certificate_pdf, portfolio_pdf
from cpd_tracker.registry import get_service, local_today
from cpd_tracker.services.certificates import CertificateService
from cpd_tracker.services.cpd_record import CERTIFIED, CpdRecordService
from cpd_tracker.services.data_access import DataAccessService
from cpd_tracker.storage import download_response

bp = Blueprint("certificates", __name__, url_prefix="/certificates")

PDF = "application/pdf"


@bp.app_context_processor
def _template_helpers() -> dict[str, Any]:
    return {"has_certificate": lambda method: method in CERTIFIED}


@bp.get("/<int:completion_id>.pdf")
@login_required
def certificate(completion_id: int) -> Response:
    user = signed_in()
    service = get_service(CertificateService)
    completion = service.completion(user, completion_id)
    if completion is None:
        abort(404)
    facts = service.facts(completion, local_today())
    if completion.person_id != user.id:
        get_service(DataAccessService).downloaded(
            user.id,
            completion.person_id,
            user.organisation_id,
            f"Certificate of completion {facts.reference}",
        )
    return download_response(certificate_pdf(facts), PDF, f"certificate-{facts.reference}.pdf")


@bp.get("/people/<int:person_id>/portfolio.pdf")
@login_required
def portfolio(person_id: int) -> Response:
    user = signed_in()
    person = get_service(CertificateService).person(user, person_id)
    if person is None:
        abort(404)
    record = get_service(CpdRecordService).record(person)
    if person.id != user.id:
        get_service(DataAccessService).downloaded(
            user.id, person.id, user.organisation_id, "CPD portfolio (PDF)"
        )
    data = portfolio_pdf(
        record, organisation_name=person.organisation.name, issued_on=local_today()
    )
    return download_response(data, PDF, f"cpd-portfolio-{person.id}.pdf")
