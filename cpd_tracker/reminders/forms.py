"""Forms of the reminder pages."""

from __future__ import annotations

from typing import Any

from wtforms import IntegerField, SelectField, SelectMultipleField, TextAreaField
from wtforms.fields import Field
from wtforms.validators import (
    AnyOf,
    InputRequired,
    Length,
    NumberRange,
    StopValidation,
    ValidationError,
)

from cpd_tracker.forms import BaseForm, form_id
from cpd_tracker.rules.reminders import (
    MAX_LEAD_DAYS,
    WEEKDAYS,
    Pause,
    PauseError,
    parse_pauses,
)

_DAYS = [(str(number), name) for number, name in enumerate(WEEKDAYS)]
_HOURS = [(str(hour), f"{hour:02d}:00") for hour in range(24)]


class ReminderSettingsForm(BaseForm):
    lead_days = IntegerField(
        "Lead time, in days",
        description=(
            "How long before a due date, or before training expires, it first appears in a "
            "person's weekly e-mail. Overdue and expired training is always listed."
        ),
        validators=[
            InputRequired(message=f"Enter the lead time, from 1 to {MAX_LEAD_DAYS} days."),
            NumberRange(
                min=1,
                max=MAX_LEAD_DAYS,
                message=f"Enter a lead time from 1 to {MAX_LEAD_DAYS} days.",
            ),
        ],
    )
    send_weekday = SelectField(
        "Day",
        choices=lambda: _DAYS,
        validate_choice=False,
        validators=[AnyOf([v for v, _ in _DAYS], message="Choose the day of the week.")],
    )
    send_hour = SelectField(
        "Time (UK time)",
        choices=lambda: _HOURS,
        validate_choice=False,
        validators=[AnyOf([v for v, _ in _HOURS], message="Choose the hour, from 00:00 to 23:00.")],
    )
    pauses = TextAreaField(
        "Holiday pauses",
        description=(
            "One a line, like “Christmas holidays: 19 December 2026 to 3 January 2027”. "
            "No reminders are sent on these days (both included); the week's e-mails go on the "
            "first day after. Leave it empty to send reminders all year."
        ),
        validators=[Length(max=8000, message="Enter at most 8,000 characters of pauses.")],
    )

    def __init__(self, formdata: Any = None, **kwargs: Any) -> None:
        super().__init__(formdata, **kwargs)
        self.parsed: list[Pause] = []

    def sending_time(self) -> tuple[int, int]:
        """The chosen day (0 Monday) and hour; call after ``validate``."""
        return int(self.send_weekday.data or 0), int(self.send_hour.data or 0)

    def validate_pauses(self, field: Field) -> None:
        try:
            self.parsed = parse_pauses(field.data or "")
        except PauseError as problem:
            raise ValidationError(str(problem)) from None


class PeopleField(SelectMultipleField):
    """Ticked people's ids; which of them the school may remind is the service's to say."""

    def __init__(self, label: str, **kwargs: Any) -> None:
        super().__init__(label, coerce=form_id, validate_choice=False, **kwargs)
        self.type = "MultipleCheckboxField"

    def pre_validate(self, form: Any) -> None:
        if not self.data:
            raise StopValidation("Select at least one person to remind.")
        if any(value is None for value in self.data):
            raise StopValidation(
                "Someone you selected is not on this school's staff list. Reload the page and "
                "try again."
            )


class RemindNowForm(BaseForm):
    person = PeopleField("Who to remind")
