"""``SpendReportService``: the spend report of one year for a scope (the whole organisation, or
the schools a CPD lead leads).

Every table is built once, as text cells made by ``rules.money.money_text`` and
``percent_text`` from integer pence: the page, the CSV and the XLSX show the very same strings,
so a figure cannot round one way on screen and another in a download. Totals are sums of the
integer pence shown in the rows (each row already rounded once), so every column adds up.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cpd_tracker.dates import local_date, long_date
from cpd_tracker.models import FundingSource, Membership, Person, Purchase, School, StaffRole
from cpd_tracker.rules.money import (
    MembershipValue,
    PurchaseUnderMembership,
    SchoolFigures,
    ShareBasis,
    YearKind,
    YearWindow,
    academic_year_label,
    apportion,
    census_figure,
    census_year,
    divide,
    membership_value,
    missing_figures,
    money_text,
    percent_text,
    share_weights,
    spread_by_days,
    year_of,
    year_window,
)
from cpd_tracker.services.compliance import VALID, ComplianceService
from cpd_tracker.services.employed import employed_sql
from cpd_tracker.services.spend.records import SpendService

#: A date stays a date, so the downloads keep it as one; pages write it with date_uk.
Cell = str | int | dt.date

FUNDING_LABELS = {
    FundingSource.SCHOOL_BUDGET.value: "School budget",
    FundingSource.TRUST_CENTRAL.value: "Trust central",
    FundingSource.GRANT.value: "Grant",
    FundingSource.NPQ_SCHOLARSHIP.value: "NPQ scholarship",
}
BASIS_LABELS = {
    ShareBasis.PUPILS.value: "By pupils",
    ShareBasis.STAFF.value: "By staff",
    ShareBasis.EQUALLY.value: "Equally",
    ShareBasis.USE.value: "By use (delegates)",
}
CENTRAL = "Trust central"


@dataclass(frozen=True)
class Scope:
    organisation_id: int
    #: None: the whole organisation, trust-central spend included (trust leaders, finance).
    school_ids: frozenset[int] | None

    @property
    def trust_wide(self) -> bool:
        return self.school_ids is None


@dataclass
class Totals:
    purchases: int = 0
    delegates: int = 0
    list_total: int = 0
    discount: int = 0
    net: int = 0
    vat: int = 0
    recoverable_vat: int = 0
    supply: int = 0
    travel: int = 0
    funded: int = 0

    @property
    def total(self) -> int:
        """Net of recoverable VAT: what the training cost, whoever paid."""
        return self.net + self.vat - self.recoverable_vat + self.supply + self.travel

    @property
    def school_cost(self) -> int:
        return self.total - self.funded

    def add(self, p: Purchase) -> None:
        cost = p.cost
        self.purchases += 1
        self.delegates += p.delegates
        self.list_total += cost.list_total
        self.discount += cost.discount
        self.net += cost.net
        self.vat += cost.vat
        self.recoverable_vat += cost.recoverable_vat
        self.supply += cost.supply
        self.travel += cost.travel
        self.funded += cost.funded


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    header: list[str]
    rows: list[list[Cell]]
    numeric: tuple[int, ...] = ()
    #: (label, pence) pairs for a bar chart of the table, when it has one.
    chart: list[tuple[str, int]] = field(default_factory=list)
    note: str = ""
    #: The column that matters (the total, the net benefit): a page keeps it in view while
    #: the others scroll (``ui.table``'s ``key``); the download has the same order.
    key_column: int | None = None


SPEND_HEADINGS = [
    "Purchases",
    "Delegates",
    "List price (ex VAT)",
    "Discount",
    "Training after discount (ex VAT)",
    "VAT",
    "VAT recoverable",
    "Supply cover",
    "Travel",
    "Total (net of recoverable VAT)",
    "Funded by DfE or a grant",
    "Cost to the school",
]
SPEND_NOTE = (
    "Discounts come off the ex-VAT list price. VAT that the school recovers (maintained "
    "schools through the local authority, VATA 1994 s.33; academies and the trust under "
    "s.33B) is not a cost. Training paid by DfE (NPQ scholarships) or a grant is shown but "
    "is not the school's cost; supply cover and travel are. A purchase counts in the year "
    "the training is delivered (the booking date while no delivery date is recorded)."
)


def _spend_cells(t: Totals) -> list[Cell]:
    return [
        t.purchases,
        t.delegates,
        money_text(t.list_total),
        money_text(t.discount),
        money_text(t.net),
        money_text(t.vat),
        money_text(t.recoverable_vat),
        money_text(t.supply),
        money_text(t.travel),
        money_text(t.total),
        money_text(t.funded),
        money_text(t.school_cost),
    ]


def breakdown(
    key: str, title: str, heading: str, purchases: Iterable[Purchase], by: Callable[[Purchase], str]
) -> Table:
    groups: dict[str, Totals] = defaultdict(Totals)
    overall = Totals()
    for p in purchases:
        groups[by(p)].add(p)
        overall.add(p)
    ordered = sorted(groups.items(), key=lambda kv: (-kv[1].school_cost, -kv[1].total, kv[0]))
    rows = [[label, *_spend_cells(t)] for label, t in ordered]
    if rows:
        rows.append(["Total", *_spend_cells(overall)])
    return Table(
        key,
        title,
        [heading, *SPEND_HEADINGS],
        rows,
        numeric=tuple(range(1, len(SPEND_HEADINGS) + 1)),
        chart=[(label, t.school_cost) for label, t in ordered],
        note=SPEND_NOTE,
        key_column=10,  # Total (net of recoverable VAT)
    )


@dataclass
class SpendReport:
    scope: Scope
    window: YearWindow
    tables: list[Table]

    def table(self, key: str) -> Table | None:
        return next((t for t in self.tables if t.key == key), None)


class SpendReportService:
    def __init__(
        self, session: Session, records: SpendService, compliance: ComplianceService
    ) -> None:
        self.session = session
        self.records = records
        self.compliance = compliance

    def window(
        self,
        organisation_id: int,
        first_year: int | None,
        today: dt.date,
        kind: YearKind | None = None,
    ) -> YearWindow:
        """The year to report: of ``kind`` (academy, September to August; financial, April to
        March), by default the calendar set in the organisation's settings."""
        if kind is None:
            kind = self.records.organisation(organisation_id).spend_year
        if first_year is None:
            return year_of(kind, today)
        return year_window(kind, first_year)

    def report(
        self, scope: Scope, window: YearWindow, today: dt.date, basis: ShareBasis
    ) -> SpendReport:
        org = scope.organisation_id
        purchases = self.records.purchases(
            org,
            start=window.start,
            end=window.end,
            school_ids=scope.school_ids,
            central=False,
        )
        tables = [
            breakdown(
                "schools",
                "Spend by school",
                "School",
                purchases,
                lambda p: p.school.name if p.school else CENTRAL,
            ),
            breakdown(
                "providers", "Spend by provider", "Provider", purchases, lambda p: p.provider.name
            ),
            breakdown("modules", "Spend by training", "Training", purchases, lambda p: p.title),
            breakdown(
                "categories",
                "Spend by category",
                "Category",
                purchases,
                lambda p: p.module.category if p.module else "Not in the catalogue",
            ),
            breakdown(
                "funding",
                "Spend by funding source",
                "Funding source",
                purchases,
                lambda p: FUNDING_LABELS[p.funding_source.value],
            ),
            self._finance_codes(scope, purchases, window),
            self._memberships(scope, window),
            self._cost_per_compliant(scope, purchases, window, today),
            self._apportionment(scope, window, today, basis),
        ]
        return SpendReport(scope, window, tables)

    # -- finance codes --------------------------------------------------------------------

    def _finance_codes(
        self, scope: Scope, purchases: Iterable[Purchase], window: YearWindow
    ) -> Table:
        """Amounts by (CFR code, nominal code): the training and travel of each purchase, its
        supply cover under E02 or E26, and the membership fees in scope for the part of their
        year that falls in ``window`` (as in "Membership value")."""
        codes: dict[tuple[str, str], int] = defaultdict(int)
        fees: dict[tuple[str, str], int] = defaultdict(int)
        for p in purchases:
            codes[(p.finance_code, p.nominal_code)] += p.cost.training + p.travel_pence
            if p.supply_pence:
                codes[(p.supply_code or "Supply (no code)", "")] += p.supply_pence
        for m in self.records.memberships(scope.organisation_id, scope.school_ids):
            fee = spread_by_days(m.fee_pence, m.starts_on, m.ends_on, window.kind).get(window, 0)
            if fee:
                codes[(m.finance_code, m.nominal_code)] += fee
                fees[(m.finance_code, m.nominal_code)] += fee
        rows: list[list[Cell]] = [
            [code, nominal, money_text(fees[(code, nominal)]), money_text(v)]
            for (code, nominal), v in sorted(codes.items())
        ]
        if rows:
            rows.append(
                ["Total", "", money_text(sum(fees.values())), money_text(sum(codes.values()))]
            )
        return Table(
            "codes",
            "Spend by finance code",
            ["CFR code", "Trust nominal code", "Of which membership fees", "Amount"],
            rows,
            numeric=(2, 3),
            key_column=3,
            note="E09 staff development and training, or E27 bought-in professional services "
            "for a bought-in trainer (training after discount and net of "
            "recoverable VAT, and travel); supply cover separately as E02 supply teaching staff "
            "or E26 agency supply. DfE- and grant-funded training is included: it is spent "
            "through the books, with its funding as income. Membership fees are included under "
            f"the codes given on each membership, for the part of the membership year in "
            f"{window.label}.",
        )

    # -- membership value -----------------------------------------------------------------

    def _memberships(self, scope: Scope, window: YearWindow) -> Table:
        memberships = [
            m
            for m in self.records.memberships(scope.organisation_id, scope.school_ids)
            if m.starts_on <= window.end and m.ends_on >= window.start
        ]
        rows: list[list[Cell]] = []
        for m in memberships:
            value = self.value_of(m)
            in_year = spread_by_days(m.fee_pence, m.starts_on, m.ends_on, window.kind)
            rows.append(
                [
                    m.name,
                    f"{long_date(m.starts_on)} to {long_date(m.ends_on)}",
                    money_text(m.fee_pence),
                    money_text(in_year.get(window, 0)),
                    money_text(value.discounts),
                    money_text(value.included_value),
                    money_text(value.net_benefit),
                    percent_text(value.return_ratio),
                    percent_text(value.realised_rate),
                    _maybe_money(value.break_even_list_spend),
                    _maybe_money(value.break_even_net_spend),
                    money_text(value.discounts_not_counted),
                ]
            )
        return Table(
            "memberships",
            "Membership value",
            [
                "Membership",
                "Membership year",
                "Fee (F)",
                f"Fee in {window.label}",
                "Discounts realised (D)",
                "Included training used (I)",
                "Net benefit (D + I - F)",
                "Return",
                "Average discount (d)",
                "Break-even spend at list price",
                "Break-even spend after discount",
                "Discounts on training bought only for the discount (not in D)",
            ],
            rows,
            numeric=tuple(range(2, 12)),
            key_column=6,  # Net benefit
            note="For the whole membership year. Break-even: the spend at list price on which "
            "the average discount realised, d, saves the fee not covered by included training, "
            "(F - I) / d; and what that training costs after the discount. “Not yet” when no "
            "discount has been realised. D counts only training that would have been bought "
            "anyway.",
        )

    def value_of(self, membership: Membership) -> MembershipValue:
        purchases = self.session.scalars(
            select(Purchase).where(
                Purchase.membership_id == membership.id,
                Purchase.organisation_id == membership.organisation_id,
            )
        )
        return membership_value(
            membership.fee_pence,
            (
                PurchaseUnderMembership(
                    p.list_total_pence,
                    p.discount_pence,
                    p.included,
                    p.included_pence,
                    p.bought_anyway,
                )
                for p in purchases
            ),
        )

    # -- cost per compliant member of staff ---------------------------------------------

    def _cost_per_compliant(
        self, scope: Scope, purchases: list[Purchase], window: YearWindow, today: dt.date
    ) -> Table:
        """Each required training's cost in the year beside the delegates it trained and the
        staff compliant with it at the end of that year (today, while the year is running):
        the same year's compliance, not today's for a past year."""
        as_of = min(window.end, today)
        cost: dict[int, int] = defaultdict(int)
        booked: dict[int, int] = defaultdict(int)
        trained: dict[int, int] = defaultdict(int)
        for p in purchases:
            if p.module_id is not None:
                cost[p.module_id] += p.school_cost_pence
                booked[p.module_id] += p.delegates
                trained[p.module_id] += sum(1 for d in p.delegate_links if d.completion_id)
        compliant: dict[int, set[int]] = defaultdict(set)
        titles: dict[int, str] = {}
        for school in self._schools(scope):
            result = self.compliance.school(school, as_of)
            for requirement in result.requirements:
                titles[requirement.module_id] = requirement.module.title
            for row in result.cells.values():
                if row.result.status in VALID:
                    compliant[row.module_id].add(row.person_id)
        rows: list[list[Cell]] = []
        for module_id, title in sorted(titles.items(), key=lambda kv: kv[1]):
            count = len(compliant[module_id])
            per = divide(cost[module_id], count)
            per_trained = divide(cost[module_id], trained[module_id])
            rows.append(
                [
                    title,
                    money_text(cost[module_id]),
                    booked[module_id],
                    trained[module_id],
                    "n/a" if per_trained is None else money_text(per_trained),
                    count,
                    "n/a" if per is None else money_text(per),
                ]
            )
        return Table(
            "compliance",
            "Cost per delegate trained and per compliant member of staff",
            [
                "Required training",
                f"Cost to the school in {window.label}",
                "Delegates booked",
                "Delegates trained",
                "Cost per delegate trained",
                f"Staff compliant on {long_date(as_of)}",
                "Cost per compliant",
            ],
            rows,
            numeric=(1, 2, 3, 4, 5, 6),
            key_column=6,  # Cost per compliant
            note=f"The year's cost to the school of each required training (after discount, "
            f"net of recoverable VAT, with supply cover and travel; DfE- and grant-funded "
            f"training left out), over the delegates whose completion is linked to the "
            f"purchase, and over the staff compliant with it on {long_date(as_of)}, the end of "
            f"{window.label} (or today while it runs).",
        )

    # -- apportionment ----------------------------------------------------------------------

    def _schools(self, scope: Scope) -> list[School]:
        schools = self.records.schools(scope.organisation_id)
        if scope.school_ids is None:
            return schools
        return [s for s in schools if s.id in scope.school_ids]

    def staff_counts(self, organisation_id: int, today: dt.date) -> dict[int, int]:
        """Staff on each school's list on ``today`` (for a past year, its last day): employed,
        their role begun and not ended."""
        rows = self.session.execute(
            select(StaffRole.school_id, func.count(func.distinct(StaffRole.person_id)))
            .join(Person, Person.id == StaffRole.person_id)
            .where(
                Person.organisation_id == organisation_id,
                Person.active.is_(True),
                employed_sql(today),
                (StaffRole.ended_on.is_(None)) | (StaffRole.ended_on >= today),
                (StaffRole.started_on.is_(None)) | (StaffRole.started_on <= today),
            )
            .group_by(StaffRole.school_id)
        )
        return {school_id: int(n) for school_id, n in rows}

    def _apportionment(
        self, scope: Scope, window: YearWindow, today: dt.date, basis: ShareBasis
    ) -> Table:
        org = scope.organisation_id
        central = self.records.purchases(
            org, start=window.start, end=window.end, school_ids=(), central=True
        )
        central_total = sum(p.school_cost_pence for p in central)
        use: dict[int, int] = defaultdict(int)
        for p in central:
            for d in p.delegate_links:
                if d.school_id is not None:
                    use[d.school_id] += 1
        schools = self.records.schools(org)
        # The year's own staff: on its last day (today, while it runs), not today's for a
        # past year; and the year's own pupils (its census figures, else an earlier year's).
        as_of = min(window.end, today)
        staff = self.staff_counts(org, as_of)
        wanted = census_year(window)
        entered = self.records.census(org)
        pupils = {s.id: census_figure(entered.get(s.id, {}), wanted) for s in schools}
        figures = [
            SchoolFigures(s.id, pupils[s.id].pupils, staff.get(s.id, 0), use[s.id]) for s in schools
        ]
        shares = apportion(central_total, share_weights(basis, figures)) if central_total else {}
        fee_shares: dict[int, int] = defaultdict(int)
        unshared: list[str] = []
        shown = [s for s in schools if scope.school_ids is None or s.id in scope.school_ids]
        for m in self.records.memberships(org):
            if m.school_id is not None:
                continue
            fee = spread_by_days(m.fee_pence, m.starts_on, m.ends_on, window.kind).get(window, 0)
            if not fee:
                continue
            parts = apportion(fee, share_weights(m.share_basis, figures))
            if parts is None:
                unshared.append(m.name)
                continue
            for school_id, part in parts.items():
                fee_shares[school_id] += part
        rows: list[list[Cell]] = []
        for s in shown:
            central_part = (shares or {}).get(s.id, 0)
            on_roll = pupils[s.id].pupils
            rows.append(
                [
                    s.name,
                    "not entered" if on_roll is None else on_roll,
                    staff.get(s.id, 0),
                    use[s.id],
                    money_text(central_part),
                    money_text(fee_shares[s.id]),
                    money_text(central_part + fee_shares[s.id]),
                ]
            )
        if scope.trust_wide and rows:
            fees = sum(fee_shares.values())
            shared = sum((shares or {}).values())
            rows.append(
                [
                    "Total",
                    sum(p.pupils or 0 for p in pupils.values()),
                    sum(staff.values()),
                    sum(use.values()),
                    money_text(shared),
                    money_text(fees),
                    money_text(shared + fees),
                ]
            )
        # A CPD lead sees their school's share, never the trust-wide total.
        total = f", {money_text(central_total)}," if scope.trust_wide else ""
        notes = [
            f"Trust-central training this year{total} shared "
            f"{BASIS_LABELS[basis.value].lower()}; trust memberships' fees for the part of "
            f"their year in {window.label}, each shared as the membership says. Staff are "
            f"those on the list on {long_date(as_of)}; pupils are the "
            f"{academic_year_label(wanted)} figures entered in Settings."
        ]
        if shares is None:
            notes.append(
                "The central training could not be shared this way: "
                + (
                    "enter the schools' pupil numbers in Settings."
                    if basis is ShareBasis.PUPILS
                    else "there is nothing to share it by yet."
                )
            )
        by_pupils = (central_total and basis is ShareBasis.PUPILS) or any(
            m.school_id is None and m.share_basis is ShareBasis.PUPILS
            for m in self.records.memberships(org)
            if m.starts_on <= window.end and m.ends_on >= window.start
        )
        fallbacks: dict[int, list[str]] = defaultdict(list)
        for s in shown:
            year = pupils[s.id].year
            if year is not None and pupils[s.id].fallback(wanted):
                fallbacks[year].append(s.name)
        for year, names_used in sorted(fallbacks.items(), reverse=True):
            if by_pupils:
                notes.append(
                    f"Warning: no pupil numbers for {academic_year_label(wanted)} for "
                    f"{', '.join(names_used)}: the {academic_year_label(year)} figures are "
                    f"used until that year's are entered in Settings."
                )
        if unshared:
            notes.append("Not shared (nothing to share by): " + ", ".join(unshared) + ".")
        names = {s.id: s.name for s in schools}
        in_scope = {s.id for s in shown}
        for what, share_basis in (
            ("pupil numbers", ShareBasis.PUPILS),
            ("staff", ShareBasis.STAFF),
        ):
            used = (central_total and basis is share_basis) or any(
                m.school_id is None and m.share_basis is share_basis
                for m in self.records.memberships(org)
                if m.starts_on <= window.end and m.ends_on >= window.start
            )
            missing = [names[i] for i in missing_figures(share_basis, figures) if i in in_scope]
            if used and missing:
                when = (
                    f" for {academic_year_label(wanted)} or an earlier year"
                    if share_basis is ShareBasis.PUPILS
                    else ""
                )
                notes.append(
                    f"Warning: no {what} recorded for {', '.join(missing)}{when}: "
                    f"{'it gets' if len(missing) == 1 else 'they get'} no share of what is "
                    f"shared by {what}, and the others' shares are larger until "
                    + (
                        "they are entered in Settings."
                        if what == "pupil numbers"
                        else "the staff list is imported."
                    )
                )
        return Table(
            "apportionment",
            "Trust-central spend shared out to schools",
            [
                "School",
                "Pupils",
                "Staff",
                "Delegates on central training",
                "Central training",
                "Membership fees",
                "Total",
            ],
            rows,
            numeric=(1, 2, 3, 4, 5, 6),
            key_column=6,
            note=" ".join(notes),
        )


def _maybe_money(pence: int | None) -> str:
    return "Not yet" if pence is None else money_text(pence)


def year_choices(kind: YearKind, today: dt.date, earliest: dt.date | None) -> list[YearWindow]:
    """The years to offer: from the first purchase's (or three years back) to next year."""
    current = year_of(kind, today)
    first = year_of(kind, earliest).start.year if earliest else current.start.year - 2
    first = max(min(first, current.start.year - 2), current.start.year - 10)
    return [year_window(kind, y) for y in range(current.start.year + 1, first - 1, -1)]


PURCHASE_HEADINGS = [
    "Date booked",
    "Date delivered",
    "School",
    "Provider",
    "Training",
    "Delegates",
    "List price per delegate",
    "Discount",
    "Suggested discount",
    "Training after discount (ex VAT)",
    "VAT rate",
    "VAT",
    "VAT recoverable",
    "Supply cover",
    "Supply code",
    "Travel",
    "Total (net of recoverable VAT)",
    "Cost to the school",
    "Funding source",
    "Finance code",
    "Trust nominal code",
    "Notional SEN",
    "Membership",
    "Included places",
    "Delegates named",
    "Cost per delegate",
    "Reference",
]


def purchases_table(purchases: Iterable[Purchase]) -> Table:
    """Every purchase as one row, the same text on the page and in both downloads."""
    rows: list[list[Cell]] = []
    for p in purchases:
        cost = p.cost
        per = divide(cost.total, p.delegates)
        rows.append(
            [
                p.purchased_on,
                "" if p.delivered_on is None else p.delivered_on,
                p.school.name if p.school else CENTRAL,
                p.provider.name,
                p.title,
                p.delegates,
                money_text(p.list_price_pence),
                money_text(p.discount_pence),
                money_text(p.suggested_discount_pence),
                money_text(p.net_pence),
                vat_rate_text(p.vat_rate),
                money_text(cost.vat),
                money_text(cost.recoverable_vat),
                money_text(p.supply_pence),
                p.supply_code or "",
                money_text(p.travel_pence),
                money_text(cost.total),
                money_text(cost.school_cost),
                FUNDING_LABELS[p.funding_source.value],
                p.finance_code,
                p.nominal_code,
                "Yes" if p.notional_sen else "No",
                p.membership.name if p.membership else "",
                f"{p.included_places} of {p.delegates}" if p.included_places else "No",
                len(p.delegate_links),
                "n/a" if per is None else money_text(per),
                p.reference,
            ]
        )
    return Table(
        "purchases",
        "Purchases",
        PURCHASE_HEADINGS,
        rows,
        numeric=(5, 6, 7, 8, 9, 11, 12, 13, 15, 16, 17, 24, 25),
    )


def census_table(records: SpendService, organisation_id: int) -> Table:
    """Every pupil figure entered, latest year first: school, year, pupils, who entered it and
    when (the same cells on the settings page and in both downloads)."""
    schools = {s.id: s.name for s in records.schools(organisation_id)}
    rows = records.census_rows(organisation_id)
    people = {
        p.id: p.display_name
        for p in records.session.scalars(
            select(Person).where(Person.id.in_({r.entered_by_id for r in rows} - {None}))
        )
    }
    cells: list[list[Cell]] = [
        [
            academic_year_label(r.academic_year),
            schools.get(r.school_id, ""),
            r.pupils,
            people.get(r.entered_by_id, "") if r.entered_by_id else "Carried over at upgrade",
            local_date(r.entered_at),
        ]
        for r in sorted(rows, key=lambda r: (-r.academic_year, schools.get(r.school_id, "")))
    ]
    return Table(
        "census",
        "Pupil numbers by year",
        ["Academic year", "School", "Pupils", "Entered by", "Entered on"],
        cells,
        numeric=(2,),
        key_column=2,
    )


def vat_rate_text(rate: Decimal | None) -> str:
    """20 -> "20%", 0 -> "0% (exempt or zero-rated)", None -> "Not stated"."""
    if rate is None:
        return "Not stated"
    if not rate:
        return "0% (exempt or zero-rated)"
    return f"{rate.normalize():f}%"
