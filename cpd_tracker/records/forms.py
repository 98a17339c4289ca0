"""Forms of the records pages. Every message says what to do, in GOV.UK's words where it has
them ("Enter...", "Select...", "The date must be..."); ranges and rules live in
``services/records.py`` so the forms and the services agree."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from werkzeug.datastructures import FileStorage
from wtforms import (
    BooleanField,
    Field,
    FileField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, StopValidation, ValidationError
from wtforms.widgets import TextInput

from cpd_tracker.forms import BaseForm, form_id
from cpd_tracker.services.records import (
    certificate_expiry_problem,
    hours_problem,
    planned_date_problem,
    training_date_problem,
)
from cpd_tracker.storage import (
    ALLOWED_LABEL,
    MAX_EVIDENCE_BYTES,
    MAX_EVIDENCE_LABEL,
    EvidenceFileError,
    FileType,
    check_upload,
)

#: Longest a date may be set ahead (exemptions starting later, extensions).
MAX_AHEAD = dt.timedelta(days=2 * 366)


_id_or_none = form_id


class ChoiceField(SelectField):
    """A select of ids with a message of our own when nothing (or something unknown) is
    chosen; a placeholder option with value "" renders first."""

    def __init__(self, label: str, *, message: str, **kwargs: Any) -> None:
        super().__init__(label, coerce=_id_or_none, **kwargs)
        self.message = message
        # The templates' field macro picks its markup by type name: render as a select.
        self.type = "SelectField"

    def pre_validate(self, form: Any) -> None:
        known = {_id_or_none(choice[0]) for choice in self.choices or []}
        if self.data is None or self.data not in known:
            raise StopValidation(self.message)


class IdsField(SelectMultipleField):
    """Ticked ids (checkboxes rendered by the template); unknown ids get our message."""

    def __init__(self, label: str, *, message: str, **kwargs: Any) -> None:
        super().__init__(label, coerce=_id_or_none, **kwargs)
        self.message = message
        # The error summary links a checkbox group to its first box (``<id>-0``).
        self.type = "MultipleCheckboxField"

    def pre_validate(self, form: Any) -> None:
        known = {_id_or_none(choice[0]) for choice in self.choices or []}
        if any(value is None or value not in known for value in self.data or []):
            raise StopValidation(self.message)


class DateField(Field):
    """A date typed as 27/3/2025 or sent by a browser's date picker as 2025-03-27."""

    widget = TextInput()
    FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")

    def __init__(self, label: str, *, message: str, **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.message = message

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        data = self.data
        return f"{data.day}/{data.month}/{data.year}" if isinstance(data, dt.date) else ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        text = str(valuelist[0]).strip()
        self.data = None
        if not text:
            return
        for fmt in self.FORMATS:
            try:
                self.data = dt.datetime.strptime(text, fmt).date()
            except ValueError:
                continue
            return
        raise ValueError(self.message)


class TimeOfDayField(Field):
    """A time of day typed as 9:00, 09:00 or 14:30 (24-hour), or sent by a time picker; blank
    is None. For INSET sessions' times, shown in calendar feeds (issue 17)."""

    widget = TextInput()

    def __init__(self, label: str, *, message: str, **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.message = message

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return "" if self.data is None else f"{self.data:%H:%M}"

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        text = str(valuelist[0]).strip().replace(".", ":")
        self.data = None
        if not text:
            return
        try:
            self.data = dt.datetime.strptime(text, "%H:%M").time()
        except ValueError:
            raise ValueError(self.message) from None


class HoursField(Field):
    """CPD hours as a decimal ("1.5"); anything else is refused with a clear message."""

    widget = TextInput()

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return "" if self.data is None else f"{self.data:f}"

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        text = str(valuelist[0]).strip()
        self.data = None
        if not text:
            return
        try:
            value = Decimal(text)
        except InvalidOperation as exc:
            raise ValueError("Enter CPD hours as a number, like 1.5.") from exc
        if not value.is_finite():
            raise ValueError("Enter CPD hours as a number, like 1.5.")
        self.data = value


def _after_field_errors(field: Field) -> None:
    """Stop once the field's own parsing failed: one message per field is enough."""
    if field.process_errors:
        raise StopValidation()


def _required(field: Field, message: str) -> None:
    _after_field_errors(field)
    if field.data is None:
        raise StopValidation(message)


class ExternalTrainingForm(BaseForm):
    school_id = ChoiceField(
        "Which school's CPD lead should check it?",
        message="Select the school whose CPD lead should check this training.",
    )
    module_id = ChoiceField(
        "Which training does it count towards?",
        message="Select the training this course counts towards.",
    )
    course_title = StringField(
        "Course title",
        validators=[
            DataRequired("Enter the course title, as it appears on the certificate."),
            Length(max=200, message="The course title must be 200 characters or fewer."),
        ],
    )
    provider = StringField(
        "Provider",
        description="Who ran the course, for example your local authority or a charity.",
        validators=[
            DataRequired("Enter who ran the course."),
            Length(max=200, message="The provider must be 200 characters or fewer."),
        ],
    )
    completed_on = DateField(
        "Date you completed it",
        message="Enter the date you completed the course, for example 27/3/2025.",
        description="For example, 27/3/2025.",
    )
    cpd_hours = HoursField("CPD hours", description="For example, 3 or 1.5.")
    certificate_expires_on = DateField(
        "Certificate expires on (optional)",
        message="Enter the date the certificate expires, for example 31/8/2027.",
        description="If the certificate has its own expiry date (an accredited positive "
        "handling or first aid certificate, for example), enter it: the training counts up "
        "to that day and needs renewing by then. For example, 31/8/2027.",
    )
    certificate = FileField(
        "Certificate",
        description=f"{ALLOWED_LABEL[0].upper()}{ALLOWED_LABEL[1:]}, smaller than "
        f"{MAX_EVIDENCE_LABEL}.",
    )

    def __init__(
        self,
        formdata: Any = None,
        *,
        today: dt.date,
        certificate_required_for: Sequence[int] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(formdata, **kwargs)
        self.today = today
        self.certificate_required_for = frozenset(certificate_required_for)
        #: Filled by validation: the certificate's bytes and what they really are.
        self.upload: tuple[bytes, FileType, str | None] | None = None
        self.too_large = False

    def validate_completed_on(self, field: Field) -> None:
        _required(field, "Enter the date you completed the course.")
        problem = training_date_problem(field.data, self.today)
        if problem:
            raise ValidationError(problem)

    def validate_certificate_expires_on(self, field: Field) -> None:
        _after_field_errors(field)
        completed_on = self.completed_on.data
        if field.data is None or completed_on is None:
            return
        problem = certificate_expiry_problem(field.data, completed_on)
        if problem:
            raise ValidationError(problem)

    def validate_cpd_hours(self, field: Field) -> None:
        _required(field, "Enter the CPD hours the course gave you.")
        problem = hours_problem(field.data)
        if problem:
            raise ValidationError(problem)

    def validate_certificate(self, field: Field) -> None:
        storage = field.data
        chosen = isinstance(storage, FileStorage) and bool(storage.filename)
        if not chosen:
            if self.module_id.data in self.certificate_required_for:
                raise ValidationError(
                    "Upload the certificate: training from a course provider needs one."
                )
            return
        assert isinstance(storage, FileStorage)
        # One byte more than allowed tells "too large" apart without reading it all.
        data = storage.stream.read(MAX_EVIDENCE_BYTES + 1)
        if len(data) > MAX_EVIDENCE_BYTES:
            self.too_large = True
        try:
            file_type = check_upload(data)
        except EvidenceFileError as exc:
            raise ValidationError(f"{exc} Choose the file again.") from exc
        self.upload = (data, file_type, storage.filename)


class ConfirmForm(BaseForm):
    """CSRF and the launch token only: a button that changes one thing."""


class VerifyForm(BaseForm):
    """Verify one item of evidence, confirming or correcting the certificate's own expiry."""

    certificate_expires_on = DateField(
        "Certificate expires on (optional)",
        message="Enter the date the certificate expires, for example 31/8/2027.",
        description="As printed on the certificate, if it has an expiry date: the training "
        "counts up to that day. Leave empty if it has none. For example, 31/8/2027.",
    )

    def __init__(self, formdata: Any = None, *, completed_on: dt.date, **kwargs: Any) -> None:
        super().__init__(formdata, **kwargs)
        self.completed_on = completed_on

    def validate_certificate_expires_on(self, field: Field) -> None:
        _after_field_errors(field)
        if field.data is not None:
            problem = certificate_expiry_problem(field.data, self.completed_on)
            if problem:
                raise ValidationError(problem)


class EvidenceNoticeForm(BaseForm):
    """When the school's CPD leads hear that evidence has arrived (issue 17)."""

    at_once = RadioField(
        "When should the school's CPD leads hear that evidence has arrived?",
        # A callable: WTForms 3.3 warns about static tuple choices.
        choices=lambda: [
            ("yes", "As soon as it arrives: an e-mail for each piece of evidence"),
            ("no", "In the weekly summary e-mail only"),
        ],
        validate_choice=False,
        validators=[InputRequired(message="Choose when CPD leads hear of new evidence")],
    )

    def validate_at_once(self, field: Field) -> None:
        if field.data not in ("yes", "no"):
            raise ValidationError("Choose when CPD leads hear of new evidence")


class RejectForm(BaseForm):
    reason = TextAreaField(
        "Why are you rejecting it?",
        description="The member of staff sees this. Say what they need to do, for example "
        "upload a certificate that shows their name.",
        validators=[
            DataRequired("Enter the reason, so the member of staff knows what to do."),
            Length(max=500, message="The reason must be 500 characters or fewer."),
        ],
    )


class BulkReviewForm(BaseForm):
    evidence_id = IdsField(
        "Evidence",
        message="Some of the evidence you selected is not waiting for review any more. "
        "Reload the page and try again.",
    )
    action = StringField()
    reason = TextAreaField(
        "Reason for rejecting (needed only to reject)",
        validators=[Length(max=500, message="The reason must be 500 characters or fewer.")],
    )

    def validate_evidence_id(self, field: Field) -> None:
        if not field.data:
            raise ValidationError("Select the evidence to verify or reject.")

    def validate_action(self, field: Field) -> None:
        if field.data not in ("verify", "reject"):
            raise ValidationError("Choose Verify selected or Reject selected.")

    def validate_reason(self, field: Field) -> None:
        if self.action.data == "reject" and not (field.data or "").strip():
            raise ValidationError("Enter the reason for rejecting, so staff know what to do.")


class _SessionForm(BaseForm):
    """What a planned and a held INSET session share: the day they are judged on, the date's
    rule (``date_problem``: after today for a plan, not after today for a record) and hours."""

    def date_problem(self, day: dt.date) -> str | None:
        raise NotImplementedError

    def __init__(self, formdata: Any = None, *, today: dt.date, **kwargs: Any) -> None:
        super().__init__(formdata, **kwargs)
        self.today = today

    def validate_held_on(self, field: Field) -> None:
        _required(field, "Enter the date of the session.")
        problem = self.date_problem(field.data)
        if problem:
            raise ValidationError(problem)

    def validate_cpd_hours(self, field: Field) -> None:
        _after_field_errors(field)
        if field.data is not None:
            problem = hours_problem(field.data)
            if problem:
                raise ValidationError(problem)


class InsetPlanForm(_SessionForm):
    """An INSET session on a day to come: no attendees yet (issue 17)."""

    def date_problem(self, day: dt.date) -> str | None:
        return planned_date_problem(day, self.today)

    module_id = ChoiceField(
        "Which training will the session cover?",
        message="Select the training the session will cover.",
    )
    title = StringField(
        "Session title",
        description="For example, Spring INSET: autism and anxiety.",
        validators=[
            DataRequired("Enter the session title."),
            Length(max=200, message="The session title must be 200 characters or fewer."),
        ],
    )
    held_on = DateField(
        "Date of the session",
        message="Enter the date of the session, for example 6/1/2027.",
        description="A day after today, for example 6/1/2027.",
    )
    cpd_hours = HoursField(
        "CPD hours",
        description="Leave blank to use the training's usual hours.",
    )


class InsetForm(_SessionForm):
    def date_problem(self, day: dt.date) -> str | None:
        return training_date_problem(day, self.today)

    module_id = ChoiceField(
        "Which training was the session?",
        message="Select the training the session covered.",
    )
    title = StringField(
        "Session title",
        description="For example, Autumn INSET: ordinarily available provision.",
        validators=[
            DataRequired("Enter the session title."),
            Length(max=200, message="The session title must be 200 characters or fewer."),
        ],
    )
    held_on = DateField(
        "Date of the session",
        message="Enter the date of the session, for example 1/9/2025.",
        description="For example, 1/9/2025.",
    )
    starts_at = TimeOfDayField(
        "Start time (optional)",
        message="Enter the start time like 9:00 or 13:30.",
        description="For example, 9:00. With times, the session shows at those times in "
        "calendar feeds; without, as an all-day event.",
    )
    ends_at = TimeOfDayField(
        "End time (optional)", message="Enter the end time like 12:00 or 15:30."
    )
    cpd_hours = HoursField(
        "CPD hours",
        description="Leave blank to use the training's usual hours (shown in the list above).",
    )
    everyone = BooleanField("Everyone on the staff list attended")
    attendees = IdsField(
        "Who attended?",
        message="Someone you selected is not on this school's staff list. Reload the page and "
        "try again.",
    )

    def validate_ends_at(self, field: Field) -> None:
        _after_field_errors(field)
        if field.data is None:
            return
        if self.starts_at.data is None:
            if not self.starts_at.errors:
                raise ValidationError("Enter the start time too, or leave the end time blank.")
            return
        if field.data <= self.starts_at.data:
            raise ValidationError("The end time must be after the start time.")

    def validate_attendees(self, field: Field) -> None:
        if not field.data and not self.everyone.data:
            raise ValidationError("Select the staff who attended, or Everyone.")

    def chosen(self) -> list[int]:
        """Who to record: every choice for Everyone, else the ticked ones."""
        if self.everyone.data:
            values = [_id_or_none(choice[0]) for choice in self.attendees.choices or []]
        else:
            values = list(self.attendees.data or [])
        return [v for v in values if v is not None]


class ExemptionForm(BaseForm):
    exemption_requirement = ChoiceField(
        "Training", message="Select the training this person is exempt from."
    )
    exemption_reason = TextAreaField(
        "Reason",
        description="For example, long-term absence, or trained to a higher level elsewhere.",
        validators=[
            DataRequired("Enter the reason for the exemption."),
            Length(max=500, message="The reason must be 500 characters or fewer."),
        ],
    )
    starts_on = DateField(
        "Starts on", message="Enter the start date, for example 1/9/2025.", description=""
    )
    ends_on = DateField(
        "Ends on (optional)",
        message="Enter the end date, for example 31/8/2026, or leave it blank.",
        description="Leave blank for an exemption until further notice.",
    )

    def __init__(self, formdata: Any = None, *, today: dt.date, **kwargs: Any) -> None:
        super().__init__(formdata, **kwargs)
        self.today = today

    def validate_starts_on(self, field: Field) -> None:
        _required(field, "Enter the date the exemption starts.")
        if field.data < dt.date(1990, 1, 1) or field.data > self.today + MAX_AHEAD:
            raise ValidationError("The start date must be within the next 2 years.")

    def validate_ends_on(self, field: Field) -> None:
        _after_field_errors(field)
        start = self.starts_on.data
        if field.data is not None and isinstance(start, dt.date) and field.data < start:
            raise ValidationError("The end date must be the same as or after the start date.")


class ExtensionForm(BaseForm):
    extension_requirement = ChoiceField(
        "Training", message="Select the training the extension is for."
    )
    new_due_on = DateField(
        "New due date",
        message="Enter the new due date, for example 31/12/2025.",
        description="For example, 31/12/2025.",
    )
    extension_reason = TextAreaField(
        "Reason",
        validators=[
            DataRequired("Enter the reason for the extension."),
            Length(max=500, message="The reason must be 500 characters or fewer."),
        ],
    )

    def __init__(self, formdata: Any = None, *, today: dt.date, **kwargs: Any) -> None:
        super().__init__(formdata, **kwargs)
        self.today = today

    def validate_new_due_on(self, field: Field) -> None:
        _required(field, "Enter the new due date.")
        if field.data <= self.today:
            raise ValidationError("The new due date must be in the future.")
        if field.data > self.today + MAX_AHEAD:
            raise ValidationError("The new due date must be within the next 2 years.")
