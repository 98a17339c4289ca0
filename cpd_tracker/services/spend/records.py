"""``SpendService``: providers, memberships (with discount rules and included training),
purchases (with the suggested discount and its override) and their delegates; the spend
settings of an organisation (reporting year, pupil numbers).

Every query is scoped by organisation; every change is audited; the service flushes and the
request edge commits. Checks that involve more than one field (a discount larger than the list
price, an override without a reason, a membership that ends before it starts) live here, so the
web form and the CSV import give the same answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql.elements import ColumnElement

from cpd_tracker.dates import long_date
from cpd_tracker.models import (
    Completion,
    DiscountRule,
    FundingSource,
    IncludedTraining,
    Membership,
    Module,
    Organisation,
    Person,
    Provider,
    Purchase,
    PurchaseDelegate,
    School,
    SchoolCensus,
    StaffRole,
)
from cpd_tracker.rules import money
from cpd_tracker.rules.money import RuleScope, ShareBasis, Suggestion, YearKind
from cpd_tracker.services.audit import AuditService
from cpd_tracker.services.employed import employed_sql

SUPPLY_CODES = ("E02", "E26")
#: CFR codes for the training itself: staff development and training; bought-in professional
#: services (curriculum), often used for a bought-in trainer.
FINANCE_CODES = ("E09", "E27")
MAX_DELEGATES = 1000
#: The academic years pupil numbers may be entered for (by their first calendar year).
MIN_CENSUS_YEAR, MAX_CENSUS_YEAR = 2000, 2100


class SpendError(ValueError):
    """A change that cannot be made; ``field`` names the form field the message belongs to."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class MembershipDetails:
    name: str
    provider_id: int
    school_id: int | None
    fee_pence: int
    starts_on: dt.date
    ends_on: dt.date
    share_basis: ShareBasis
    #: The CFR code the fee is booked to (E09 unless the trust books it elsewhere).
    finance_code: str = "E09"
    #: The trust's own nominal (ledger) code for the fee; "" when not given.
    nominal_code: str = ""


@dataclass(frozen=True)
class RuleDetails:
    scope: RuleScope
    percent: Decimal
    cap_pence: int | None
    provider_id: int | None = None
    module_id: int | None = None
    category: str | None = None


@dataclass(frozen=True)
class PurchaseDetails:
    school_id: int | None
    provider_id: int
    module_id: int | None
    course_title: str
    purchased_on: dt.date
    delegates: int
    list_price_pence: int
    #: None: apply the suggested discount.
    discount_pence: int | None
    discount_reason: str
    supply_pence: int
    supply_code: str | None
    travel_pence: int
    funding_source: FundingSource
    finance_code: str = "E09"
    notional_sen: bool = False
    reference: str = ""
    notes: str = ""
    #: The day the training is delivered (its year); None: not known yet (the booking's).
    delivered_on: dt.date | None = None
    #: VAT per cent on the price after discount (20, or 0 when exempt or zero-rated); None:
    #: not stated (counted as nil).
    vat_rate: Decimal | None = None
    #: Would have been bought without the membership discount (its discount then counts in D).
    bought_anyway: bool = True
    #: The trust's own nominal (ledger) code, beside the CFR code.
    nominal_code: str = ""


class SpendService:
    def __init__(
        self, session: Session, audit: AuditService, clock: Callable[[], dt.datetime]
    ) -> None:
        self.session = session
        self.audit = audit
        self.clock = clock

    # -- lookups (scoped by organisation) -------------------------------------------------

    def organisation(self, organisation_id: int) -> Organisation:
        org = self.session.get(Organisation, organisation_id)
        assert org is not None
        return org

    def schools(self, organisation_id: int) -> list[School]:
        return list(
            self.session.scalars(
                select(School)
                .where(School.organisation_id == organisation_id)
                .order_by(School.name)
            )
        )

    def providers(self, organisation_id: int) -> list[Provider]:
        return list(
            self.session.scalars(
                select(Provider)
                .where(Provider.organisation_id == organisation_id)
                .order_by(func.lower(Provider.name))
            )
        )

    def provider(self, organisation_id: int, provider_id: int | None) -> Provider | None:
        if provider_id is None:
            return None
        return self.session.scalar(
            select(Provider).where(
                Provider.id == provider_id, Provider.organisation_id == organisation_id
            )
        )

    def modules(self, organisation_id: int) -> list[Module]:
        return list(
            self.session.scalars(
                select(Module)
                .where(Module.organisation_id == organisation_id, Module.retired_at.is_(None))
                .order_by(Module.title)
            )
        )

    def module(self, organisation_id: int, module_id: int | None) -> Module | None:
        if module_id is None:
            return None
        return self.session.scalar(
            select(Module).where(Module.id == module_id, Module.organisation_id == organisation_id)
        )

    def memberships(
        self, organisation_id: int, school_ids: Iterable[int] | None = None
    ) -> list[Membership]:
        """The organisation's memberships; with ``school_ids``, only those schools' own."""
        query = (
            select(Membership)
            .where(Membership.organisation_id == organisation_id)
            .options(
                selectinload(Membership.rules),
                selectinload(Membership.included),
                selectinload(Membership.provider),
            )
            .order_by(Membership.starts_on.desc(), Membership.name)
        )
        if school_ids is not None:
            query = query.where(Membership.school_id.in_(list(school_ids)))
        return list(self.session.scalars(query))

    def membership(self, organisation_id: int, membership_id: int) -> Membership | None:
        return self.session.scalar(
            select(Membership).where(
                Membership.id == membership_id, Membership.organisation_id == organisation_id
            )
        )

    def purchase(self, organisation_id: int, purchase_id: int) -> Purchase | None:
        return self.session.scalar(
            select(Purchase)
            .where(Purchase.id == purchase_id, Purchase.organisation_id == organisation_id)
            .options(selectinload(Purchase.delegate_links))
        )

    def purchases(
        self,
        organisation_id: int,
        *,
        start: dt.date | None = None,
        end: dt.date | None = None,
        school_ids: Iterable[int] | None = None,
        central: bool = True,
    ) -> list[Purchase]:
        """Purchases of the organisation, oldest first; ``school_ids`` limits them to those
        schools' (plus trust-central ones when ``central``). ``start`` and ``end`` bound the
        day the training is delivered (the booking day while that is not recorded)."""
        query = (
            select(Purchase)
            .where(Purchase.organisation_id == organisation_id)
            .options(
                selectinload(Purchase.provider),
                selectinload(Purchase.module),
                selectinload(Purchase.school),
                selectinload(Purchase.membership),
                selectinload(Purchase.delegate_links),
            )
            .order_by(_accounted_on(), Purchase.id)
        )
        if start is not None:
            query = query.where(_accounted_on() >= start)
        if end is not None:
            query = query.where(_accounted_on() <= end)
        if school_ids is not None:
            ids = list(school_ids)
            where = Purchase.school_id.in_(ids)
            query = query.where(where | Purchase.school_id.is_(None) if central else where)
        return list(self.session.scalars(query))

    # -- settings -------------------------------------------------------------------------

    def set_year_kind(self, organisation: Organisation, kind: YearKind) -> None:
        if organisation.spend_year is kind:
            return
        organisation.spend_year = kind
        self.session.flush()
        self.audit.record(
            "spend.year_changed",
            organisation_id=organisation.id,
            entity_type="organisation",
            entity_id=organisation.id,
            spend_year=kind.value,
        )

    def census(self, organisation_id: int) -> dict[int, dict[int, int]]:
        """Pupils by school and academic year (2024 = 2024/25)."""
        figures: dict[int, dict[int, int]] = {}
        for row in self.session.scalars(
            select(SchoolCensus).where(SchoolCensus.organisation_id == organisation_id)
        ):
            figures.setdefault(row.school_id, {})[row.academic_year] = row.pupils
        return figures

    def census_rows(self, organisation_id: int) -> list[SchoolCensus]:
        return list(
            self.session.scalars(
                select(SchoolCensus)
                .where(SchoolCensus.organisation_id == organisation_id)
                .order_by(SchoolCensus.academic_year.desc(), SchoolCensus.school_id)
            )
        )

    def set_census(
        self,
        organisation_id: int,
        academic_year: int,
        counts: dict[int, int | None],
        entered_by_id: int | None,
    ) -> int:
        """Enter or correct the schools' pupils for ``academic_year`` (None removes that
        year's figure); each change audited with its before and after. ``school.pupil_count``
        follows each school's latest year."""
        if not MIN_CENSUS_YEAR <= academic_year <= MAX_CENSUS_YEAR:
            raise SpendError(
                f"The year must be from {MIN_CENSUS_YEAR} to {MAX_CENSUS_YEAR}", "census_year"
            )
        rows = {
            r.school_id: r
            for r in self.session.scalars(
                select(SchoolCensus).where(
                    SchoolCensus.organisation_id == organisation_id,
                    SchoolCensus.academic_year == academic_year,
                )
            )
        }
        changed = 0
        schools = self.schools(organisation_id)
        for school in schools:
            if school.id not in counts:
                continue
            row, after = rows.get(school.id), counts[school.id]
            before = None if row is None else row.pupils
            if before == after:
                continue
            if after is None:
                assert row is not None
                self.session.delete(row)
            elif row is None:
                self.session.add(
                    SchoolCensus(
                        organisation_id=organisation_id,
                        school_id=school.id,
                        academic_year=academic_year,
                        pupils=after,
                        entered_by_id=entered_by_id,
                        entered_at=self.clock(),
                    )
                )
            else:
                row.pupils, row.entered_by_id, row.entered_at = after, entered_by_id, self.clock()
            changed += 1
            self.audit.record(
                "school.census_changed",
                organisation_id=organisation_id,
                entity_type="school",
                entity_id=school.id,
                academic_year=money.academic_year_label(academic_year),
                before=before,
                after=after,
            )
        self.session.flush()
        if changed:
            latest = self.census(organisation_id)
            for school in schools:
                years = latest.get(school.id, {})
                school.pupil_count = years[max(years)] if years else None
            self.session.flush()
        return changed

    # -- providers ------------------------------------------------------------------------

    def save_provider(
        self, organisation_id: int, name: str, kind: str, notes: str, provider: Provider | None
    ) -> Provider:
        clash = self.session.scalar(
            select(Provider).where(
                Provider.organisation_id == organisation_id,
                func.lower(Provider.name) == name.lower(),
            )
        )
        if clash is not None and clash is not provider:
            raise SpendError(f"There is already a provider called {clash.name}", "name")
        created = provider is None
        if provider is None:
            provider = Provider(organisation_id=organisation_id, created_at=self.clock())
            self.session.add(provider)
        provider.name, provider.kind, provider.notes = name, kind, notes
        self.session.flush()
        self.audit.record(
            "provider.created" if created else "provider.changed",
            organisation_id=organisation_id,
            entity_type="provider",
            entity_id=provider.id,
            name=name,
            kind=kind,
        )
        return provider

    def provider_named(self, organisation_id: int, name: str) -> Provider:
        """The provider of that name (any case), added to the list when new (imports)."""
        found = self.session.scalar(
            select(Provider).where(
                Provider.organisation_id == organisation_id,
                func.lower(Provider.name) == name.strip().lower(),
            )
        )
        if found is not None:
            return found
        return self.save_provider(organisation_id, name.strip(), "other", "", None)

    # -- memberships ----------------------------------------------------------------------

    def save_membership(
        self, organisation_id: int, details: MembershipDetails, membership: Membership | None
    ) -> Membership:
        if details.ends_on < details.starts_on:
            raise SpendError("The end of the membership year must be after its start", "ends_on")
        if (details.ends_on - details.starts_on).days > 731:
            raise SpendError("A membership year can be at most two years long", "ends_on")
        if self.provider(organisation_id, details.provider_id) is None:
            raise SpendError("Choose the association from the list of providers", "provider_id")
        if details.school_id is not None and details.school_id not in {
            s.id for s in self.schools(organisation_id)
        }:
            raise SpendError("Choose a school of your organisation", "school_id")
        if details.finance_code not in FINANCE_CODES:
            raise SpendError("Choose E09 or E27", "finance_code")
        if len(details.nominal_code) > 30:
            raise SpendError("The nominal code must be 30 characters or fewer", "nominal_code")
        created = membership is None
        if membership is None:
            membership = Membership(organisation_id=organisation_id, created_at=self.clock())
            self.session.add(membership)
        membership.name = details.name
        membership.provider_id = details.provider_id
        membership.school_id = details.school_id
        membership.fee_pence = details.fee_pence
        membership.starts_on = details.starts_on
        membership.ends_on = details.ends_on
        membership.share_basis = details.share_basis
        membership.finance_code = details.finance_code
        membership.nominal_code = details.nominal_code
        self.session.flush()
        self.audit.record(
            "membership.created" if created else "membership.changed",
            organisation_id=organisation_id,
            entity_type="membership",
            entity_id=membership.id,
            name=details.name,
            fee_pence=details.fee_pence,
            starts_on=details.starts_on.isoformat(),
            ends_on=details.ends_on.isoformat(),
            school_id=details.school_id,
            share_basis=details.share_basis.value,
            finance_code=details.finance_code,
            nominal_code=details.nominal_code,
        )
        return membership

    def add_rule(self, membership: Membership, details: RuleDetails) -> DiscountRule:
        org = membership.organisation_id
        if not Decimal(0) < details.percent <= money.MAX_PERCENT:
            raise SpendError("The discount must be more than 0% and at most 100%", "percent")
        if details.scope is RuleScope.PROVIDER and self.provider(org, details.provider_id) is None:
            raise SpendError("Choose the provider the discount is for", "provider_id")
        if details.scope is RuleScope.MODULE and self.module(org, details.module_id) is None:
            raise SpendError("Choose the module the discount is for", "module_id")
        if details.scope is RuleScope.CATEGORY and not details.category:
            raise SpendError("Enter the category the discount is for, like SEND", "category")
        rule = DiscountRule(
            membership_id=membership.id,
            scope=details.scope,
            percent=details.percent,
            cap_pence=details.cap_pence,
            provider_id=details.provider_id if details.scope is RuleScope.PROVIDER else None,
            module_id=details.module_id if details.scope is RuleScope.MODULE else None,
            category=details.category if details.scope is RuleScope.CATEGORY else None,
        )
        self.session.add(rule)
        self.session.flush()
        self.session.refresh(membership, ["rules"])
        self.audit.record(
            "membership.rule_added",
            organisation_id=org,
            entity_type="membership",
            entity_id=membership.id,
            rule_id=rule.id,
            scope=details.scope.value,
            percent=str(details.percent),
            cap_pence=details.cap_pence,
            provider_id=rule.provider_id,
            module_id=rule.module_id,
            category=rule.category,
        )
        return rule

    def remove_rule(self, membership: Membership, rule_id: int) -> None:
        rule = next((r for r in membership.rules if r.id == rule_id), None)
        if rule is None:
            raise SpendError("That discount rule is not part of this membership")
        membership.rules.remove(rule)
        self.session.flush()
        self.audit.record(
            "membership.rule_removed",
            organisation_id=membership.organisation_id,
            entity_type="membership",
            entity_id=membership.id,
            rule_id=rule_id,
        )

    def add_included(self, membership: Membership, module_id: int, places: int) -> None:
        if self.module(membership.organisation_id, module_id) is None:
            raise SpendError("Choose the module the membership includes", "module_id")
        if not 1 <= places <= MAX_DELEGATES:
            raise SpendError(f"Places must be between 1 and {MAX_DELEGATES}", "places")
        line = next((i for i in membership.included if i.module_id == module_id), None)
        if line is None:
            line = IncludedTraining(membership_id=membership.id, module_id=module_id, places=0)
            membership.included.append(line)
        line.places = places
        self.session.flush()
        self.audit.record(
            "membership.included_set",
            organisation_id=membership.organisation_id,
            entity_type="membership",
            entity_id=membership.id,
            module_id=module_id,
            places=places,
        )

    def remove_included(self, membership: Membership, line_id: int) -> None:
        line = next((i for i in membership.included if i.id == line_id), None)
        if line is None:
            raise SpendError("That included training is not part of this membership")
        membership.included.remove(line)
        self.session.flush()
        self.audit.record(
            "membership.included_removed",
            organisation_id=membership.organisation_id,
            entity_type="membership",
            entity_id=membership.id,
            module_id=line.module_id,
        )

    # -- purchases ------------------------------------------------------------------------

    def suggestion(
        self, organisation_id: int, details: PurchaseDetails, exclude_id: int | None = None
    ) -> Suggestion:
        """The discount the active memberships' terms give this purchase (rules/money.py)."""
        module = self.module(organisation_id, details.module_id)
        item = money.PurchaseItem(
            provider_id=details.provider_id,
            module_id=details.module_id,
            category=module.category if module is not None else None,
            list_price_pence=details.list_price_pence,
            delegates=details.delegates,
        )
        active = [
            m
            for m in self.memberships(organisation_id)
            if m.starts_on <= details.purchased_on <= m.ends_on
            and (m.school_id is None or m.school_id == details.school_id)
        ]
        rules = [
            money.DiscountRule(
                membership_id=m.id,
                membership_name=m.name,
                scope=r.scope,
                percent=Decimal(r.percent),
                cap_pence=r.cap_pence,
                provider_id=r.provider_id,
                module_id=r.module_id,
                category=r.category,
                rule_id=r.id,
            )
            for m in active
            for r in m.rules
        ]
        included = [
            money.IncludedPlaces(
                m.id, m.name, line.module_id, line.places - self._places_used(m, line, exclude_id)
            )
            for m in active
            for line in m.included
        ]
        return money.suggest_discount(item, rules, included)

    def _places_used(
        self, membership: Membership, line: IncludedTraining, exclude_id: int | None
    ) -> int:
        query = select(func.coalesce(func.sum(Purchase.included_places), 0)).where(
            Purchase.membership_id == membership.id,
            Purchase.module_id == line.module_id,
        )
        if exclude_id is not None:
            query = query.where(Purchase.id != exclude_id)
        return int(self.session.scalar(query) or 0)

    def save_purchase(
        self,
        organisation_id: int,
        details: PurchaseDetails,
        purchase: Purchase | None,
        *,
        recorded_by_id: int | None,
        source: str = "form",
    ) -> Purchase:
        self._check_purchase(organisation_id, details)
        self._check_reference(organisation_id, details.reference, purchase)
        suggestion = self.suggestion(
            organisation_id, details, exclude_id=None if purchase is None else purchase.id
        )
        gross = details.list_price_pence * details.delegates
        if details.discount_pence is None or details.discount_pence == suggestion.discount_pence:
            discount, membership_id = suggestion.discount_pence, suggestion.membership_id
            places, reason = suggestion.included_places, ""
        else:
            discount = details.discount_pence
            if discount > gross:
                raise SpendError(
                    f"The discount cannot be more than the list price of all the places "
                    f"({money.money_text(gross)})",
                    "discount",
                )
            if not details.discount_reason:
                raise SpendError(
                    f"Say why the discount differs from the suggested "
                    f"{money.money_text(suggestion.discount_pence)}",
                    "discount_reason",
                )
            reason = details.discount_reason
            membership_id = suggestion.membership_id if discount else None
            # The included places stand while the discount still covers their list price.
            free = suggestion.included_places * details.list_price_pence
            places = suggestion.included_places if free and discount >= free else 0
        included = places > 0
        vat = money.vat_on(gross - discount, details.vat_rate)
        created = purchase is None
        if purchase is None:
            purchase = Purchase(
                organisation_id=organisation_id,
                created_by_id=recorded_by_id,
                created_at=self.clock(),
            )
            self.session.add(purchase)
        else:
            purchase.updated_at = self.clock()
        purchase.school_id = details.school_id
        purchase.provider_id = details.provider_id
        purchase.module_id = details.module_id
        purchase.course_title = details.course_title
        purchase.purchased_on = details.purchased_on
        purchase.delivered_on = details.delivered_on
        purchase.vat_rate = details.vat_rate
        purchase.vat_pence = vat
        purchase.included_places = places
        purchase.bought_anyway = details.bought_anyway
        purchase.delegates = details.delegates
        purchase.list_price_pence = details.list_price_pence
        purchase.discount_pence = discount
        purchase.suggested_discount_pence = suggestion.discount_pence
        purchase.discount_reason = reason
        purchase.membership_id = membership_id
        purchase.included = included
        purchase.supply_pence = details.supply_pence
        purchase.supply_code = details.supply_code if details.supply_pence else None
        purchase.travel_pence = details.travel_pence
        purchase.funding_source = details.funding_source
        purchase.finance_code = details.finance_code
        purchase.nominal_code = details.nominal_code
        purchase.notional_sen = details.notional_sen
        purchase.reference = details.reference
        purchase.notes = details.notes
        self.session.flush()
        self.audit.record(
            "purchase.created" if created else "purchase.changed",
            organisation_id=organisation_id,
            entity_type="purchase",
            entity_id=purchase.id,
            source=source,
            school_id=details.school_id,
            provider_id=details.provider_id,
            module_id=details.module_id,
            purchased_on=details.purchased_on.isoformat(),
            delivered_on=None if details.delivered_on is None else details.delivered_on.isoformat(),
            delegates=details.delegates,
            list_price_pence=details.list_price_pence,
            discount_pence=discount,
            vat_rate=None if details.vat_rate is None else str(details.vat_rate),
            vat_pence=vat,
            included_places=places,
            bought_anyway=details.bought_anyway,
            finance_code=details.finance_code,
            nominal_code=details.nominal_code,
            suggested_discount_pence=suggestion.discount_pence,
            discount_reason=reason,
            membership_id=membership_id,
            included=included,
            supply_pence=details.supply_pence,
            travel_pence=details.travel_pence,
            funding_source=details.funding_source.value,
        )
        return purchase

    def delete_purchase(self, purchase: Purchase) -> None:
        """Remove a purchase recorded in error (its delegate links go with it); the audit
        entry keeps what it was."""
        self.audit.record(
            "purchase.deleted",
            organisation_id=purchase.organisation_id,
            entity_type="purchase",
            entity_id=purchase.id,
            school_id=purchase.school_id,
            provider_id=purchase.provider_id,
            title=purchase.title,
            purchased_on=purchase.purchased_on.isoformat(),
            delegates=purchase.delegates,
            list_price_pence=purchase.list_price_pence,
            discount_pence=purchase.discount_pence,
            supply_pence=purchase.supply_pence,
            travel_pence=purchase.travel_pence,
            reference=purchase.reference,
        )
        self.session.delete(purchase)
        self.session.flush()

    def _check_reference(
        self, organisation_id: int, reference: str, purchase: Purchase | None
    ) -> None:
        """A finance reference (invoice, PO number) names one purchase of the organisation:
        the same one again is almost always the same purchase recorded twice."""
        if not reference:
            return
        query = select(Purchase).where(
            Purchase.organisation_id == organisation_id, Purchase.reference == reference
        )
        if purchase is not None:
            query = query.where(Purchase.id != purchase.id)
        existing = self.session.scalar(query.limit(1))
        if existing is not None:
            raise SpendError(
                f"Finance reference {reference} is already on the purchase of {existing.title} "
                f"on {long_date(existing.purchased_on)} "
                f"({money.money_text(existing.total_pence)}). "
                "Open that purchase to change it, or check the reference.",
                "reference",
            )

    def _check_purchase(self, organisation_id: int, details: PurchaseDetails) -> None:
        if details.school_id is not None and details.school_id not in {
            s.id for s in self.schools(organisation_id)
        }:
            raise SpendError("Choose a school of your organisation", "school_id")
        if self.provider(organisation_id, details.provider_id) is None:
            raise SpendError("Choose the provider from the list", "provider_id")
        if (
            details.module_id is not None
            and self.module(organisation_id, details.module_id) is None
        ):
            raise SpendError("Choose the training from the catalogue", "module_id")
        if details.module_id is None and not details.course_title:
            raise SpendError(
                "Choose the training from the catalogue, or enter the course's title",
                "course_title",
            )
        if details.finance_code not in FINANCE_CODES and not details.finance_code.strip():
            raise SpendError("Choose the finance code of the training", "finance_code")
        if len(details.nominal_code) > 30:
            raise SpendError("The nominal code must be 30 characters or fewer", "nominal_code")
        if not 1 <= details.delegates <= MAX_DELEGATES:
            raise SpendError(f"Delegates must be between 1 and {MAX_DELEGATES}", "delegates")
        if details.vat_rate is not None and not Decimal(0) <= details.vat_rate <= money.MAX_PERCENT:
            raise SpendError("The VAT rate must be from 0% to 100%", "vat_rate")
        if (
            details.delivered_on is not None
            and abs((details.delivered_on - details.purchased_on).days) > 3 * 366
        ):
            raise SpendError(
                "The training must be delivered within three years of its booking",
                "delivered_on",
            )
        if details.supply_pence and details.supply_code not in SUPPLY_CODES:
            raise SpendError(
                "Choose the finance code of the supply cover: E02 or E26", "supply_code"
            )
        if details.school_id is None and details.funding_source is FundingSource.SCHOOL_BUDGET:
            raise SpendError(
                "A purchase paid from a school's budget belongs to that school: choose the "
                "school, or another funding source",
                "funding_source",
            )

    # -- delegates ------------------------------------------------------------------------

    def link_delegate(
        self, purchase: Purchase, person_id: int, completion_id: int | None
    ) -> PurchaseDelegate:
        org = purchase.organisation_id
        person = self.session.scalar(
            select(Person).where(Person.id == person_id, Person.organisation_id == org)
        )
        if person is None:
            raise SpendError("Choose a member of staff", "person_id")
        if any(d.person_id == person_id for d in purchase.delegate_links):
            raise SpendError(f"{person.display_name} is already a delegate", "person_id")
        if len(purchase.delegate_links) >= purchase.delegates:
            raise SpendError(
                f"This purchase is for {purchase.delegates} delegate"
                f"{'' if purchase.delegates == 1 else 's'}, and all are named: change the "
                "number of delegates first",
                "person_id",
            )
        schools = [
            r.school_id
            for r in self.session.scalars(
                select(StaffRole).where(StaffRole.person_id == person_id).order_by(StaffRole.id)
            )
        ]
        if purchase.school_id is not None and purchase.school_id not in schools:
            raise SpendError(
                f"{person.display_name} is not on the staff of the school that bought it",
                "person_id",
            )
        if completion_id is not None:
            completion = self.session.scalar(
                select(Completion).where(
                    Completion.id == completion_id,
                    Completion.organisation_id == org,
                    Completion.person_id == person_id,
                )
            )
            if completion is None:
                raise SpendError("Choose one of this person's completions", "completion_id")
        school_id = purchase.school_id or (schools[0] if schools else None)
        link = PurchaseDelegate(
            purchase_id=purchase.id,
            person_id=person_id,
            school_id=school_id,
            completion_id=completion_id,
        )
        purchase.delegate_links.append(link)
        self.session.flush()
        self.audit.record(
            "purchase.delegate_linked",
            organisation_id=org,
            entity_type="purchase",
            entity_id=purchase.id,
            person_id=person_id,
            completion_id=completion_id,
        )
        return link

    def unlink_delegate(self, purchase: Purchase, link_id: int) -> None:
        link = next((d for d in purchase.delegate_links if d.id == link_id), None)
        if link is None:
            raise SpendError("That delegate is not on this purchase")
        purchase.delegate_links.remove(link)
        self.session.flush()
        self.audit.record(
            "purchase.delegate_unlinked",
            organisation_id=purchase.organisation_id,
            entity_type="purchase",
            entity_id=purchase.id,
            person_id=link.person_id,
        )

    def delegate_choices(self, purchase: Purchase) -> list[tuple[Person, list[Completion]]]:
        """Staff who could be named on the purchase (its school's, or anyone's for a central
        purchase) and were employed on the day it was bought (a leaver who left before it is
        not offered: ``rules.employment``), each with their completions of the purchased
        module."""
        query = select(Person).where(
            Person.organisation_id == purchase.organisation_id,
            Person.active.is_(True),
            employed_sql(purchase.purchased_on),
        )
        if purchase.school_id is not None:
            query = query.where(
                Person.id.in_(
                    select(StaffRole.person_id).where(StaffRole.school_id == purchase.school_id)
                )
            )
        people = list(
            self.session.scalars(query.order_by(Person.family_name, Person.given_name, Person.id))
        )
        completions: dict[int, list[Completion]] = {}
        if purchase.module_id is not None and people:
            for c in self.session.scalars(
                select(Completion)
                .where(
                    Completion.organisation_id == purchase.organisation_id,
                    Completion.module_id == purchase.module_id,
                    Completion.person_id.in_([p.id for p in people]),
                )
                .order_by(Completion.completed_on.desc())
            ):
                completions.setdefault(c.person_id, []).append(c)
        return [(p, completions.get(p.id, [])) for p in people]


def _accounted_on() -> ColumnElement[dt.date]:
    """The day that puts a purchase in a year (``rules.money.accounting_date``) in SQL."""
    return func.coalesce(Purchase.delivered_on, Purchase.purchased_on)
