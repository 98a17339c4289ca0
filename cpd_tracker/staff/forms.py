"""The staff record form: roles at one school (each with an optional appointment date), start
and leaving dates, staff number, email. Every message follows the GOV.UK error message style."""

from __future__ import annotations

import datetime as dt
from typing import Any

from wtforms import DateField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from cpd_tracker.forms import BaseForm
from cpd_tracker.models import StaffRoleKind
from cpd_tracker.services.staff import ASSIGNABLE_ROLES, StaffRecordChange
from cpd_tracker.templating import ROLE_LABELS

# ``<input type="date">`` sends ISO dates; a browser without a date picker lets people type
# the way they write dates in England.
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"]
# Deliberately loose: one @, something either side, a dot in the domain. The LMS, not this
# form, is where addresses come from; this only catches slips.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class MultipleCheckboxField(SelectMultipleField):
    """Checkboxes; the type name is what ``_macros.html`` uses to link the error summary to
    the first box (``roles-0``)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, label: str, *, invalid_choice: str, **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        # WTForms reads this; its type stubs do not declare the constructor argument yet.
        self.invalid_choice_message = invalid_choice


class UkDateField(DateField):
    """An optional date, ISO or as written in England, with a message naming the field."""

    def __init__(self, label: str, *, invalid: str, **kwargs: Any) -> None:
        super().__init__(label, validators=[Optional()], format=DATE_FORMATS, **kwargs)
        # As above: read by WTForms, missing from its type stubs.
        self.invalid_value_message = invalid


def _date(label: str, what: str, description: str = "") -> UkDateField:
    return UkDateField(
        label, invalid=f"{what} must be a real date, like 1/9/2025", description=description
    )


def _stripped(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _appointment(kind: StaffRoleKind) -> UkDateField:
    label = ROLE_LABELS[kind.value]
    return _date(
        f"Date appointed as {label if kind is StaffRoleKind.SENCO else label.lower()} (optional)",
        f"The date appointed as {label if kind is StaffRoleKind.SENCO else label.lower()}",
        "Training due after appointment counts from this date. For example, 1/9/2025.",
    )


class StaffRecordForm(BaseForm):
    roles = MultipleCheckboxField(
        "Roles at this school",
        # A callable, as in registration/forms.py: WTForms 3.3 warns about tuples given to
        # the constructor, and SelectChoice does not exist before 3.3.
        choices=lambda: [(kind.value, ROLE_LABELS[kind.value]) for kind in ASSIGNABLE_ROLES],
        invalid_choice="Select roles from the list",
        description="Select all that apply. A role you untick is ended today; its history is kept.",
    )
    # One appointment date per role, in the order of the checkboxes (the error summary lists
    # fields in declaration order).
    appointed_teacher = _appointment(StaffRoleKind.TEACHER)
    appointed_teaching_assistant = _appointment(StaffRoleKind.TEACHING_ASSISTANT)
    appointed_senco = _appointment(StaffRoleKind.SENCO)
    appointed_leader = _appointment(StaffRoleKind.LEADER)
    appointed_support_staff = _appointment(StaffRoleKind.SUPPORT_STAFF)
    appointed_governor = _appointment(StaffRoleKind.GOVERNOR)
    start_date = _date(
        "Start date",
        "The start date",
        "When they started at the trust or school. For example, 1/9/2025.",
    )
    leaving_date = _date(
        "Leaving date",
        "The leaving date",
        "Leave blank while they still work here. From this date they are shown as left and "
        "drop out of compliance figures; their training history is kept.",
    )
    staff_number = StringField(
        "Staff number (optional)",
        validators=[
            Optional(),
            Length(max=50, message="Staff number must be 50 characters or fewer"),
        ],
        filters=[_stripped],
    )
    email = StringField(
        "Email address",
        validators=[
            Optional(),
            Length(max=320, message="Email address must be 320 characters or fewer"),
            Regexp(
                EMAIL_PATTERN,
                message="Enter an email address in the correct format, like name@example.com",
            ),
        ],
        filters=[_stripped],
        description="Usually filled in from the LMS; a launch that shares an address updates it.",
    )

    @staticmethod
    def appointment_field(kind: StaffRoleKind) -> str:
        return f"appointed_{kind.value}"

    def chosen_roles(self) -> list[StaffRoleKind]:
        values = {kind.value for kind in ASSIGNABLE_ROLES}
        return [StaffRoleKind(v) for v in self.roles.data or [] if v in values]

    def validate_roles(self, field: MultipleCheckboxField) -> None:
        if not field.data:
            raise ValidationError("Select at least one role at this school")

    def validate_leaving_date(self, field: DateField) -> None:
        start = self.start_date.data
        if field.data and start and field.data < start:
            raise ValidationError("The leaving date must be the same as or after the start date")

    def validate(self, extra_validators: Any = None) -> bool:
        super().validate(extra_validators)
        # A date typed for a role then unticked is ignored, even if it was not a real date:
        # the person no longer asked for that role.
        chosen = set(self.chosen_roles())
        for kind in ASSIGNABLE_ROLES:
            if kind not in chosen:
                unused = self[self.appointment_field(kind)]
                unused.errors = []
                unused.data = None
        return not self.errors

    def fill(self, roles: dict[StaffRoleKind, dt.date | None], **person: Any) -> None:
        """Pre-fill from the record (a GET)."""
        self.roles.data = [kind.value for kind in ASSIGNABLE_ROLES if kind in roles]
        for kind, appointed in roles.items():
            if kind in ASSIGNABLE_ROLES:
                self[self.appointment_field(kind)].data = appointed
        for name, value in person.items():
            self[name].data = value

    def change(self) -> StaffRecordChange:
        return StaffRecordChange(
            roles={kind: self[self.appointment_field(kind)].data for kind in self.chosen_roles()},
            start_date=self.start_date.data,
            leaving_date=self.leaving_date.data,
            staff_number=self.staff_number.data or None,
            email=self.email.data or None,
        )


#: What a person types to confirm an erasure: a word, so nobody erases by a stray click.
ERASE_WORD = "ERASE"


class ErasureForm(BaseForm):
    """Confirms an erasure: why (kept in the audit log, without personal values) and the
    word ERASE typed out."""

    reason = TextAreaField(
        "Why is this record being erased?",
        validators=[
            InputRequired(message="Enter why this record is being erased"),
            Length(max=500, message="The reason must be 500 characters or fewer"),
        ],
        filters=[_stripped],
        description="For example, a request from the person under UK GDPR. Kept in the audit "
        "log; do not include their name.",
    )
    confirm = StringField(
        f"Type {ERASE_WORD} to confirm",
        validators=[InputRequired(message=f"Type {ERASE_WORD} to confirm")],
        filters=[_stripped],
    )

    def validate_confirm(self, field: StringField) -> None:
        if (field.data or "").upper() != ERASE_WORD:
            raise ValidationError(f"Type the word {ERASE_WORD} to confirm")
