"""Pure money rules for training spend (DOMAIN.md, "Money"): no database, no clock.

Conventions, decided here once and used by every page, CSV and XLSX:

* **Storage.** Money is whole pence (``int``) everywhere; ratios (discount percentages, the
  realised discount, the return) are ``Decimal``. Floats never touch money.
* **One rounding rule.** ``round_pence`` rounds a ``Decimal`` amount of pence half-up to the
  penny. It is applied to each derived figure *before* it is shown, exported or summed, so a
  total is always the sum of the figures shown above it.
* **One formatting rule.** ``money_text`` turns pence into the text the page, the CSV and the
  XLSX all show ("£1,234.50", "-£12.00"); ``percent_text`` does the same for ratios (one
  decimal place, half-up).
* **Splitting a whole.** ``apportion`` shares a sum of pence by weights with the
  largest-remainder method: the parts always add up exactly to the whole.

Discounts (a membership's rules):

* A rule gives a percentage off the list price for a **provider**, a **module** or a
  **category**, with an optional **cap**. The cap is **per delegate**: the list price is per
  delegate, so booking three places at once or in three bookings gives the same discount and
  the cost per trained person does not depend on how a booking was split.
* Discounts never stack. When several rules (of one or several active memberships) apply, the
  suggestion is the one **best for the buyer**: the largest discount in pence after its cap;
  on a tie, the more specific rule (module, then category, then provider). A membership says
  "up to 30% off": the tool suggests what the trust is entitled to ask for, and the person
  recording the purchase may override it with a reason.
* A purchase may instead use a membership's **included** places: then the discount is the whole
  list price, net cost nil, and its list value counts as included training used (I), not as a
  discount (D).

Membership value, for one membership year with fee F (DOMAIN.md):

* D, realised discount savings: the discounts actually given on purchases under the membership
  that would have been bought anyway (DOMAIN.md); a purchase marked as bought only because of
  the discount saved nothing, so its discount is shown apart and not counted in D or d.
* I, included training used: the list value of purchases that used included places.
* d, average realised discount: D over the list-price spend of the discounted purchases.
* net benefit = D + I - F; return = (D + I - F) / F.
* break-even: DOMAIN.md's "break-even discounted spend = (F - I) / d" and the issue's
  "break-even list-price spend" are the same number: dividing by d gives the spend **at list
  price** on which a discount of d saves F - I (fee £1,500, nothing included, d = 20%:
  £1,500 / 0.2 = £7,500 at list price). What the trust then actually pays for that training,
  after the discount, is (F - I)(1 - d) / d (£6,000 in the example). We show both, named
  "at list price" and "after discount".

Years: the academy year runs 1 September to 31 August, the financial year 1 April to
31 March; a year is named by its first calendar year ("2025/26"). A membership fee is spread
over the years its membership year touches by days (inclusive of both ends), with the
largest-remainder split, so the parts add up to the fee.

Money as school finance sees it (issue 16):

* **VAT.** A purchase holds its net (ex-VAT) list price; a discount applies to that ex-VAT
  list price, and VAT is charged on what is left (``vat_on``). The VAT rate is 20% (standard),
  0% (exempt or zero-rated) or not stated (rows recorded before VAT was asked: VAT unknown,
  counted as nil). VAT the school can recover is not a cost to it (``vat_recovery``):
  maintained schools (and PRUs, maintained nursery and special schools) recover it through
  their local authority under VATA 1994 s.33; academies, free schools and their trust under
  VATA 1994 s.33B. For both, the cost to the school is net of the recoverable VAT.
  Non-maintained special and independent schools recover nothing here (the VAT is a cost).
* **Which year.** A purchase belongs to the year in which the training is delivered
  (accruals), not the day it was booked (``accounting_date``); the booking date is kept.
  Academies' financial year runs September to August, maintained schools' April to March: the
  report can be read in either calendar.
* **Who pays.** A line funded by DfE (an NPQ scholarship) or by a grant is shown but its
  training fee is not the school's cost (``PurchaseCost.school_cost``); supply cover and
  travel stay the school's cost, because that funding pays for the course, not the cover.
* **Pupil numbers per year.** Costs of a year are shared by that year's pupils: the census
  figures of the academic year the reporting year ends in (``census_year``: academy year
  2024/25 uses the 2024/25 figures, the October 2024 or January 2025 census; the financial
  year April 2025 to March 2026 the 2025/26 figures). A school with no figure for that year
  falls back to its nearest earlier year, named in a warning (``census_figure``); with none
  before, it has no pupil numbers and the "missing pupil numbers" warning names it.
* **Included places used in part.** Three delegates with two included places left: two on
  included places (their list price is I, not a discount) and one paid, with the best
  discount rule for the paid place.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

K = TypeVar("K", bound=Hashable)

HUNDRED = Decimal(100)


# --- Rounding and formatting ----------------------------------------------------------------


def round_pence(amount: Decimal) -> int:
    """An amount of pence (possibly fractional) to whole pence, half-up: the one rounding rule."""
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


#: Negative figures start with a minus sign (U+2212), not a hyphen: a cell starting with "-" is
#: treated as a formula by spreadsheets, and exports.py guards such cells by prefixing "'",
#: which would make the download differ from the page.
MINUS = "\u2212"


class MoneyText(str):
    """The text of an amount ("£1,234.50"), remembering its pence: a page and a CSV show the
    text; an XLSX writes the number with a currency format that displays the same text, so a
    spreadsheet can add it up (see ``cpd_tracker.exports``)."""

    pence: int

    def __new__(cls, text: str, pence: int) -> MoneyText:
        made = super().__new__(cls, text)
        made.pence = pence
        return made


def money_text(pence: int) -> MoneyText:
    """Pence as the text every page, CSV and XLSX shows: 123450 -> "£1,234.50"; negative
    amounts with a minus sign (U+2212) before the pound sign."""
    sign = MINUS if pence < 0 else ""
    whole, part = divmod(abs(pence), 100)
    return MoneyText(f"{sign}£{whole:,}.{part:02d}", pence)


def percent_text(ratio: Decimal | None) -> str:
    """A ratio as a percentage with one decimal, half-up: Decimal("0.2") -> "20.0%"."""
    if ratio is None:
        return "n/a"
    value = (ratio * HUNDRED).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{MINUS if value < 0 else ''}{abs(value)}%"


def percent_of(pence: int, percent: Decimal) -> int:
    """``percent`` per cent of ``pence``, rounded once."""
    return round_pence(Decimal(pence) * percent / HUNDRED)


def divide(pence: int, by: int | Decimal) -> int | None:
    """Pence divided (cost per person, break-even), rounded once; None when dividing by zero."""
    if not by:
        return None
    return round_pence(Decimal(pence) / Decimal(by))


# --- Apportionment --------------------------------------------------------------------------


def apportion(total: int, weights: Mapping[K, int | Decimal]) -> dict[K, int] | None:
    """Share ``total`` pence by ``weights`` with the largest-remainder method.

    Each part is first rounded down; the pence left over go one each to the largest
    remainders (ties in the order the weights were given). The parts sum exactly to ``total``.
    Returns None when there is nothing to share by (no weights, or all zero); negative weights
    are refused.
    """
    if any(w < 0 for w in weights.values()):
        raise ValueError("weights must not be negative")
    weight_sum = sum((Decimal(w) for w in weights.values()), Decimal(0))
    if not weights or weight_sum == 0:
        return None
    sign = -1 if total < 0 else 1
    whole = abs(total)
    exact = {k: Decimal(whole) * Decimal(w) / weight_sum for k, w in weights.items()}
    parts = {k: int(v) for k, v in exact.items()}  # int() of a positive Decimal rounds down
    left = whole - sum(parts.values())
    order = list(weights)
    by_remainder = sorted(order, key=lambda k: (-(exact[k] - parts[k]), order.index(k)))
    for k in by_remainder[:left]:
        parts[k] += 1
    return {k: sign * v for k, v in parts.items()}


class ShareBasis(enum.StrEnum):
    """How a shared cost (a trust membership, trust-central training) is shared out."""

    PUPILS = "pupils"
    STAFF = "staff"
    EQUALLY = "equally"
    USE = "use"


@dataclass(frozen=True)
class SchoolFigures:
    """What apportionment needs to know about one school."""

    school_id: int
    pupils: int | None
    staff: int
    #: Delegates from this school on the shared purchases (apportioning "by use").
    use: int


def share_weights(basis: ShareBasis, schools: Sequence[SchoolFigures]) -> dict[int, int]:
    if basis is ShareBasis.PUPILS:
        return {s.school_id: s.pupils or 0 for s in schools}
    if basis is ShareBasis.STAFF:
        return {s.school_id: s.staff for s in schools}
    if basis is ShareBasis.USE:
        return {s.school_id: s.use for s in schools}
    return {s.school_id: 1 for s in schools}


def missing_figures(basis: ShareBasis, schools: Sequence[SchoolFigures]) -> list[int]:
    """The schools that sharing by ``basis`` would silently give nothing because a figure is
    missing: no pupil numbers entered (by pupils), no staff recorded (by staff). The report
    names them rather than show £0."""
    if basis is ShareBasis.PUPILS:
        return [s.school_id for s in schools if not s.pupils]
    if basis is ShareBasis.STAFF:
        return [s.school_id for s in schools if not s.staff]
    return []


# --- Years ----------------------------------------------------------------------------------


class YearKind(enum.StrEnum):
    #: 1 September to 31 August (academies' financial year too).
    ACADEMY = "academy"
    #: 1 April to 31 March (maintained schools' financial year).
    FINANCIAL = "financial"


_FIRST_MONTH = {YearKind.ACADEMY: 9, YearKind.FINANCIAL: 4}


@dataclass(frozen=True, order=True)
class YearWindow:
    start: dt.date
    #: Inclusive.
    end: dt.date
    kind: YearKind

    @property
    def label(self) -> str:
        return f"{self.start.year}/{(self.start.year + 1) % 100:02d}"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def census_year(window: YearWindow) -> int:
    """The academic year (named by its first calendar year) whose pupil numbers share out the
    costs of ``window``: the one the reporting year ends in. Academy year 2024/25 -> 2024;
    financial year 1 April 2025 to 31 March 2026 -> 2025 (on roll for seven of its months)."""
    return year_of(YearKind.ACADEMY, window.end).start.year


@dataclass(frozen=True)
class CensusFigure:
    """The pupils one school is counted with for a year, and the year they were entered for
    (earlier than asked when that year's are missing); both None when there are none."""

    pupils: int | None
    year: int | None

    def fallback(self, wanted: int) -> bool:
        return self.year is not None and self.year != wanted


def census_figure(entered: Mapping[int, int], wanted: int) -> CensusFigure:
    """A school's pupils for academic year ``wanted`` from its figures by year: that year's,
    else the nearest earlier year's, else none. A later year never stands in for an earlier
    one (pupils counted after the costs were incurred)."""
    earlier = [year for year in entered if year <= wanted]
    if not earlier:
        return CensusFigure(None, None)
    year = max(earlier)
    return CensusFigure(entered[year], year)


def academic_year_label(first_year: int) -> str:
    """2024 -> "2024/25"."""
    return f"{first_year}/{(first_year + 1) % 100:02d}"


def year_window(kind: YearKind, first_year: int) -> YearWindow:
    """The academy or financial year that starts in ``first_year``."""
    month = _FIRST_MONTH[kind]
    start = dt.date(first_year, month, 1)
    return YearWindow(start, dt.date(first_year + 1, month, 1) - dt.timedelta(days=1), kind)


def year_of(kind: YearKind, day: dt.date) -> YearWindow:
    """The year of this kind that contains ``day``."""
    first = day.year if day.month >= _FIRST_MONTH[kind] else day.year - 1
    return year_window(kind, first)


def overlap_days(start: dt.date, end: dt.date, window: YearWindow) -> int:
    first, last = max(start, window.start), min(end, window.end)
    return max(0, (last - first).days + 1)


def spread_by_days(
    amount: int, start: dt.date, end: dt.date, kind: YearKind
) -> dict[YearWindow, int]:
    """``amount`` pence over ``start``..``end`` (inclusive) shared between the years of this
    kind that period touches, by days, largest remainder: the parts sum to ``amount``."""
    if end < start:
        raise ValueError("the period ends before it starts")
    windows: list[YearWindow] = []
    window = year_of(kind, start)
    while window.start <= end:
        windows.append(window)
        window = year_window(kind, window.start.year + 1)
    weights = {w: overlap_days(start, end, w) for w in windows}
    parts = apportion(amount, weights)
    assert parts is not None  # every window overlaps by at least one day
    return parts


# --- Discounts ------------------------------------------------------------------------------


class RuleScope(enum.StrEnum):
    PROVIDER = "provider"
    MODULE = "module"
    CATEGORY = "category"


#: Tie-break between rules giving the same discount: the more specific wins.
_SPECIFICITY = {RuleScope.MODULE: 0, RuleScope.CATEGORY: 1, RuleScope.PROVIDER: 2}
MAX_PERCENT = Decimal(100)


@dataclass(frozen=True)
class DiscountRule:
    membership_id: int
    membership_name: str
    scope: RuleScope
    percent: Decimal
    #: Most off per delegate, in pence; None for no cap.
    cap_pence: int | None = None
    provider_id: int | None = None
    module_id: int | None = None
    category: str | None = None
    rule_id: int = 0

    def applies(self, item: PurchaseItem) -> bool:
        if self.scope is RuleScope.PROVIDER:
            return self.provider_id is not None and self.provider_id == item.provider_id
        if self.scope is RuleScope.MODULE:
            return self.module_id is not None and self.module_id == item.module_id
        return (
            self.category is not None
            and item.category is not None
            and self.category.casefold() == item.category.casefold()
        )

    def per_delegate(self, list_price_pence: int) -> int:
        off = percent_of(list_price_pence, self.percent)
        if self.cap_pence is not None:
            off = min(off, self.cap_pence)
        return min(off, list_price_pence)

    def describe(self) -> str:
        cap = "" if self.cap_pence is None else f", at most {money_text(self.cap_pence)} a place"
        return f"{self.membership_name}: {self.percent.normalize():f}% off{cap}"


@dataclass(frozen=True)
class IncludedPlaces:
    membership_id: int
    membership_name: str
    module_id: int
    #: Places still unused in the membership year.
    remaining: int


@dataclass(frozen=True)
class PurchaseItem:
    """What the discount depends on: what was bought, from whom, how many places, at what price."""

    provider_id: int | None
    module_id: int | None
    category: str | None
    list_price_pence: int
    delegates: int

    @property
    def list_total(self) -> int:
        return self.list_price_pence * self.delegates


@dataclass(frozen=True)
class Suggestion:
    discount_pence: int
    membership_id: int | None
    included: bool
    reason: str
    #: Delegates on the membership's included places (all of them, or some when fewer remain).
    included_places: int = 0


NO_DISCOUNT = Suggestion(0, None, False, "No membership discount applies")


def suggest_discount(
    item: PurchaseItem,
    rules: Iterable[DiscountRule],
    included: Iterable[IncludedPlaces] = (),
) -> Suggestion:
    """The discount to suggest for a purchase from the active memberships' terms.

    Included places come first (they make the training free): for every delegate when enough
    remain; when fewer remain than delegates, those left are used and the other delegates are
    paid places, with the applicable rule best for the buyer on them (three delegates, two
    places left: two included and one paid). Otherwise the applicable rule best for the buyer
    (see the module docstring).
    """
    places = next((p for p in included if item.module_id == p.module_id and p.remaining > 0), None)
    if places is not None and item.delegates > 0:
        used = min(places.remaining, item.delegates)
        left = f"{places.remaining} place{'' if places.remaining == 1 else 's'} left"
        free = item.list_price_pence * used
        if used == item.delegates:
            return Suggestion(
                free,
                places.membership_id,
                True,
                f"Included in {places.membership_name} ({left})",
                included_places=used,
            )
        paid = item.delegates - used
        rest = _best_rule(replace(item, delegates=paid), rules)
        rest_text = "" if rest is None else f" with {rest.describe()}"
        rest_off = 0 if rest is None else rest.per_delegate(item.list_price_pence) * paid
        return Suggestion(
            free + rest_off,
            places.membership_id,
            True,
            f"{used} included in {places.membership_name} ({left}) and {paid} paid{rest_text}",
            included_places=used,
        )
    rule = _best_rule(item, rules)
    if rule is None:
        return NO_DISCOUNT
    total = rule.per_delegate(item.list_price_pence) * item.delegates
    return Suggestion(total, rule.membership_id, False, rule.describe())


def _best_rule(item: PurchaseItem, rules: Iterable[DiscountRule]) -> DiscountRule | None:
    """The applicable rule best for the buyer (largest discount; ties: the more specific);
    None when none applies or the best gives nothing."""
    best: tuple[int, int, int, DiscountRule] | None = None
    for rule in rules:
        if not rule.applies(item):
            continue
        total = rule.per_delegate(item.list_price_pence) * item.delegates
        key = (-total, _SPECIFICITY[rule.scope], rule.rule_id, rule)
        if best is None or key[:3] < best[:3]:
            best = key
    if best is None or best[0] == 0:
        return None
    return best[3]


def net_cost(list_price_pence: int, delegates: int, discount_pence: int) -> int:
    """What the training itself cost: list price times delegates, less the discount."""
    gross = list_price_pence * delegates
    if not 0 <= discount_pence <= gross:
        raise ValueError("the discount must be between nothing and the whole list price")
    return gross - discount_pence


# --- VAT, which year, who pays (issue 16) ----------------------------------------------------

#: The standard rate of VAT, per cent.
STANDARD_VAT = Decimal(20)


class VatRate(enum.StrEnum):
    """What the purchase form asks: VAT at the standard rate, or none (exempt or zero-rated)."""

    STANDARD = "standard"
    NONE = "none"

    @property
    def percent(self) -> Decimal:
        return STANDARD_VAT if self is VatRate.STANDARD else Decimal(0)


def vat_on(net_pence: int, rate_percent: Decimal | None) -> int:
    """The VAT charged on a net (ex-VAT, after discount) amount; nil when the rate is not
    stated (rows recorded before VAT was asked) or nil."""
    if not rate_percent:
        return 0
    return percent_of(net_pence, rate_percent)


class VatRecovery(enum.StrEnum):
    #: Maintained schools: refunded through the local authority (VATA 1994 s.33).
    LOCAL_AUTHORITY = "local_authority"
    #: Academies, free schools and their trust: refunded under VATA 1994 s.33B.
    ACADEMY = "academy"
    #: Not recoverable here (non-maintained special and independent schools).
    NONE = "none"


#: By the school's type (``SchoolType`` values, Get Information about Schools' groups).
_RECOVERY = {
    "maintained": VatRecovery.LOCAL_AUTHORITY,
    "maintained_nursery": VatRecovery.LOCAL_AUTHORITY,
    "pupil_referral_unit": VatRecovery.LOCAL_AUTHORITY,
    "maintained_special": VatRecovery.LOCAL_AUTHORITY,
    "academy": VatRecovery.ACADEMY,
    "ap_academy": VatRecovery.ACADEMY,
    "special_academy": VatRecovery.ACADEMY,
    "non_maintained_special": VatRecovery.NONE,
    "independent": VatRecovery.NONE,
}
RECOVERY_LABELS = {
    VatRecovery.LOCAL_AUTHORITY: "Recovered through the local authority (VATA 1994 s.33)",
    VatRecovery.ACADEMY: "Recovered by the academy trust (VATA 1994 s.33B)",
    VatRecovery.NONE: "Not recoverable",
}


def vat_recovery(school_type: str | None, *, trust_central: bool = False) -> VatRecovery:
    """Who recovers the VAT on a purchase: by the buying school's type; trust-central
    purchases are the academy trust's (s.33B). A school whose type is not recorded is taken as
    a state school, as the SENCO rules do: maintained or academy, it recovers the VAT."""
    if trust_central:
        return VatRecovery.ACADEMY
    if school_type is None:
        return VatRecovery.ACADEMY
    return _RECOVERY.get(school_type, VatRecovery.NONE)


def accounting_date(delivered_on: dt.date | None, booked_on: dt.date) -> dt.date:
    """The day that puts a purchase in a year: when the training is delivered (accruals),
    else, while no delivery date is recorded, when it was booked."""
    return delivered_on if delivered_on is not None else booked_on


@dataclass(frozen=True)
class PurchaseCost:
    """What a purchase cost, and what of it is the school's cost (the module docstring)."""

    #: List price times delegates, ex VAT.
    list_total: int
    discount: int
    vat: int
    recovery: VatRecovery
    supply: int
    travel: int
    #: Funded by DfE (an NPQ scholarship) or by a grant.
    externally_funded: bool = False

    @property
    def net(self) -> int:
        """The training after discount, ex VAT."""
        return self.list_total - self.discount

    @property
    def recoverable_vat(self) -> int:
        return 0 if self.recovery is VatRecovery.NONE else self.vat

    @property
    def training(self) -> int:
        """The training's cost: net plus the VAT that cannot be recovered."""
        return self.net + self.vat - self.recoverable_vat

    @property
    def total(self) -> int:
        """Everything it cost: the training (net of recoverable VAT), supply cover, travel."""
        return self.training + self.supply + self.travel

    @property
    def funded(self) -> int:
        """The part paid by DfE or a grant: the training."""
        return self.training if self.externally_funded else 0

    @property
    def school_cost(self) -> int:
        """What counts as the school's (or trust's) own cost."""
        return self.total - self.funded


# --- Membership value -----------------------------------------------------------------------


@dataclass(frozen=True)
class PurchaseUnderMembership:
    list_total_pence: int
    discount_pence: int
    included: bool
    #: The list value of the delegates on included places when only some were (I); None: all
    #: of the purchase when ``included``, else none.
    included_pence: int | None = None
    #: It would have been bought without the membership: only then is its discount a saving
    #: (D). Training bought only because it was discounted saved nothing.
    bought_anyway: bool = True


@dataclass(frozen=True)
class MembershipValue:
    fee: int
    #: D: discounts actually given.
    discounts: int
    #: I: list value of included training used.
    included_value: int
    #: List-price spend of the discounted (not included) purchases: d = D / this.
    discounted_list_spend: int
    #: Discounts on training bought only because it was discounted: shown, not in D.
    discounts_not_counted: int = 0

    @property
    def realised_rate(self) -> Decimal | None:
        """d, as a ratio (0.2 for 20%); None when nothing was bought at a discount."""
        if not self.discounted_list_spend:
            return None
        return Decimal(self.discounts) / Decimal(self.discounted_list_spend)

    @property
    def net_benefit(self) -> int:
        return self.discounts + self.included_value - self.fee

    @property
    def return_ratio(self) -> Decimal | None:
        if not self.fee:
            return None
        return Decimal(self.net_benefit) / Decimal(self.fee)

    @property
    def break_even_list_spend(self) -> int | None:
        """(F - I) / d: the spend at list price on which the realised discount pays the rest of
        the fee. Nil when included training alone covered the fee; None when no discount has
        been realised (d unknown or nil)."""
        shortfall = self.fee - self.included_value
        if shortfall <= 0:
            return 0
        rate = self.realised_rate
        if not rate:
            return None
        return round_pence(Decimal(shortfall) / rate)

    @property
    def break_even_net_spend(self) -> int | None:
        """The same break-even spend after the discount: (F - I)(1 - d) / d."""
        shortfall = self.fee - self.included_value
        if shortfall <= 0:
            return 0
        rate = self.realised_rate
        if not rate:
            return None
        return round_pence(Decimal(shortfall) * (1 - rate) / rate)


def membership_value(fee: int, purchases: Iterable[PurchaseUnderMembership]) -> MembershipValue:
    discounts = included_value = discounted_list = not_counted = 0
    for p in purchases:
        free = p.included_pence
        if free is None:
            free = p.list_total_pence if p.included else 0
        included_value += free
        if free < p.list_total_pence:
            if p.bought_anyway:
                discounts += p.discount_pence - free
                discounted_list += p.list_total_pence - free
            else:
                not_counted += p.discount_pence - free
    return MembershipValue(fee, discounts, included_value, discounted_list, not_counted)


# --- Parsing --------------------------------------------------------------------------------

#: £100,000.00: far above any training purchase, a guard against slips of the keyboard.
MAX_AMOUNT_PENCE = 10_000_000
_AMOUNT = re.compile(r"^£?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?$")


def parse_pounds(text: str, what: str = "The amount") -> int:
    """ "£1,234.50", "1234.5", "150" -> pence, with ``Decimal`` (never a float).

    Raises ``ValueError`` with a message to show: negatives, more than two decimal places,
    misplaced thousands separators and amounts over £100,000 are refused.
    """
    cleaned = text.strip().replace(" ", "")
    if cleaned.lstrip("£").startswith(("-", "\u2212", "(")):  # hyphen, minus sign, (12.00)
        raise ValueError(f"{what} must be £0 or more")
    match = _AMOUNT.match(cleaned)
    if match is None:
        raise ValueError(f"{what} must be in pounds and pence, like £1,234.50")
    pence_text = match.group(2) or ""
    if len(pence_text) > 2:
        raise ValueError(f"{what} must have no more than 2 decimal places, like £1,234.50")
    value = Decimal(match.group(1).replace(",", "")) * HUNDRED + Decimal(pence_text.ljust(2, "0"))
    if value > MAX_AMOUNT_PENCE:
        raise ValueError(f"{what} must be {money_text(MAX_AMOUNT_PENCE)} or less")
    return int(value)


def parse_percent(text: str, what: str = "The discount") -> Decimal:
    """ "20", "12.5%" -> Decimal; more than 0 and at most 100, at most 2 decimal places."""
    cleaned = text.strip().rstrip("%").strip()
    if not re.fullmatch(r"\d{1,3}(\.\d{1,2})?", cleaned):
        raise ValueError(f"{what} must be a percentage like 20 or 12.5")
    value = Decimal(cleaned)
    if not Decimal(0) < value <= MAX_PERCENT:
        raise ValueError(f"{what} must be more than 0% and at most 100%")
    return value
