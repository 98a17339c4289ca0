"""The money rules (``cpd_tracker/rules/money.py``): DOMAIN.md's worked examples to the penny,
years, pro-rating, discounts with caps, one rounding rule, apportionment that adds up."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from cpd_tracker.rules.money import (
    NO_DISCOUNT,
    CensusFigure,
    DiscountRule,
    IncludedPlaces,
    PurchaseCost,
    PurchaseItem,
    PurchaseUnderMembership,
    RuleScope,
    SchoolFigures,
    ShareBasis,
    VatRecovery,
    YearKind,
    academic_year_label,
    accounting_date,
    apportion,
    census_figure,
    census_year,
    divide,
    membership_value,
    missing_figures,
    money_text,
    net_cost,
    parse_percent,
    parse_pounds,
    percent_text,
    round_pence,
    share_weights,
    spread_by_days,
    suggest_discount,
    vat_on,
    vat_recovery,
    year_of,
    year_window,
)

D = Decimal


# --- DOMAIN.md's worked example -------------------------------------------------------------


def test_fee_1500_nothing_included_20_percent_breaks_even_at_7500_list_price() -> None:
    # £3,000 at list price bought with 20% off: D = £600.
    value = membership_value(150_000, [PurchaseUnderMembership(300_000, 60_000, included=False)])
    assert value.realised_rate == D("0.2")
    assert value.break_even_list_spend == 750_000  # £7,500.00 = £1,500 / 20%
    assert value.break_even_net_spend == 600_000  # what is paid for it after the discount
    assert value.net_benefit == -90_000  # D + I - F = 600 + 0 - 1500
    assert value.return_ratio == D("-0.6")
    assert money_text(value.break_even_list_spend) == "£7,500.00"
    assert percent_text(value.return_ratio) == "\u221260.0%"


def test_spending_the_break_even_amount_gives_a_net_benefit_of_nil() -> None:
    value = membership_value(150_000, [PurchaseUnderMembership(750_000, 150_000, included=False)])
    assert value.net_benefit == 0
    assert value.return_ratio == 0


def test_included_training_counts_as_i_and_lowers_the_break_even() -> None:
    value = membership_value(
        150_000,
        [
            PurchaseUnderMembership(50_000, 10_000, included=False),  # 20% off £500
            PurchaseUnderMembership(45_000, 45_000, included=True),  # 3 included places
        ],
    )
    assert (value.discounts, value.included_value) == (10_000, 45_000)
    assert value.net_benefit == 10_000 + 45_000 - 150_000
    assert value.break_even_list_spend == 525_000  # (1500 - 450) / 0.2
    assert value.break_even_net_spend == 420_000


def test_break_even_edges() -> None:
    covered = membership_value(10_000, [PurchaseUnderMembership(20_000, 20_000, included=True)])
    assert covered.break_even_list_spend == 0
    assert covered.net_benefit == 10_000
    nothing = membership_value(10_000, [])
    assert nothing.realised_rate is None
    assert nothing.break_even_list_spend is None
    assert nothing.break_even_net_spend is None
    free = membership_value(0, [])
    assert free.return_ratio is None
    assert percent_text(free.return_ratio) == "n/a"


def test_break_even_rounds_half_up_once() -> None:
    # d = 1/3: (F - I) / d = 3 * 100.01 = 300.03 exactly; 1/7 shows the rounding.
    value = membership_value(1, [PurchaseUnderMembership(7, 1, included=False)])
    assert value.break_even_list_spend == 7
    value = membership_value(10_001, [PurchaseUnderMembership(30_000, 10_000, included=False)])
    assert value.break_even_list_spend == 30_003
    value = membership_value(5, [PurchaseUnderMembership(9, 2, included=False)])
    assert value.break_even_list_spend == round_pence(D(5) * D(9) / D(2))  # 22.5 -> 23
    assert value.break_even_list_spend == 23


# --- Years and pro-rating -------------------------------------------------------------------


def test_year_windows() -> None:
    academy = year_window(YearKind.ACADEMY, 2025)
    assert (academy.start, academy.end, academy.label) == (
        dt.date(2025, 9, 1),
        dt.date(2026, 8, 31),
        "2025/26",
    )
    financial = year_window(YearKind.FINANCIAL, 2025)
    assert (financial.start, financial.end) == (dt.date(2025, 4, 1), dt.date(2026, 3, 31))
    assert year_of(YearKind.FINANCIAL, dt.date(2026, 3, 31)) == financial
    assert year_of(YearKind.FINANCIAL, dt.date(2026, 4, 1)).label == "2026/27"
    assert year_of(YearKind.ACADEMY, dt.date(2025, 8, 31)).label == "2024/25"
    assert year_of(YearKind.ACADEMY, dt.date(2025, 9, 1)) == academy
    assert year_window(YearKind.FINANCIAL, 2027).days == 366  # to 31 March 2028, a leap year


def test_membership_year_straddling_two_financial_years_is_split_by_days() -> None:
    # 1 Sep 2025 - 31 Aug 2026 (365 days): 212 days in 2025/26 (to 31 Mar), 153 in 2026/27.
    parts = spread_by_days(150_000, dt.date(2025, 9, 1), dt.date(2026, 8, 31), YearKind.FINANCIAL)
    assert {w.label: p for w, p in parts.items()} == {"2025/26": 87_123, "2026/27": 62_877}
    # 150,000 x 212 / 365 = 87,123.29; x 153 / 365 = 62,876.71: the remainders decide.
    assert sum(parts.values()) == 150_000
    # Within one academy year it is not split at all.
    same = spread_by_days(150_000, dt.date(2025, 9, 1), dt.date(2026, 8, 31), YearKind.ACADEMY)
    assert list(same.values()) == [150_000]


def test_a_fee_of_odd_pence_still_adds_up_across_three_years() -> None:
    parts = spread_by_days(100_001, dt.date(2024, 3, 15), dt.date(2026, 4, 2), YearKind.FINANCIAL)
    assert [w.label for w in parts] == ["2023/24", "2024/25", "2025/26", "2026/27"]
    assert sum(parts.values()) == 100_001


def test_spread_refuses_a_backwards_period() -> None:
    with pytest.raises(ValueError, match="ends before"):
        spread_by_days(1, dt.date(2025, 2, 1), dt.date(2025, 1, 1), YearKind.ACADEMY)


# --- Discounts ------------------------------------------------------------------------------

NASEN, OTHER = 1, 2
AUTISM, BEHAVIOUR = 10, 11


def _rule(scope: RuleScope, percent: str, cap: int | None = None, **kw: object) -> DiscountRule:
    return DiscountRule(1, "nasen full membership", scope, D(percent), cap, **kw)  # type: ignore[arg-type]


def _item(price: int = 25_000, delegates: int = 1, **kw: object) -> PurchaseItem:
    values: dict[str, object] = {"provider_id": NASEN, "module_id": AUTISM, "category": "SEND"}
    values.update(kw)
    return PurchaseItem(list_price_pence=price, delegates=delegates, **values)  # type: ignore[arg-type]


def test_capped_discount_is_capped_per_delegate() -> None:
    # 30% off £250 is £75 a place, capped at £50 a place: 3 places -> £150 off, not £50.
    rule = _rule(RuleScope.PROVIDER, "30", 5_000, provider_id=NASEN)
    suggestion = suggest_discount(_item(25_000, 3), [rule])
    assert suggestion.discount_pence == 15_000
    assert suggestion.reason == "nasen full membership: 30% off, at most £50.00 a place"
    assert net_cost(25_000, 3, suggestion.discount_pence) == 60_000
    # Below the cap the percentage applies.
    assert suggest_discount(_item(10_000, 2), [rule]).discount_pence == 6_000


def test_best_rule_for_the_buyer_wins_then_the_more_specific() -> None:
    provider = _rule(RuleScope.PROVIDER, "20", provider_id=NASEN)
    module = _rule(RuleScope.MODULE, "10", module_id=AUTISM)
    category = _rule(RuleScope.CATEGORY, "30", 2_000, category="send")
    # 20% of £250 = £50; 10% = £25; 30% capped at £20: the provider's 20% is best.
    assert suggest_discount(_item(), [module, category, provider]).discount_pence == 5_000
    # Same discount from two rules: the module rule is the one named.
    same = _rule(RuleScope.MODULE, "20", module_id=AUTISM)
    best = suggest_discount(_item(), [provider, same])
    assert best.discount_pence == 5_000
    assert best.reason.startswith("nasen full membership: 20% off")


def test_rules_that_do_not_apply_suggest_nothing() -> None:
    rules = [
        _rule(RuleScope.PROVIDER, "20", provider_id=OTHER),
        _rule(RuleScope.MODULE, "20", module_id=BEHAVIOUR),
        _rule(RuleScope.CATEGORY, "20", category="Safeguarding"),
    ]
    assert suggest_discount(_item(), rules) == NO_DISCOUNT
    assert suggest_discount(_item(category=None), [rules[2]]) == NO_DISCOUNT


def test_discount_percentages_round_half_up_to_the_penny() -> None:
    rule = _rule(RuleScope.PROVIDER, "12.5", provider_id=NASEN)
    # 12.5% of £1.99 = 24.875p -> 25p; of £1.97 = 24.625p -> 25p; of £0.04 = 0.5p -> 1p
    assert suggest_discount(_item(199), [rule]).discount_pence == 25
    assert suggest_discount(_item(197), [rule]).discount_pence == 25
    assert suggest_discount(_item(4), [rule]).discount_pence == 1


def test_included_places_make_the_training_free_when_enough_remain() -> None:
    places = IncludedPlaces(1, "nasen full membership", AUTISM, remaining=2)
    rule = _rule(RuleScope.PROVIDER, "20", provider_id=NASEN)
    two = suggest_discount(_item(15_000, 2), [rule], [places])
    assert (two.discount_pence, two.included) == (30_000, True)
    assert "2 places left" in two.reason
    # Three delegates with two places left: two included, one paid with the 20% rule
    # (issue 16: it used to suggest 20% on all three and leave the places unused).
    three = suggest_discount(_item(15_000, 3), [rule], [places])
    assert (three.discount_pence, three.included, three.included_places) == (33_000, True, 2)


def test_net_cost_refuses_impossible_discounts() -> None:
    assert net_cost(10_000, 2, 0) == 20_000
    with pytest.raises(ValueError, match="discount"):
        net_cost(10_000, 2, 20_001)
    with pytest.raises(ValueError, match="discount"):
        net_cost(10_000, 2, -1)


# --- Rounding and formatting ------------------------------------------------------------------


def test_one_rounding_rule_and_one_format() -> None:
    assert round_pence(D("0.5")) == 1
    assert round_pence(D("1.5")) == 2  # half-up, not banker's rounding
    assert round_pence(D("2.4999")) == 2
    assert round_pence(D("-0.5")) == -1
    assert money_text(123_450) == "£1,234.50"
    assert money_text(-1_200) == "\u2212£12.00"
    assert money_text(7) == "£0.07"
    assert percent_text(D("0.12345")) == "12.3%"
    assert percent_text(D("0.12355")) == "12.4%"
    assert divide(100_000, 3) == 33_333
    assert divide(100_000, 0) is None


# --- Apportionment ----------------------------------------------------------------------------


def test_apportioned_parts_sum_exactly_to_the_whole() -> None:
    parts = apportion(100_000, {"a": 1, "b": 1, "c": 1})
    assert parts == {"a": 33_334, "b": 33_333, "c": 33_333}
    assert sum(parts.values()) == 100_000
    pupils = apportion(150_000, {1: 210, 2: 415, 3: 1_180})
    assert pupils is not None
    assert sum(pupils.values()) == 150_000
    # Exact: 17,451.52 / 34,487.53 / 98,060.94; the two pence left go to .94 and .53.
    assert pupils == {1: 17_451, 2: 34_488, 3: 98_061}


@pytest.mark.parametrize("total", [0, 1, 2, 99, 100_001, 7_654_321])
def test_apportion_adds_up_for_awkward_totals(total: int) -> None:
    weights = dict(enumerate([3, 7, 0, 11, 13]))
    parts = apportion(total, weights)
    assert parts is not None
    assert sum(parts.values()) == total
    assert parts[2] == 0


def test_apportion_without_weights() -> None:
    assert apportion(100, {}) is None
    assert apportion(100, {1: 0, 2: 0}) is None
    with pytest.raises(ValueError, match="negative"):
        apportion(100, {1: -1})
    assert apportion(-100, {1: 1, 2: 2}) == {1: -33, 2: -67}


def test_share_weights_by_basis() -> None:
    schools = [SchoolFigures(1, 200, 20, 3), SchoolFigures(2, None, 10, 0)]
    assert share_weights(ShareBasis.PUPILS, schools) == {1: 200, 2: 0}
    assert share_weights(ShareBasis.STAFF, schools) == {1: 20, 2: 10}
    assert share_weights(ShareBasis.USE, schools) == {1: 3, 2: 0}
    assert share_weights(ShareBasis.EQUALLY, schools) == {1: 1, 2: 1}


# --- Parsing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "pence"),
    [("£1,234.50", 123_450), ("1234.5", 123_450), ("150", 15_000), (" £0.07 ", 7), ("0", 0)],
)
def test_money_is_parsed_with_decimal(text: str, pence: int) -> None:
    assert parse_pounds(text) == pence


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("-5", "£0 or more"),
        ("£-5.00", "£0 or more"),
        ("1.234", "no more than 2 decimal places"),
        ("12,34", "pounds and pence"),
        ("ten", "pounds and pence"),
        ("100000.01", "£100,000.00 or less"),
    ],
)
def test_bad_money_is_refused_with_a_message(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_pounds(text)


def test_percentages() -> None:
    assert parse_percent("12.5%") == D("12.5")
    for bad in ("0", "101", "12.345", "-3", "abc"):
        with pytest.raises(ValueError, match="The discount"):
            parse_percent(bad)


# --- Money as school finance sees it (issue 16) -----------------------------------------------


@pytest.mark.parametrize(
    ("net", "rate", "vat", "reason"),
    [
        (20_000, D(20), 4_000, "standard rate on the net price: £200 + £40"),
        (20_000, D(0), 0, "exempt or zero-rated training: no VAT"),
        (20_000, None, 0, "a row recorded before VAT was asked: VAT unknown, counted as nil"),
        (12_345, D(20), 2_469, "£123.45 at 20% is £24.69 (half-up once)"),
        (2, D(20), 0, "0.4p rounds to nothing"),
        (3, D(20), 1, "0.6p rounds to a penny"),
    ],
)
def test_vat_on_the_net_price(net: int, rate: Decimal | None, vat: int, reason: str) -> None:
    assert vat_on(net, rate) == vat, reason


@pytest.mark.parametrize(
    ("school_type", "central", "recovery", "reason"),
    [
        ("maintained", False, VatRecovery.LOCAL_AUTHORITY, "maintained: through the LA, s.33"),
        ("maintained_nursery", False, VatRecovery.LOCAL_AUTHORITY, "a maintained nursery too"),
        ("pupil_referral_unit", False, VatRecovery.LOCAL_AUTHORITY, "a PRU is maintained"),
        ("maintained_special", False, VatRecovery.LOCAL_AUTHORITY, "maintained special"),
        ("academy", False, VatRecovery.ACADEMY, "academies under VATA s.33B"),
        ("special_academy", False, VatRecovery.ACADEMY, "a special academy is an academy"),
        ("ap_academy", False, VatRecovery.ACADEMY, "an AP academy is an academy"),
        ("independent", False, VatRecovery.NONE, "an independent school recovers nothing here"),
        ("non_maintained_special", False, VatRecovery.NONE, "a charity, not a public body"),
        (None, False, VatRecovery.ACADEMY, "type not recorded: a state school, it recovers"),
        (None, True, VatRecovery.ACADEMY, "trust central: the academy trust, s.33B"),
    ],
)
def test_vat_recovery_by_type_of_school(
    school_type: str | None, central: bool, recovery: VatRecovery, reason: str
) -> None:
    assert vat_recovery(school_type, trust_central=central) is recovery, reason


@pytest.mark.parametrize(
    ("cost", "training", "total", "school_cost", "reason"),
    [
        (
            PurchaseCost(30_000, 6_000, 4_800, VatRecovery.ACADEMY, 15_000, 1_000),
            24_000,
            40_000,
            40_000,
            "£300 list, 20% off the ex-VAT price = £240, VAT £48 recovered (s.33B): "
            "the academy's cost is £240 + £150 supply + £10 travel",
        ),
        (
            PurchaseCost(30_000, 6_000, 4_800, VatRecovery.LOCAL_AUTHORITY, 0, 0),
            24_000,
            24_000,
            24_000,
            "a maintained school recovers the £48 through the LA: cost £240",
        ),
        (
            PurchaseCost(30_000, 6_000, 4_800, VatRecovery.NONE, 0, 0),
            28_800,
            28_800,
            28_800,
            "an independent school bears the VAT: £240 + £48",
        ),
        (
            PurchaseCost(200_000, 0, 0, VatRecovery.ACADEMY, 30_000, 0, externally_funded=True),
            200_000,
            230_000,
            30_000,
            "an NPQ place funded by DfE: the £2,000 course is shown but not the school's "
            "cost; the £300 of supply cover is",
        ),
        (
            PurchaseCost(40_000, 0, 8_000, VatRecovery.NONE, 0, 0, externally_funded=True),
            48_000,
            48_000,
            0,
            "a grant pays the whole course, VAT included: nothing is the school's cost",
        ),
    ],
)
def test_cost_to_the_school(
    cost: PurchaseCost, training: int, total: int, school_cost: int, reason: str
) -> None:
    assert (cost.training, cost.total, cost.school_cost) == (training, total, school_cost), reason
    assert cost.funded + cost.school_cost == cost.total


@pytest.mark.parametrize(
    ("delivered", "booked", "kind", "label", "reason"),
    [
        (
            dt.date(2026, 9, 14),
            dt.date(2026, 6, 20),
            YearKind.ACADEMY,
            "2026/27",
            "booked in June, delivered in September: next academy year's spend",
        ),
        (
            dt.date(2026, 4, 2),
            dt.date(2026, 3, 25),
            YearKind.FINANCIAL,
            "2026/27",
            "booked before the end of March, delivered in April: the new financial year",
        ),
        (
            dt.date(2026, 4, 2),
            dt.date(2026, 3, 25),
            YearKind.ACADEMY,
            "2025/26",
            "the same course in the academy calendar: still 2025/26",
        ),
        (
            None,
            dt.date(2026, 3, 25),
            YearKind.FINANCIAL,
            "2025/26",
            "no delivery date recorded: the booking date stands in",
        ),
    ],
)
def test_the_year_of_a_purchase_is_the_year_it_is_delivered(
    delivered: dt.date | None, booked: dt.date, kind: YearKind, label: str, reason: str
) -> None:
    assert year_of(kind, accounting_date(delivered, booked)).label == label, reason


@pytest.mark.parametrize(
    ("delegates", "remaining", "discount", "places", "reason"),
    [
        (3, 2, 30_000 + 3_000, 2, "3 delegates, 2 places left: 2 included + 1 paid at 20% off"),
        (2, 2, 30_000, 2, "enough places for everyone: all included"),
        (1, 2, 15_000, 1, "one delegate, places to spare"),
        (5, 1, 15_000 + 12_000, 1, "1 place left for 5: 1 included + 4 paid at 20% off"),
        (3, 0, 9_000, 0, "no places left: 20% off all three"),
    ],
)
def test_partial_use_of_included_places(
    delegates: int, remaining: int, discount: int, places: int, reason: str
) -> None:
    left = IncludedPlaces(1, "nasen full membership", AUTISM, remaining=remaining)
    rule = _rule(RuleScope.PROVIDER, "20", provider_id=NASEN)
    got = suggest_discount(_item(15_000, delegates), [rule], [left])
    assert (got.discount_pence, got.included_places) == (discount, places), reason


def test_partial_included_places_with_no_rule_for_the_paid_ones() -> None:
    left = IncludedPlaces(1, "nasen full membership", AUTISM, remaining=2)
    got = suggest_discount(_item(15_000, 3), [], [left])
    assert (got.discount_pence, got.included_places) == (30_000, 2)
    assert got.reason == "2 included in nasen full membership (2 places left) and 1 paid"


def test_membership_value_splits_a_partly_included_purchase_into_i_and_d() -> None:
    # 3 places at £150: 2 included (I = £300), 1 paid with 20% off (D = £30 on £150 at list).
    value = membership_value(
        50_000, [PurchaseUnderMembership(45_000, 33_000, True, included_pence=30_000)]
    )
    assert (value.included_value, value.discounts, value.discounted_list_spend) == (
        30_000,
        3_000,
        15_000,
    )
    assert value.realised_rate == D("0.2")


@pytest.mark.parametrize(
    ("basis", "missing", "reason"),
    [
        (ShareBasis.PUPILS, [2], "school 2 has no pupil numbers: named, not silently £0"),
        (ShareBasis.STAFF, [3], "school 3 has no staff recorded"),
        (ShareBasis.EQUALLY, [], "sharing equally needs no figures"),
        (ShareBasis.USE, [], "by use: no delegates is a true nil, not a missing figure"),
    ],
)
def test_schools_missing_the_figures_to_share_by_are_named(
    basis: ShareBasis, missing: list[int], reason: str
) -> None:
    schools = [
        SchoolFigures(1, 400, 30, 2),
        SchoolFigures(2, None, 20, 0),
        SchoolFigures(3, 200, 0, 0),
    ]
    assert missing_figures(basis, schools) == missing, reason


@pytest.mark.parametrize(
    ("purchases", "d", "not_counted", "reason"),
    [
        (
            [PurchaseUnderMembership(300_000, 60_000, False)],
            60_000,
            0,
            "would have been bought anyway: the £600 discount is a saving",
        ),
        (
            [PurchaseUnderMembership(300_000, 60_000, False, bought_anyway=False)],
            0,
            60_000,
            "bought only because it was discounted: £600 off something not needed saves nothing",
        ),
        (
            [
                PurchaseUnderMembership(300_000, 60_000, False),
                PurchaseUnderMembership(100_000, 30_000, False, bought_anyway=False),
            ],
            60_000,
            30_000,
            "mixed: only the first counts, and d stays 20% (the 30% one is not in d either)",
        ),
        (
            [PurchaseUnderMembership(45_000, 45_000, True, bought_anyway=False)],
            0,
            0,
            "included places are I whatever the flag: the fee paid for them",
        ),
    ],
)
def test_d_counts_only_training_that_would_have_been_bought_anyway(
    purchases: list[PurchaseUnderMembership], d: int, not_counted: int, reason: str
) -> None:
    value = membership_value(150_000, purchases)
    assert (value.discounts, value.discounts_not_counted) == (d, not_counted), reason
    if d:
        assert value.realised_rate == D("0.2")


# --- Pupil numbers per year (issue 16) --------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "first_year", "census", "why"),
    [
        (YearKind.ACADEMY, 2024, 2024, "academy year 2024/25: the 2024/25 census"),
        (YearKind.ACADEMY, 2026, 2026, "academy year 2026/27: the 2026/27 census"),
        (
            YearKind.FINANCIAL,
            2025,
            2025,
            "April 2025 to March 2026 ends in 2025/26 (seven of its months on that roll)",
        ),
        (YearKind.FINANCIAL, 2024, 2024, "April 2024 to March 2025 ends in 2024/25"),
    ],
)
def test_census_year_of_a_reporting_year(
    kind: YearKind, first_year: int, census: int, why: str
) -> None:
    assert census_year(year_window(kind, first_year)) == census, why


@pytest.mark.parametrize(
    ("entered", "wanted", "expected", "why"),
    [
        ({2024: 300, 2026: 100}, 2024, CensusFigure(300, 2024), "that year's own figure"),
        ({2023: 280, 2026: 100}, 2024, CensusFigure(280, 2023), "else the nearest earlier"),
        ({2021: 250, 2023: 280}, 2025, CensusFigure(280, 2023), "the nearest of several"),
        ({2026: 100}, 2024, CensusFigure(None, None), "a later year never stands in"),
        ({}, 2024, CensusFigure(None, None), "nothing entered"),
        ({2024: 0}, 2024, CensusFigure(0, 2024), "nought is a figure (no share), not missing"),
    ],
)
def test_census_figure_for_a_year(
    entered: dict[int, int], wanted: int, expected: CensusFigure, why: str
) -> None:
    assert census_figure(entered, wanted) == expected, why
    assert expected.fallback(wanted) == (expected.year not in (None, wanted))


def test_academic_year_label() -> None:
    assert [academic_year_label(y) for y in (2024, 1999, 2099)] == [
        "2024/25",
        "1999/00",
        "2099/00",
    ]
