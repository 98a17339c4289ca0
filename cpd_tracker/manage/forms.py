"""Forms of the catalogue and requirements pages.

Numbers and money arrive as text and are parsed here, strictly: money with ``Decimal`` into
whole pence (never a float), whole numbers without signs or decimals. Messages follow the GOV.UK
error message style. Range and cross-field rules of requirements live in
``services.requirements.check_details`` (one source for the form and the service); the form maps
its messages onto the fields that caused them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from wtforms import Field, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from cpd_tracker.forms import BaseForm, form_id
from cpd_tracker.models import Delivery, DueRule, Module, RecertifyFrom, Tier
from cpd_tracker.services.catalogue import ModuleDetails
from cpd_tracker.services.requirements import (
    DEFAULT_DUE_SOON_DAYS,
    DEFAULT_WINDOW_DAYS,
    MONTH_NAMES,
    ROLE_CHOICES,
    WINDOW_RANGE,
    RequirementDetails,
    check_details,
)
from cpd_tracker.staff.forms import UkDateField
from cpd_tracker.templating import ROLE_LABELS

MAX_PRICE_PENCE = 10_000_000  # £100,000.00: far above any course, a guard against slips
MAX_CPD_HOURS = Decimal("1000")

TIER_LABELS = {
    Tier.AWARENESS.value: "Awareness",
    Tier.ENHANCED.value: "Enhanced",
    Tier.SPECIALIST.value: "Specialist",
}
DELIVERY_LABELS = {
    Delivery.IN_TOOL.value: "In the tool (content and a knowledge check)",
    Delivery.EXTERNAL.value: "External course",
    Delivery.INSET.value: "Whole-staff INSET",
    Delivery.QUALIFICATION.value: "Qualification",
}
RECERTIFY_LABELS = {
    RecertifyFrom.COMPLETION.value: "From the date it was completed",
    RecertifyFrom.EXPIRY.value: "From the expiry date",
    RecertifyFrom.FIXED.value: "On the fixed date (fixed-date requirements only)",
}
DUE_RULE_LABELS = {
    DueRule.DAYS_AFTER_START.value: "Within a number of days of starting at the school",
    DueRule.DAYS_AFTER_APPOINTMENT.value: "Within a number of days of appointment to the role",
    DueRule.FIXED_DATE.value: "By a fixed date each academic year",
}


# Choices are callables: WTForms 3.3 warns about static tuples, and its replacement,
# SelectChoice, does not exist before 3.3.


class MultipleCheckboxField(SelectMultipleField):
    """Checkboxes; the type name is what ``_macros.html`` uses to link the error summary to
    the first box (``roles-0``)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def add_error(field: Field, message: str) -> None:
    """Add a message to a field after validation (WTForms types ``errors`` read-only)."""
    field.errors = [*field.errors, message]


def _stripped(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _text(field: Field) -> str:
    return str(field.data or "").strip()


def _whole(field: Field, what: str) -> int:
    """The field's whole number, or the validation error naming ``what``."""
    try:
        return parse_whole(_text(field), what)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


# --- Parsing --------------------------------------------------------------------------------

_POUNDS = re.compile(r"^£?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?$")


def parse_pounds(text: str) -> int:
    """ "£1,500.00", "150", "150.5" -> pence. Raises ``ValueError`` with a message to show."""
    cleaned = text.strip().replace(" ", "")
    if cleaned.startswith(("-", "£-", "-£")):
        raise ValueError("The list price must be £0 or more")
    match = _POUNDS.match(cleaned)
    if match is None:
        raise ValueError("Enter the list price in pounds and pence, like £150.00")
    pounds, pence = match.group(1).replace(",", ""), match.group(2) or "0"
    value = Decimal(pounds) * 100 + Decimal(pence.ljust(2, "0"))
    if value > MAX_PRICE_PENCE:
        raise ValueError("The list price must be £100,000.00 or less")
    return int(value)


def pounds(pence: int | None) -> str:
    """Pence as pounds with two decimals: 150000 -> "£1,500.00"; None -> ""."""
    if pence is None:
        return ""
    return f"£{pence // 100:,}.{pence % 100:02d}"


def parse_hours(text: str) -> Decimal:
    cleaned = text.strip()
    if not re.fullmatch(r"\d{1,4}(\.\d{1,2})?", cleaned):
        raise ValueError("Enter the CPD hours as a number, like 1.5")
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only numbers
        raise ValueError("Enter the CPD hours as a number, like 1.5") from exc
    if value > MAX_CPD_HOURS:
        raise ValueError("CPD hours must be 1,000 or fewer")
    return value


def parse_whole(text: str, what: str) -> int:
    """A whole number written plainly ("90"); ``what`` names it in the message."""
    cleaned = text.strip()
    if not re.fullmatch(r"\d{1,6}", cleaned):
        raise ValueError(f"{what} must be a whole number, like 90")
    return int(cleaned)


def parse_month(text: str) -> int:
    """A month as a number ("9") or a name ("September", "Sep")."""
    cleaned = text.strip().lower()
    if re.fullmatch(r"\d{1,2}", cleaned):
        return int(cleaned)
    for number, name in enumerate(MONTH_NAMES, start=1):
        if len(cleaned) >= 3 and name.lower().startswith(cleaned):
            return number
    raise ValueError("Enter the month as a number, like 9 for September")


def booking_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a booking link, or None. Staff open it from the tool, so only
    https to a named host: no javascript: or data: links, no plain http, no spaces."""
    message = (
        "Enter the booking link as a full web address starting https://, like "
        "https://nasen.org.uk/training"
    )
    if len(url) > 500:
        return "The booking link must be 500 characters or fewer"
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        return message
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return message
    if parts.scheme.lower() != "https" or not host or "." not in host or parts.username:
        return message
    return None


def slug_for(title: str, taken: Iterable[str]) -> str:
    """A unique slug for a new module of the organisation: "Autism awareness" -> "autism-awareness",
    then "autism-awareness-2" and so on."""
    base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:70].strip("-") or "module"
    used = set(taken)
    slug, n = base, 1
    while slug in used:
        n += 1
        slug = f"{base}-{n}"
    return slug


def _quiet_window(text: str) -> int:
    if re.fullmatch(r"\d{1,3}", text) and WINDOW_RANGE[0] <= int(text) <= WINDOW_RANGE[1]:
        return int(text)
    return DEFAULT_WINDOW_DAYS


# --- Catalogue ------------------------------------------------------------------------------


class ModuleForm(BaseForm):
    title = StringField(
        "Title",
        filters=[_stripped],
        validators=[
            InputRequired(message="Enter the title of the training"),
            Length(max=200, message="The title must be 200 characters or fewer"),
        ],
    )
    summary = TextAreaField(
        "Summary (optional)",
        filters=[_stripped],
        validators=[Length(max=5000, message="The summary must be 5,000 characters or fewer")],
        description="What staff learn, in a sentence or two.",
    )
    category = StringField(
        "Category",
        filters=[_stripped],
        default="SEND",
        validators=[
            InputRequired(message="Enter a category, like SEND"),
            Length(max=80, message="The category must be 80 characters or fewer"),
        ],
    )
    tier = RadioField(
        "Tier of expertise",
        choices=lambda: list(TIER_LABELS.items()),
        validate_choice=False,
        validators=[InputRequired(message="Choose the tier of expertise")],
        description="The SEND Code of Practice's three tiers.",
    )
    delivery = RadioField(
        "How it is delivered",
        choices=lambda: list(DELIVERY_LABELS.items()),
        validate_choice=False,
        validators=[InputRequired(message="Choose how the training is delivered")],
    )
    cpd_hours = StringField(
        "CPD hours",
        filters=[_stripped],
        validators=[InputRequired(message="Enter the CPD hours, like 1.5")],
    )
    provider = StringField(
        "Provider (optional)",
        filters=[_stripped],
        validators=[Length(max=200, message="The provider must be 200 characters or fewer")],
    )
    list_price = StringField(
        "List price per delegate (optional)",
        filters=[_stripped],
        description="In pounds, like £150.00. Leave empty if there is no charge.",
    )
    booking_url = StringField(
        "Booking link (optional)",
        filters=[_stripped],
        description="Where staff book a place with the provider, starting https://. "
        "My training shows it as \u201cBook with\u201d the provider.",
    )
    how_to_complete = TextAreaField(
        "How to complete it (optional)",
        filters=[_stripped],
        validators=[
            Length(max=2000, message="How to complete it must be 2,000 characters or fewer")
        ],
        description="Shown to staff on My training, for example \u201cBook through the "
        "school office\u201d.",
    )
    default_validity_months = StringField(
        "Valid for, in months (optional)",
        filters=[_stripped],
        description="How long a completion counts when a requirement does not say. "
        "Leave empty if it does not expire.",
    )

    pass_mark_percent = StringField(
        "Pass mark for the knowledge check, in per cent",
        filters=[_stripped],
        description="Like 80. Staff pass with this share of questions right or more.",
    )
    questions_per_attempt = StringField(
        "Questions in each attempt (optional)",
        filters=[_stripped],
        description="Leave empty to ask every question. A smaller number draws that many "
        "from the module's questions for each attempt, so a retry asks a different set.",
    )

    replaced_by = SelectField(
        "Replaced by (optional)",
        coerce=form_id,
        validate_choice=False,
        description="When you retire this module for another, its requirements carry over to "
        "the other and completions of either count.",
    )
    completions_count_from = UkDateField(
        "New version from (optional)",
        invalid="The date of the new version must be a real date, like 1/9/2026",
        description="From this day, completions of this module before it no longer count: "
        "staff do the new version. For example, 1/9/2026.",
    )

    def __init__(
        self,
        formdata: Any = None,
        *,
        in_tool_allowed: bool = False,
        question_count: int = 0,
        replacements: Iterable[Module] = (),
        **kw: Any,
    ) -> None:
        super().__init__(formdata, **kw)
        #: Versions and replacements are set on an existing module (``for_module``) only.
        self.replaceable = False
        options = list(replacements)
        self.replacement_ids = {m.id for m in options}
        self.replaced_by.choices = [("", "Not replaced")] + [(m.id, m.title) for m in options]
        #: Only a module that already has in-tool content may be delivered in the tool.
        self.in_tool_allowed = in_tool_allowed
        #: The knowledge check's questions (the pass mark and bank size apply to them).
        self.question_count = question_count

    @property
    def has_check(self) -> bool:
        return self.in_tool_allowed and self.question_count > 0

    @classmethod
    def for_module(
        cls, module: Module, formdata: Any = None, replacements: Iterable[Module] = ()
    ) -> ModuleForm:
        form = cls(
            formdata,
            in_tool_allowed=bool(module.pages),
            question_count=len(module.questions),
            replacements=replacements,
        )
        form.replaceable = True
        if formdata is None:
            form.replaced_by.data = module.replaced_by_id
            form.completions_count_from.data = module.completions_count_from
            mark, bank = module.pass_mark_percent, module.questions_per_attempt
            form.pass_mark_percent.data = "" if mark is None else str(mark)
            form.questions_per_attempt.data = "" if bank is None else str(bank)
            form.title.data = module.title
            form.summary.data = module.summary
            form.category.data = module.category
            form.tier.data = module.tier.value
            form.delivery.data = module.delivery.value
            form.cpd_hours.data = f"{module.cpd_hours:.2f}".rstrip("0").rstrip(".")
            form.provider.data = module.provider or ""
            form.list_price.data = pounds(module.list_price_pence)
            form.booking_url.data = module.booking_url or ""
            form.how_to_complete.data = module.how_to_complete or ""
            validity = module.default_validity_months
            form.default_validity_months.data = "" if validity is None else str(validity)
        return form

    def validate_tier(self, field: Field) -> None:
        if field.data not in TIER_LABELS:
            raise ValidationError("Choose the tier of expertise")

    def validate_delivery(self, field: Field) -> None:
        if field.data not in DELIVERY_LABELS:
            raise ValidationError("Choose how the training is delivered")
        if field.data == Delivery.IN_TOOL.value and not self.in_tool_allowed:
            raise ValidationError(
                "Only modules with content in the tool can be delivered in the tool: "
                "choose another way it is delivered"
            )

    def validate_cpd_hours(self, field: Field) -> None:
        try:
            parse_hours(_text(field))
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc

    def validate_list_price(self, field: Field) -> None:
        if _text(field):
            try:
                parse_pounds(_text(field))
            except ValueError as exc:
                raise ValidationError(str(exc)) from exc

    def validate_booking_url(self, field: Field) -> None:
        if _text(field):
            problem = booking_url_problem(_text(field))
            if problem:
                raise ValidationError(problem)

    def validate_default_validity_months(self, field: Field) -> None:
        if not _text(field):
            return
        try:
            months = parse_whole(_text(field), "The number of months")
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc
        if not 1 <= months <= 120:
            raise ValidationError("The number of months must be between 1 and 120")

    def validate_pass_mark_percent(self, field: Field) -> None:
        if not self.has_check:
            return
        if not _text(field):
            raise ValidationError("Enter the pass mark, like 80")
        mark = _whole(field, "The pass mark")
        if not 1 <= mark <= 100:
            raise ValidationError("The pass mark must be between 1 and 100")

    def validate_questions_per_attempt(self, field: Field) -> None:
        if not self.has_check or not _text(field):
            return
        size = _whole(field, "The number of questions")
        if not 1 <= size <= self.question_count:
            raise ValidationError(
                f"The number of questions must be between 1 and {self.question_count}, "
                "the questions this module has"
            )

    def validate_replaced_by(self, field: Field) -> None:
        sent = (field.raw_data or [""])[0]
        if (sent and field.data is None) or (
            field.data is not None and field.data not in self.replacement_ids
        ):
            raise ValidationError("Choose a module from the list, or Not replaced")

    def details(self) -> ModuleDetails:
        """The validated values (call after ``validate()``)."""
        price, validity = _text(self.list_price), _text(self.default_validity_months)
        mark, bank = _text(self.pass_mark_percent), _text(self.questions_per_attempt)
        return ModuleDetails(
            title=_text(self.title),
            summary=_text(self.summary),
            category=_text(self.category),
            tier=Tier(self.tier.data),
            delivery=Delivery(self.delivery.data),
            cpd_hours=parse_hours(_text(self.cpd_hours)),
            provider=_text(self.provider) or None,
            list_price_pence=parse_pounds(price) if price else None,
            booking_url=_text(self.booking_url) or None,
            how_to_complete=_text(self.how_to_complete) or None,
            default_validity_months=int(validity) if validity else None,
            pass_mark_percent=int(mark) if self.has_check and mark else None,
            questions_per_attempt=int(bank) if self.has_check and bank else None,
            replaced_by_id=self.replaced_by.data if self.replaceable else None,
            completions_count_from=self.completions_count_from.data if self.replaceable else None,
        )


class ConfirmForm(BaseForm):
    """CSRF and the launch token only: the confirmation pages of retire and restore."""


# --- Requirements ---------------------------------------------------------------------------

ORGANISATION_SCOPE = "organisation"


class RequirementForm(BaseForm):
    """One form for new requirements, edits and overrides; edits and overrides drop the
    ``module_id`` and ``scope`` fields (a requirement's module and scope are fixed)."""

    module_id = SelectField(
        "Training",
        validate_choice=False,
        validators=[InputRequired(message="Choose the training staff must complete")],
    )
    scope = RadioField(
        "Where it applies",
        validate_choice=False,
        validators=[InputRequired(message="Choose where the requirement applies")],
    )
    roles = MultipleCheckboxField(
        "Who must complete it",
        choices=lambda: [(r, ROLE_LABELS[r]) for r in ROLE_CHOICES],
        validate_choice=False,
        description="Select all that apply. Select none for all staff.",
    )
    due_rule = RadioField(
        "When it is due",
        choices=lambda: list(DUE_RULE_LABELS.items()),
        validate_choice=False,
        validators=[InputRequired(message="Choose when the training is due")],
    )
    start_days = StringField("Number of days after starting", filters=[_stripped])
    appointment_days = StringField("Number of days after appointment", filters=[_stripped])
    due_day = StringField("Day", filters=[_stripped])
    due_month = StringField("Month", filters=[_stripped])
    expires = RadioField(
        "Does it need renewing?",
        choices=lambda: [
            ("months", "Yes, it expires after a number of months"),
            ("never", "No, once is enough"),
        ],
        validate_choice=False,
        validators=[InputRequired(message="Choose whether the training needs renewing")],
    )
    validity_months = StringField("Number of months it counts for", filters=[_stripped])
    window_days = StringField(
        "Renewal opens this many days before expiry",
        filters=[_stripped],
        default=str(DEFAULT_WINDOW_DAYS),
        description="Staff see it as expiring soon, and may renew, from then on.",
    )
    due_soon_days = StringField(
        "Show as due soon this many days before the due date",
        filters=[_stripped],
        default=str(DEFAULT_DUE_SOON_DAYS),
    )
    grace_days = StringField(
        "Newcomers have at least this many days",
        filters=[_stripped],
        description="New starters, staff back from an exemption or in a new role, and everyone "
        "when the requirement is new, have until the date or this many days, whichever is "
        "later. Leave empty for 30.",
    )
    recertify_from = RadioField(
        "When someone renews, count the new expiry",
        choices=lambda: list(RECERTIFY_LABELS.items()),
        validate_choice=False,
        description="Leave unchosen for the usual: on the fixed date for fixed-date "
        "requirements, otherwise from the date it was completed. From the expiry date, "
        "renewing early (inside the renewal window) keeps the anniversary.",
    )
    min_active_months = StringField(
        "On a fixed date: the least time a completion counts for",
        filters=[_stripped],
        description="So training done in June is not due again in September. Leave empty for "
        "half the months it counts for.",
    )
    notes = TextAreaField(
        "Notes (optional)",
        filters=[_stripped],
        validators=[Length(max=2000, message="Notes must be 2,000 characters or fewer")],
        description="Why it is required, or where the policy says so.",
    )

    def __init__(
        self,
        formdata: Any = None,
        *,
        modules: Iterable[Module] = (),
        scopes: Iterable[tuple[str, str]] = (),
        fixed: bool = False,
        **kw: Any,
    ) -> None:
        super().__init__(formdata, **kw)
        self._allowed: dict[str, set[str]] = {}
        if fixed:
            delattr(self, "module_id")
            delattr(self, "scope")
        else:
            module_choices = [(str(m.id), m.title) for m in modules]
            self.module_id.choices = [("", "Choose training"), *module_choices]
            self.scope.choices = list(scopes)
            self._allowed["module_id"] = {value for value, _ in module_choices}
            self._allowed["scope"] = {str(value) for value, _ in scopes}
        self._details: RequirementDetails | None = None

    def fill(self, details: RequirementDetails) -> None:
        """Pre-fill from an existing requirement (edit) or the one being overridden."""
        self.roles.data = list(details.roles)
        self.due_rule.data = details.due_rule.value
        days = "" if details.due_days is None else str(details.due_days)
        if details.due_rule is DueRule.DAYS_AFTER_START:
            self.start_days.data = days
        elif details.due_rule is DueRule.DAYS_AFTER_APPOINTMENT:
            self.appointment_days.data = days
        else:
            self.due_day.data = str(details.due_day or "")
            self.due_month.data = str(details.due_month or "")
        self.expires.data = "never" if details.validity_months is None else "months"
        self.validity_months.data = str(details.validity_months or "")
        self.window_days.data = str(details.window_days)
        self.due_soon_days.data = str(details.due_soon_days)
        self.notes.data = details.notes
        self.grace_days.data = "" if details.grace_days is None else str(details.grace_days)
        self.recertify_from.data = details.recertify_from and details.recertify_from.value
        self.min_active_months.data = (
            "" if details.min_active_months is None else str(details.min_active_months)
        )

    # -- field checks that need no other field --

    def validate_module_id(self, field: Field) -> None:
        if field.data not in self._allowed["module_id"]:
            raise ValidationError("Choose training from the list")

    def validate_scope(self, field: Field) -> None:
        if field.data not in self._allowed["scope"]:
            raise ValidationError("Choose where the requirement applies from the list")

    def validate_roles(self, field: Field) -> None:
        if any(role not in ROLE_CHOICES for role in field.data or []):
            raise ValidationError("Choose roles from the list")

    def validate_due_rule(self, field: Field) -> None:
        if field.data not in DUE_RULE_LABELS:
            raise ValidationError("Choose when the training is due")

    def validate_expires(self, field: Field) -> None:
        if field.data not in {"months", "never"}:
            raise ValidationError("Choose whether the training needs renewing")

    def validate_recertify_from(self, field: Field) -> None:
        if field.data and field.data not in RECERTIFY_LABELS:
            raise ValidationError("Choose how renewals are counted from the list")

    # -- the whole form --

    def validate(self, extra_validators: Any = None) -> bool:
        fields_ok = super().validate(extra_validators)
        details = self._parse()
        if details is not None:
            for name, message in check_details(details).items():
                add_error(self._field_for(name, details.due_rule), message)
        if any(f.errors for f in self):
            return False
        self._details = details
        return fields_ok and details is not None

    def details(self) -> RequirementDetails:
        """The validated details (after ``validate()`` returned True)."""
        assert self._details is not None
        return self._details

    @property
    def module_choice(self) -> int:
        return int(self.module_id.data)

    def _number(self, field: Field, what: str) -> int | None:
        text = _text(field)
        if not text:
            add_error(field, f"Enter {what[0].lower()}{what[1:]}")
            return None
        try:
            return parse_whole(text, what)
        except ValueError as exc:
            add_error(field, str(exc))
            return None

    def _parse(self) -> RequirementDetails | None:
        """Read the numbers the chosen options use; None when one of them cannot be read
        (its field then has an error)."""
        if self.due_rule.errors or self.expires.errors:
            return None
        rule = DueRule(self.due_rule.data)
        ok = True
        due_days = due_day = due_month = None
        if rule is DueRule.DAYS_AFTER_START:
            due_days = self._number(self.start_days, "The number of days after starting")
            ok = due_days is not None
        elif rule is DueRule.DAYS_AFTER_APPOINTMENT:
            due_days = self._number(self.appointment_days, "The number of days after appointment")
            ok = due_days is not None
        else:
            due_day, due_month = self._fixed_date()
            ok = due_day is not None and due_month is not None
        validity = None
        # Without expiry the window means nothing: keep a sensible value the form still holds
        # (so an edit does not record a change nobody made), else the default.
        window = _quiet_window(_text(self.window_days))
        if self.expires.data == "months":
            validity = self._number(self.validity_months, "The number of months it counts for")
            window_read = self._number(self.window_days, "The number of days of the renewal window")
            ok = ok and validity is not None and window_read is not None
            window = window_read if window_read is not None else DEFAULT_WINDOW_DAYS
        soon = self._number(self.due_soon_days, "The number of days for due soon")
        grace = least = None
        if rule is DueRule.FIXED_DATE and _text(self.grace_days):
            grace = self._number(self.grace_days, "The number of days newcomers have")
            ok = ok and grace is not None
        if validity is not None and _text(self.min_active_months):
            least = self._number(self.min_active_months, "The least number of months")
            ok = ok and least is not None
        basis = self.recertify_from.data if self.recertify_from.data in RECERTIFY_LABELS else None
        if not ok or soon is None or self.roles.errors or self.recertify_from.errors:
            return None
        return RequirementDetails(
            roles=tuple(self.roles.data or ()),
            due_rule=rule,
            due_days=due_days,
            due_month=due_month,
            due_day=due_day,
            validity_months=validity,
            window_days=window,
            due_soon_days=soon,
            notes=_text(self.notes),
            recertify_from=None if basis is None else RecertifyFrom(basis),
            min_active_months=least,
            grace_days=grace,
        ).normalised()

    def _fixed_date(self) -> tuple[int | None, int | None]:
        day_text, month_text = _text(self.due_day), _text(self.due_month)
        if not day_text or not month_text:
            missing = self.due_day if not day_text else self.due_month
            add_error(
                missing, "Enter the day and month it is due each year, like 1 9 for 1 September"
            )
            return None, None
        try:
            day = parse_whole(day_text, "The day")
        except ValueError as exc:
            add_error(self.due_day, str(exc))
            return None, None
        try:
            month = parse_month(month_text)
        except ValueError as exc:
            add_error(self.due_month, str(exc))
            return None, None
        return day, month

    def _field_for(self, name: str, rule: DueRule) -> Field:
        if name == "due_days":
            return self.start_days if rule is DueRule.DAYS_AFTER_START else self.appointment_days
        if name == "due_date":
            return self.due_day
        field: Field = self[name]
        return field
