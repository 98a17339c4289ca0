"""The demo trust comes with training spend, so the demo's spend report shows something."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from sqlalchemy import func, select

from cpd_tracker.demo_lms.seed import seed_demo
from cpd_tracker.extensions import db
from cpd_tracker.models import Membership, Organisation, Purchase
from cpd_tracker.rules.money import ShareBasis, YearKind, year_of
from cpd_tracker.services.audit import Actor, AuditService
from cpd_tracker.services.compliance import ComplianceService
from cpd_tracker.services.spend import Scope, SpendReportService, SpendService
from tests.conftest import BASE_URL


def _seed(app: Flask) -> None:
    with app.app_context():
        session = db.new_session()
        try:
            seed_demo(
                session,
                AuditService(session, Actor("cli")),
                base_url=BASE_URL,
                secret=app.config["SECRET_KEY"],
            )
            session.commit()
        finally:
            session.close()


def test_the_demo_has_a_spend_report(app: Flask) -> None:
    _seed(app)
    _seed(app)  # idempotent: nothing added the second time
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Purchase)) == 6
        assert db.session.scalar(select(func.count()).select_from(Membership)) == 1
        org = db.session.scalar(select(Organisation))
        assert org is not None
        today = dt.date.today()
        records = SpendService(db.session, AuditService(db.session, Actor("test")), dt.datetime.now)
        report = SpendReportService(db.session, records, ComplianceService(db.session)).report(
            Scope(org.id, None), year_of(YearKind.ACADEMY, today), today, ShareBasis.PUPILS
        )
        schools = report.table("schools")
        memberships = report.table("memberships")
        assert schools is not None
        assert memberships is not None
        assert len(schools.rows) == 5  # three schools, trust central, the total
        (row,) = memberships.rows
        assert row[4] != "£0.00"  # discounts realised
        assert row[5] == "£600.00"  # four included autism places at £150
        funding = report.table("funding")
        assert funding is not None
        npq = next(r for r in funding.rows if r[0] == "NPQ scholarship")
        # The DfE-funded NPQ place is shown but is not the school's cost; no VAT on it.
        assert npq[6] == "£0.00"
        assert (npq[-2], npq[-1]) == ("£895.00", "£0.00")
        purchases = db.session.scalars(select(Purchase)).all()
        assert all(p.delivered_on is not None for p in purchases)
        assert {p.vat_rate for p in purchases} == {0, 20}
        # Pupils per year: this academy year's census shares its spend (no fallback
        # warning), and last year's figures are there too, a little different.
        this_year = year_of(YearKind.ACADEMY, today).start.year
        census = records.census(org.id)
        assert {tuple(sorted(years)) for years in census.values()} == {(this_year - 1, this_year)}
        assert sorted(years[this_year] for years in census.values()) == [238, 412, 1_046]
        assert all(years[this_year - 1] != years[this_year] for years in census.values())
        shared = report.table("apportionment")
        assert shared is not None
        assert "Warning" not in shared.note
        assert sorted(r[1] for r in shared.rows[:-1]) == [238, 412, 1_046]
