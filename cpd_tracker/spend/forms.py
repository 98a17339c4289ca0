"""Forms of the spend pages. Money arrives as text and is parsed by ``rules.money.parse_pounds``
with ``Decimal`` into whole pence: "£1,234.50" and "1234.5" are accepted; negatives, more than
two decimal places and anything else are refused with a message saying what to write."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from wtforms import BooleanField, Field, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, StopValidation
from wtforms.widgets import TextInput

from cpd_tracker.forms import BaseForm, form_id
from cpd_tracker.records.forms import DateField
from cpd_tracker.rules.money import (
    RuleScope,
    ShareBasis,
    VatRate,
    YearKind,
    money_text,
    parse_percent,
    parse_pounds,
)
from cpd_tracker.rules.numbers import whole_number
from cpd_tracker.services.spend import BASIS_LABELS, FUNDING_LABELS, SUPPLY_CODES
from cpd_tracker.services.spend.records import FINANCE_CODES

PROVIDER_KINDS = {
    "association": "Professional association",
    "npq_lead_provider": "NPQ lead provider",
    "local_authority": "Local authority service",
    "other": "Other",
}
SCOPE_LABELS = {
    RuleScope.PROVIDER.value: "Everything from one provider",
    RuleScope.MODULE.value: "One module of the catalogue",
    RuleScope.CATEGORY.value: "A category of training, like SEND",
}
VAT_UNKNOWN = "unknown"
VAT_LABELS = {
    VatRate.STANDARD.value: "Standard rate, 20%",
    VatRate.NONE.value: "No VAT: exempt or zero-rated (0%)",
    #: Only for purchases recorded before VAT was asked (see ``vat_choice``).
    VAT_UNKNOWN: "Not stated (recorded before VAT was asked: counted as no VAT)",
}
YEAR_LABELS = {
    YearKind.ACADEMY.value: "Academy year: 1 September to 31 August",
    YearKind.FINANCIAL.value: "Financial year: 1 April to 31 March (maintained schools)",
}


def _stripped(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _one_of(field: Field, labels: dict[str, str], message: str) -> None:
    if field.data not in labels:
        raise StopValidation(message)


class MoneyField(Field):
    """An amount in pounds, held as whole pence (``data``: int, or None when left empty)."""

    widget = TextInput()

    def __init__(self, label: str, *, what: str, required: bool = False, **kw: Any) -> None:
        super().__init__(label, **kw)
        self.what = what
        self.required = required

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return "" if self.data is None else money_text(int(self.data))

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None
        text = str(valuelist[0]).strip() if valuelist else ""
        if text:
            self.data = parse_pounds(text, self.what)

    def pre_validate(self, form: Any) -> None:
        if self.required and self.data is None and not self.process_errors:
            raise StopValidation(f"Enter {self.what.lower()}, like £150.00")


class WholeField(Field):
    widget = TextInput()

    def __init__(self, label: str, *, what: str, low: int, high: int, **kw: Any) -> None:
        super().__init__(label, **kw)
        self.what, self.low, self.high = what, low, high

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return "" if self.data is None else str(self.data)

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None
        text = str(valuelist[0]).strip() if valuelist else ""
        if not text:
            return
        number = whole_number(text, low=self.low, high=self.high)
        if number is None:
            raise ValueError(
                f"{self.what} must be a whole number from {self.low:,} to {self.high:,}"
            )
        self.data = number


_id = form_id


class ChoiceField(SelectField):
    """A select whose options are set by the view; an unknown value gets our message."""

    def __init__(self, label: str, *, message: str, optional: bool = False, **kw: Any) -> None:
        super().__init__(label, coerce=_id, validate_choice=False, **kw)
        self.message, self.optional = message, optional

    def pre_validate(self, form: Any) -> None:
        known = {_id(c[0]) for c in self.choices or [] if _id(c[0]) is not None}
        if self.data is None and self.optional:
            return
        if self.data is None or self.data not in known:
            raise StopValidation(self.message)


class ProviderForm(BaseForm):
    name = StringField(
        "Name",
        filters=[_stripped],
        validators=[
            InputRequired(message="Enter the provider's name"),
            Length(max=200, message="The name must be 200 characters or fewer"),
        ],
    )
    kind = RadioField(
        "Kind of provider",
        choices=lambda: list(PROVIDER_KINDS.items()),
        default="other",
        validate_choice=False,
        validators=[InputRequired(message="Choose the kind of provider")],
    )
    notes = TextAreaField(
        "Notes (optional)",
        filters=[_stripped],
        validators=[Length(max=2000, message="Notes must be 2,000 characters or fewer")],
    )

    def validate_kind(self, field: Field) -> None:
        _one_of(field, PROVIDER_KINDS, "Choose the kind of provider")


class MembershipForm(BaseForm):
    name = StringField(
        "Name of the membership",
        filters=[_stripped],
        description="For example: nasen full membership 2025/26.",
        validators=[
            InputRequired(message="Enter the name of the membership"),
            Length(max=200, message="The name must be 200 characters or fewer"),
        ],
    )
    provider_id = ChoiceField("Association", message="Choose the association")
    school_id = ChoiceField(
        "Who holds it", message="Choose the whole trust or one of its schools", optional=True
    )
    fee = MoneyField("Fee for the year", what="The fee", required=True)
    starts_on = DateField("Membership year starts", message="Enter the start as 1/9/2025")
    ends_on = DateField("Membership year ends", message="Enter the end as 31/8/2026")
    share_basis = RadioField(
        "How the fee is shared among schools",
        choices=lambda: list(BASIS_LABELS.items()),
        default=ShareBasis.PUPILS.value,
        validate_choice=False,
        validators=[InputRequired(message="Choose how the fee is shared")],
    )
    finance_code = RadioField(
        "Finance code of the fee",
        choices=lambda: [
            ("E09", "E09 staff development and training"),
            ("E27", "E27 bought-in professional services"),
        ],
        default="E09",
        validate_choice=False,
        description="The CFR code the fee is booked to. The spend report's totals by "
        "finance code include the fee, for the part of its year in the year reported.",
    )
    nominal_code = StringField(
        "Trust nominal code of the fee (optional)",
        filters=[_stripped],
        description="Your trust's own ledger code for it, if it uses one.",
        validators=[Length(max=30, message="The nominal code must be 30 characters or fewer")],
    )

    def validate_share_basis(self, field: Field) -> None:
        _one_of(field, BASIS_LABELS, "Choose how the fee is shared among schools")

    def validate_finance_code(self, field: Field) -> None:
        if field.data not in FINANCE_CODES:
            raise StopValidation("Choose E09 or E27")

    def validate_starts_on(self, field: Field) -> None:
        if field.data is None:
            raise StopValidation("Enter the date the membership year starts, like 1/9/2025")

    def validate_ends_on(self, field: Field) -> None:
        if field.data is None:
            raise StopValidation("Enter the date the membership year ends, like 31/8/2026")


class RuleForm(BaseForm):
    scope = RadioField(
        "The discount is for",
        choices=lambda: list(SCOPE_LABELS.items()),
        validate_choice=False,
        validators=[InputRequired(message="Choose what the discount is for")],
    )
    provider_id = ChoiceField("Provider", message="Choose the provider", optional=True)
    module_id = ChoiceField("Module", message="Choose the module", optional=True)
    category = StringField(
        "Category",
        filters=[_stripped],
        validators=[Length(max=80, message="The category must be 80 characters or fewer")],
    )
    percent = StringField(
        "Discount, per cent",
        filters=[_stripped],
        validators=[InputRequired(message="Enter the discount, like 20")],
    )
    cap = MoneyField(
        "Most off per delegate (optional)",
        what="The cap",
        description="Leave empty if the discount has no cap.",
    )

    def validate_scope(self, field: Field) -> None:
        _one_of(field, SCOPE_LABELS, "Choose what the discount is for")

    def validate_percent(self, field: Field) -> None:
        try:
            parse_percent(field.data or "")
        except ValueError as exc:
            raise StopValidation(str(exc)) from exc


class IncludedForm(BaseForm):
    module_id = ChoiceField("Module", message="Choose the module the membership includes")
    places = WholeField("Places included", what="Places", low=1, high=1000)

    def validate_places(self, field: Field) -> None:
        if field.data is None and not field.errors:
            raise StopValidation("Enter how many places the membership includes, like 5")


class PurchaseForm(BaseForm):
    school_id = ChoiceField("Bought for", message="Choose the school", optional=True)
    provider_id = ChoiceField("Provider", message="Choose the provider")
    module_id = ChoiceField("Training", message="Choose the training", optional=True)
    course_title = StringField(
        "Course title (if not in the catalogue)",
        filters=[_stripped],
        validators=[Length(max=200, message="The course title must be 200 characters or fewer")],
    )
    purchased_on = DateField("Date booked", message="Enter the date as 27/3/2025")
    delivered_on = DateField(
        "Date the training is delivered (optional)",
        message="Enter the date as 14/9/2026",
        description="The purchase counts in the year the training is delivered. Leave empty "
        "while it is not known: the booking date is used until then.",
    )
    delegates = WholeField("Delegates", what="Delegates", low=1, high=1000, default=1)
    list_price = MoneyField(
        "List price per delegate, before VAT", what="The list price", required=True
    )
    vat = RadioField(
        "VAT on the training",
        choices=lambda: list(VAT_LABELS.items()),
        default=VatRate.STANDARD.value,
        validate_choice=False,
        description="Discounts come off the price before VAT. VAT the school recovers "
        "(through the local authority, or the academy trust under VATA 1994 s.33B) is not "
        "counted as a cost.",
    )
    discount = MoneyField(
        "Discount for the whole booking (optional)",
        what="The discount",
        description="Leave empty to apply the membership discount suggested.",
    )
    discount_reason = TextAreaField(
        "Why the discount differs from the suggestion",
        filters=[_stripped],
        validators=[Length(max=1000, message="The reason must be 1,000 characters or fewer")],
    )
    supply = MoneyField("Supply cover (optional)", what="The supply cover")
    supply_code = RadioField(
        "Finance code of the supply cover",
        choices=lambda: [
            ("E02", "E02 supply teaching staff"),
            ("E26", "E26 agency supply"),
        ],
        validate_choice=False,
    )
    travel = MoneyField("Travel (optional)", what="Travel")
    funding_source = RadioField(
        "Paid from",
        choices=lambda: list(FUNDING_LABELS.items()),
        validate_choice=False,
        validators=[InputRequired(message="Choose where the money came from")],
    )
    finance_code = RadioField(
        "Finance code of the training",
        choices=lambda: [
            ("E09", "E09 staff development and training"),
            ("E27", "E27 bought-in professional services (a bought-in trainer)"),
        ],
        default="E09",
        validate_choice=False,
    )
    nominal_code = StringField(
        "Trust nominal code (optional)",
        filters=[_stripped],
        description="Your trust's own ledger code for it, if it uses one.",
        validators=[Length(max=30, message="The nominal code must be 30 characters or fewer")],
    )
    notional_sen = BooleanField("Count it against the notional SEN budget")
    only_for_discount = BooleanField(
        "Bought only because the membership discounted it",
        description="Then its discount is not counted as a saving of the membership: only "
        "training that would have been bought anyway saves money.",
    )
    reference = StringField(
        "Reference (optional)",
        filters=[_stripped],
        description="An invoice or order number.",
        validators=[Length(max=100, message="The reference must be 100 characters or fewer")],
    )
    notes = TextAreaField(
        "Notes (optional)",
        filters=[_stripped],
        validators=[Length(max=2000, message="Notes must be 2,000 characters or fewer")],
    )

    def validate_purchased_on(self, field: Field) -> None:
        if field.data is None:
            raise StopValidation("Enter the date the training was booked, like 27/3/2025")
        if not dt.date(2000, 1, 1) <= field.data <= dt.date(2100, 12, 31):
            raise StopValidation("Enter a real date, like 27/3/2025")

    def validate_delivered_on(self, field: Field) -> None:
        if field.data is not None and not dt.date(2000, 1, 1) <= field.data <= dt.date(
            2100, 12, 31
        ):
            raise StopValidation("Enter a real date, like 14/9/2026")

    def validate_vat(self, field: Field) -> None:
        choices = getattr(field, "choices", None) or list(VAT_LABELS.items())
        if field.data not in {str(c[0]) for c in choices}:
            raise StopValidation("Choose whether VAT is charged on the training")

    def validate_funding_source(self, field: Field) -> None:
        if field.data not in FUNDING_LABELS:
            raise StopValidation("Choose where the money came from")

    def validate_finance_code(self, field: Field) -> None:
        if field.data not in FINANCE_CODES:
            raise StopValidation("Choose E09 or E27")

    def validate_supply_code(self, field: Field) -> None:
        if field.data and field.data not in SUPPLY_CODES:
            raise StopValidation("Choose E02 or E26")


class DelegateForm(BaseForm):
    person_id = ChoiceField("Member of staff", message="Choose a member of staff")
    completion_id = ChoiceField(
        "The completion it paid for (optional)",
        message="Choose one of the completions listed",
        optional=True,
    )


class SettingsForm(BaseForm):
    spend_year = RadioField(
        "Report spend by",
        choices=lambda: list(YEAR_LABELS.items()),
        validate_choice=False,
        validators=[InputRequired(message="Choose the year the spend report uses")],
    )

    def validate_spend_year(self, field: Field) -> None:
        _one_of(field, YEAR_LABELS, "Choose the year the spend report uses")


def vat_choice(rate: Decimal | None) -> str:
    """The VAT radio's value for a stored rate."""
    if rate is None:
        return VAT_UNKNOWN
    return VatRate.STANDARD.value if rate == VatRate.STANDARD.percent else VatRate.NONE.value


def vat_percent(choice: str | None) -> Decimal | None:
    """The rate to store for the VAT radio's value (None: not stated)."""
    if choice in (VatRate.STANDARD.value, VatRate.NONE.value):
        return VatRate(choice).percent
    return None
