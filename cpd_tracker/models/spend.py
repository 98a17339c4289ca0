"""Training spend (ARCHITECTURE.md, "Money"; DOMAIN.md, "Money"): providers, memberships of
professional associations with their discount rules and included training, and purchases of
training with the delegates (and completions) they paid for.

Money is whole pence (``int``) in every column; percentages are ``Numeric``. The rules that turn
these into figures are pure functions in ``rules/money.py``.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import Enum, ForeignKey, Index, Numeric, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cpd_tracker.models.base import Base, utcnow
from cpd_tracker.models.catalogue import Module
from cpd_tracker.models.organisation import School
from cpd_tracker.models.person import Person
from cpd_tracker.rules.money import (
    PurchaseCost,
    RuleScope,
    ShareBasis,
    VatRecovery,
    accounting_date,
    divide,
    vat_recovery,
)


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=30, values_callable=lambda e: [m.value for m in e])


class FundingSource(enum.StrEnum):
    SCHOOL_BUDGET = "school_budget"
    TRUST_CENTRAL = "trust_central"
    GRANT = "grant"
    NPQ_SCHOLARSHIP = "npq_scholarship"

    @property
    def external(self) -> bool:
        """Paid by DfE (NPQ scholarship) or a grant: shown, but not the school's cost."""
        return self in (FundingSource.GRANT, FundingSource.NPQ_SCHOLARSHIP)


class Provider(Base):
    """Who training is bought from (an association, an NPQ lead provider, the LA's SEND team)."""

    __tablename__ = "provider"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    #: "association", "npq_lead_provider", "local_authority", "other".
    kind: Mapped[str] = mapped_column(String(30), default="other")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Membership(Base):
    """One membership year of an association, held by the organisation or by one school."""

    __tablename__ = "membership"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    #: None: the whole organisation (a trust membership); else one school's.
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"))
    name: Mapped[str] = mapped_column(String(200))
    fee_pence: Mapped[int]
    starts_on: Mapped[dt.date]
    #: Inclusive: a year from 1 September 2025 ends on 31 August 2026.
    ends_on: Mapped[dt.date]
    share_basis: Mapped[ShareBasis] = mapped_column(_enum(ShareBasis), default=ShareBasis.PUPILS)
    #: The CFR code the fee is booked to: E09 (staff development and training) unless the
    #: trust books it elsewhere; the finance totals by code include it.
    finance_code: Mapped[str] = mapped_column(String(10), default="E09")
    #: The trust's own nominal (ledger) code for the fee, beside the CFR code; "" when not given.
    nominal_code: Mapped[str] = mapped_column(String(30), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    provider: Mapped[Provider] = relationship()
    school: Mapped[School | None] = relationship()
    rules: Mapped[list[DiscountRule]] = relationship(
        back_populates="membership", order_by="DiscountRule.id", cascade="all, delete-orphan"
    )
    included: Mapped[list[IncludedTraining]] = relationship(
        back_populates="membership", order_by="IncludedTraining.id", cascade="all, delete-orphan"
    )


class DiscountRule(Base):
    """A percentage off the list price, for one provider, module or category; capped per
    delegate when ``cap_pence`` is set."""

    __tablename__ = "discount_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("membership.id"), index=True)
    scope: Mapped[RuleScope] = mapped_column(_enum(RuleScope))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id"))
    module_id: Mapped[int | None] = mapped_column(ForeignKey("training_module.id"))
    category: Mapped[str | None] = mapped_column(String(80))
    percent: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    cap_pence: Mapped[int | None]

    membership: Mapped[Membership] = relationship(back_populates="rules")
    provider: Mapped[Provider | None] = relationship()
    module: Mapped[Module | None] = relationship()


class IncludedTraining(Base):
    """Places on a module that the membership fee already pays for."""

    __tablename__ = "included_training"
    __table_args__ = (UniqueConstraint("membership_id", "module_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("membership.id"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("training_module.id"))
    places: Mapped[int]

    membership: Mapped[Membership] = relationship(back_populates="included")
    module: Mapped[Module] = relationship()


class Purchase(Base):
    """A booking of a module (or a course outside the catalogue) for one or more delegates."""

    __tablename__ = "purchase"
    __table_args__ = (
        # A finance reference (invoice or PO number) names one purchase of the organisation;
        # a purchase may have none ("").
        Index(
            "uq_purchase_organisation_id_reference",
            "organisation_id",
            "reference",
            unique=True,
            sqlite_where=text("reference <> ''"),
            postgresql_where=text("reference <> ''"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    #: None: bought centrally by the trust (shared out to schools in the report).
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"))
    module_id: Mapped[int | None] = mapped_column(ForeignKey("training_module.id"))
    #: The course's title when it is not in the catalogue (else the module's title).
    course_title: Mapped[str] = mapped_column(String(200), default="")
    #: The day it was booked (kept; the year comes from ``delivered_on`` when recorded).
    purchased_on: Mapped[dt.date] = mapped_column(index=True)
    #: The day the training is delivered: the purchase belongs to that day's year (accruals).
    delivered_on: Mapped[dt.date | None] = mapped_column(index=True)
    delegates: Mapped[int]
    #: Per delegate, net of VAT (ex-VAT list price).
    list_price_pence: Mapped[int]
    #: VAT per cent on the net price after discount: 20 standard, 0 exempt or zero-rated;
    #: None when not stated (rows recorded before VAT was asked: VAT unknown, counted as nil).
    vat_rate: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    #: The VAT charged on the whole booking (after discount).
    vat_pence: Mapped[int] = mapped_column(default=0)
    #: The whole booking's discount (all delegates).
    discount_pence: Mapped[int] = mapped_column(default=0)
    #: What the membership rules suggested when it was recorded (kept to show an override).
    suggested_discount_pence: Mapped[int] = mapped_column(default=0)
    #: Why the discount differs from the suggestion (required then).
    discount_reason: Mapped[str] = mapped_column(Text, default="")
    membership_id: Mapped[int | None] = mapped_column(ForeignKey("membership.id"))
    #: Uses included places of the membership (their list price is part of the discount).
    included: Mapped[bool] = mapped_column(default=False)
    #: How many delegates are on included places (all, or some when fewer were left).
    included_places: Mapped[int] = mapped_column(default=0)
    #: Would have been bought without the membership's discount: only then does the discount
    #: count as a saving (D). False: bought only because it was discounted.
    bought_anyway: Mapped[bool] = mapped_column(default=True)
    supply_pence: Mapped[int] = mapped_column(default=0)
    #: E02 (supply teaching staff) or E26 (agency supply).
    supply_code: Mapped[str | None] = mapped_column(String(10))
    travel_pence: Mapped[int] = mapped_column(default=0)
    funding_source: Mapped[FundingSource] = mapped_column(_enum(FundingSource))
    #: The CFR code of the training itself: E09 (staff development and training), or E27
    #: (bought-in professional services, curriculum) for a bought-in trainer.
    finance_code: Mapped[str] = mapped_column(String(10), default="E09")
    #: The trust's own nominal (ledger) code for it, beside the CFR code; "" when not given.
    nominal_code: Mapped[str] = mapped_column(String(30), default="")
    #: Attributed to the notional SEN budget (an indicative tag, not a budget line).
    notional_sen: Mapped[bool] = mapped_column(default=False)
    reference: Mapped[str] = mapped_column(String(100), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime | None]

    provider: Mapped[Provider] = relationship()
    module: Mapped[Module | None] = relationship()
    school: Mapped[School | None] = relationship()
    membership: Mapped[Membership | None] = relationship()
    delegate_links: Mapped[list[PurchaseDelegate]] = relationship(
        back_populates="purchase", order_by="PurchaseDelegate.id", cascade="all, delete-orphan"
    )

    @property
    def list_total_pence(self) -> int:
        return self.list_price_pence * self.delegates

    @property
    def net_pence(self) -> int:
        """The training after discount, ex VAT."""
        return self.list_total_pence - self.discount_pence

    @property
    def accounted_on(self) -> dt.date:
        """The day that puts it in a year: delivery, else booking (rules.money)."""
        return accounting_date(self.delivered_on, self.purchased_on)

    @property
    def recovery(self) -> VatRecovery:
        """Who recovers its VAT, by the buying school's type (rules.money.vat_recovery)."""
        school_type = None
        if self.school is not None and self.school.school_type is not None:
            school_type = self.school.school_type.value
        return vat_recovery(school_type, trust_central=self.school_id is None)

    @property
    def cost(self) -> PurchaseCost:
        return PurchaseCost(
            list_total=self.list_total_pence,
            discount=self.discount_pence,
            vat=self.vat_pence,
            # With no VAT there is nothing to recover (and no need to load the school).
            recovery=self.recovery if self.vat_pence else VatRecovery.NONE,
            supply=self.supply_pence,
            travel=self.travel_pence,
            externally_funded=self.funding_source.external,
        )

    @property
    def included_pence(self) -> int:
        """The list value of the delegates on included places (I)."""
        return self.list_price_pence * self.included_places

    @property
    def total_pence(self) -> int:
        """Everything it cost: the training after discount and net of recoverable VAT, supply
        cover and travel (DfE- or grant-funded training included: see ``school_cost_pence``)."""
        return self.cost.total

    @property
    def school_cost_pence(self) -> int:
        """What of it is the school's (or trust's) own cost."""
        return self.cost.school_cost

    @property
    def cost_per_delegate_pence(self) -> int:
        per = divide(self.total_pence, self.delegates)
        return 0 if per is None else per

    @property
    def cost_per_trained_pence(self) -> int | None:
        """The whole cost over the delegates whose completion is linked; None before any is."""
        return divide(self.total_pence, sum(1 for d in self.delegate_links if d.completion_id))

    @property
    def title(self) -> str:
        return self.module.title if self.module is not None else self.course_title


class PurchaseDelegate(Base):
    """A person a purchase paid for, and the completion it led to (when recorded)."""

    __tablename__ = "purchase_delegate"
    __table_args__ = (UniqueConstraint("purchase_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    purchase_id: Mapped[int] = mapped_column(ForeignKey("purchase.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    #: The delegate's school when linked (apportioning trust-central spend "by use").
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"))
    completion_id: Mapped[int | None] = mapped_column(ForeignKey("completion.id"))

    purchase: Mapped[Purchase] = relationship(back_populates="delegate_links")
    person: Mapped[Person] = relationship()
