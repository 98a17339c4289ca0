"""The money rules (``cpd_tracker/rules/money.py``): DOMAIN.md's worked examples to the penny,
years, pro-rating, discounts with caps, one rounding rule, apportionment that adds up."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from cpd_tracker.rules.money import (
    NO_DISCOUNT,
    DiscountRule,
    IncludedPlaces,
    PurchaseItem,
    PurchaseUnderMembership,
    RuleScope,
    SchoolFigures,
    ShareBasis,
    YearKind,
    apportion,
    divide,
    membership_value,
    money_text,
    net_cost,
    parse_percent,
    parse_pounds,
    percent_text,
    round_pence,
    share_weights,
    spread_by_days,
    suggest_discount,
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
    three = suggest_discount(_item(15_000, 3), [rule], [places])
    assert (three.discount_pence, three.included) == (9_000, False)


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
