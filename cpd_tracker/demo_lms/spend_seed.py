"""Demo training spend for the Oakfield trust: providers, a trust membership of nasen (20% off
its training, at most £60 a place, five autism places included), pupil numbers for this
academy year and the last (the October census), and a handful
of purchases this academy year, so the demo's spend report has something to show. Each
purchase names the catalogue module it bought, so the report's cost per compliant member of
staff has something to divide. Recorded through ``SpendService``, so the suggested discounts
and the audit log are the real ones."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from cpd_tracker.demo_lms import people
from cpd_tracker.models import FundingSource, Module, Organisation
from cpd_tracker.rules.money import RuleScope, ShareBasis, YearKind, year_of
from cpd_tracker.services.audit import AuditService
from cpd_tracker.services.spend import (
    MembershipDetails,
    PurchaseDetails,
    RuleDetails,
    SpendService,
)

PUPILS = people.PUPILS
#: The same schools a year earlier: the primary grew by a class's worth, the secondary's roll
#: fell slightly, the small primary lost a few.
PUPILS_LAST_YEAR = {"990001": 389, "990002": 1_062, "990003": 245}


def seed_spend(session: Session, audit: AuditService, org: Organisation, today: dt.date) -> None:
    spend = SpendService(session, audit, lambda: dt.datetime.now(dt.UTC))
    if spend.providers(org.id):
        return
    year = year_of(YearKind.ACADEMY, today)
    nasen = spend.save_provider(org.id, "nasen", "association", "Membership association", None)
    behaviour = spend.save_provider(org.id, "Calm Classrooms Training", "other", "", None)
    npq = spend.save_provider(
        org.id, "Teach First (NPQ lead provider)", "npq_lead_provider", "", None
    )
    modules = {
        m.slug: m for m in session.scalars(select(Module).where(Module.organisation_id == org.id))
    }
    membership = spend.save_membership(
        org.id,
        MembershipDetails(
            f"nasen trust membership {year.label}",
            nasen.id,
            None,
            150_000,
            year.start,
            year.end,
            ShareBasis.PUPILS,
        ),
        None,
    )
    spend.add_rule(membership, RuleDetails(RuleScope.PROVIDER, Decimal(20), 6_000, nasen.id))
    autism = modules.get("autism-awareness")
    if autism is not None:
        spend.add_included(membership, autism.id, 5)
    schools = {s.urn: s.id for s in spend.schools(org.id)}
    # Pupils on roll per academic year (the October census): this year's, which shares out
    # this year's spend, and last year's, a little different as rolls are.
    spend.set_census(
        org.id,
        year.start.year - 1,
        {i: PUPILS_LAST_YEAR.get(urn) for urn, i in schools.items()},
        None,
    )
    spend.set_census(
        org.id, year.start.year, {i: PUPILS.get(urn) for urn, i in schools.items()}, None
    )

    def on(days: int) -> dt.date:
        return min(year.start + dt.timedelta(days=days), today)

    purchases = [
        (
            "990001",
            nasen.id,
            "autism-awareness",
            "",
            4,
            15_000,
            0,
            None,
            0,
            FundingSource.SCHOOL_BUDGET,
            on(20),
        ),
        (
            "990002",
            nasen.id,
            "spld-in-the-classroom",
            "Dyslexia: practical classroom strategies",
            3,
            29_500,
            36_000,
            "E02",
            4_560,
            FundingSource.SCHOOL_BUDGET,
            on(45),
        ),
        (
            "990003",
            behaviour.id,
            "behaviour-de-escalation-6h",
            "De-escalation for support staff (6 hours)",
            6,
            12_500,
            0,
            None,
            0,
            FundingSource.SCHOOL_BUDGET,
            on(60),
        ),
        (
            None,
            nasen.id,
            "send-for-governors",
            "SEND for governors and trustees",
            8,
            9_500,
            0,
            None,
            2_880,
            FundingSource.TRUST_CENTRAL,
            on(75),
        ),
        (
            "990002",
            npq.id,
            "npq-for-sencos",
            "NPQ for SENCOs",
            1,
            89_500,
            0,
            None,
            0,
            FundingSource.NPQ_SCHOLARSHIP,
            on(30),
        ),
        (
            None,
            behaviour.id,
            "trauma-informed-practice-senior-leaders",
            "Trauma-informed practice for senior leaders: whole-trust day",
            1,
            55_000,
            0,
            None,
            0,
            FundingSource.TRUST_CENTRAL,
            on(90),
        ),
    ]
    for (
        urn,
        provider_id,
        slug,
        title,
        delegates,
        price,
        supply,
        code,
        travel,
        fund,
        day,
    ) in purchases:
        module = modules.get(slug) if slug else None
        spend.save_purchase(
            org.id,
            PurchaseDetails(
                school_id=schools.get(urn) if urn else None,
                provider_id=provider_id,
                module_id=None if module is None else module.id,
                course_title=title,
                purchased_on=day,
                delegates=delegates,
                list_price_pence=price,
                discount_pence=None,
                discount_reason="",
                supply_pence=supply,
                supply_code=code,
                travel_pence=travel,
                funding_source=fund,
                notional_sen=fund is FundingSource.SCHOOL_BUDGET,
                reference=f"DEMO-{day:%m%d}-{delegates}",
                # Delivered a fortnight after booking; VAT at the standard rate (recovered by
                # the academies), none on the DfE-funded NPQ place.
                delivered_on=day + dt.timedelta(days=14),
                vat_rate=Decimal(0) if fund is FundingSource.NPQ_SCHOLARSHIP else Decimal(20),
            ),
            None,
            recorded_by_id=None,
            source="demo",
        )
