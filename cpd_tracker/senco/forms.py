"""The SENCO page's forms: appoint a SENCO, end an appointment, record an earlier time as SENCO,
record a qualification, say what kind of school it is. Every message follows the GOV.UK error
message style."""

from __future__ import annotations

import datetime as dt
from typing import Any

from werkzeug.datastructures import FileStorage
from wtforms import BooleanField, DateField, FileField, RadioField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional, Regexp, ValidationError

from cpd_tracker.forms import BaseForm
from cpd_tracker.models import (
    QualificationFunding,
    QualificationResult,
    SchoolType,
    SencoQualificationKind,
)
from cpd_tracker.services.senco import (
    AppointmentDetails,
    PriorServiceDetails,
    QualificationDetails,
)
from cpd_tracker.staff.forms import DATE_FORMATS, UkDateField
from cpd_tracker.storage import (
    ALLOWED_LABEL,
    MAX_EVIDENCE_BYTES,
    MAX_EVIDENCE_LABEL,
    EvidenceFileError,
    FileType,
    check_upload,
)

KIND_LABELS = {
    SencoQualificationKind.NPQ_SENCO.value: "NPQ for SENCOs",
    SencoQualificationKind.NASENCO.value: "NASENCO (started before 1 September 2024)",
}
RESULT_LABELS = {
    QualificationResult.PENDING.value: "Pending",
    QualificationResult.PASSED.value: "Passed",
    QualificationResult.FAILED.value: "Failed",
    QualificationResult.WITHDRAWN.value: "Withdrawn",
}
SCHOOL_TYPE_LABELS = {
    SchoolType.MAINTAINED.value: "Maintained mainstream school (community, foundation, voluntary)",
    SchoolType.ACADEMY.value: "Mainstream academy or free school",
    SchoolType.MAINTAINED_NURSERY.value: "Maintained nursery school",
    SchoolType.PUPIL_REFERRAL_UNIT.value: "Pupil referral unit",
    SchoolType.AP_ACADEMY.value: "Alternative provision academy or free school",
    SchoolType.MAINTAINED_SPECIAL.value: "Maintained special school",
    SchoolType.SPECIAL_ACADEMY.value: "Special academy or special free school",
    SchoolType.NON_MAINTAINED_SPECIAL.value: "Non-maintained special school",
    SchoolType.INDEPENDENT.value: "Independent school (including independent special schools)",
}
FUNDING_LABELS = {
    QualificationFunding.SCHOLARSHIP.value: "Scholarship",
    QualificationFunding.SCHOOL.value: "School",
    QualificationFunding.TRUST.value: "Trust",
    QualificationFunding.SELF.value: "Self-funded",
}


class RequiredDateField(DateField):
    def __init__(self, label: str, *, what: str, **kwargs: Any) -> None:
        super().__init__(
            label,
            validators=[InputRequired(message=f"Enter {what.lower()}")],
            format=DATE_FORMATS,
            **kwargs,
        )
        self.invalid_value_message = f"{what} must be a real date, like 1/9/2025"


def _date(label: str, what: str, description: str = "") -> UkDateField:
    return UkDateField(
        label, invalid=f"{what} must be a real date, like 1/9/2025", description=description
    )


def _stripped(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class AppointForm(BaseForm):
    person_id = SelectField(
        "Who is the SENCO",
        coerce=int,
        validate_choice=True,
        description="Chosen from the school's current staff.",
    )
    started_on = RequiredDateField(
        "Date they became SENCO",
        what="The date they became SENCO",
        description="The qualification deadline counts from this date. For example, 1/9/2025.",
    )
    has_qts = BooleanField("Has qualified teacher status (QTS)")
    qtls_with_set = BooleanField(
        "Has QTLS and is a member of the Society for Education and Training (SET)",
        description="QTLS with SET membership makes a qualified teacher, as QTS does.",
    )
    teacher_reference_number = StringField(
        "Teacher reference number (optional)",
        validators=[
            Optional(),
            Regexp(r"^\d{7}$", message="Teacher reference number must be 7 digits, like 1234567"),
        ],
        filters=[_stripped],
    )
    qts_via_partial_access = BooleanField("QTS was awarded only through EU partial access")
    induction_complete = BooleanField("Has completed induction, or does not need it")
    teaches_at_school = BooleanField("Works as a teacher at this school", default=True)
    is_head = BooleanField("Is the head teacher or acting head teacher")

    def details(self) -> AppointmentDetails:
        assert self.started_on.data is not None  # required: validate() has run
        return AppointmentDetails(
            person_id=self.person_id.data,
            started_on=self.started_on.data,
            has_qts=bool(self.has_qts.data),
            teacher_reference_number=self.teacher_reference_number.data or None,
            qts_via_partial_access=bool(self.qts_via_partial_access.data),
            induction_complete=bool(self.induction_complete.data),
            teaches_at_school=bool(self.teaches_at_school.data),
            is_head=bool(self.is_head.data),
            qtls_with_set=bool(self.qtls_with_set.data),
        )


class PriorServiceForm(BaseForm):
    school_name = StringField(
        "School (optional)",
        validators=[
            Optional(),
            Length(max=200, message="School must be 200 characters or fewer"),
        ],
        filters=[_stripped],
    )
    started_on = RequiredDateField("Date they became SENCO there", what="The start date")
    ended_on = RequiredDateField(
        "Last day as SENCO there", what="The last day", description="For example, 31/8/2023."
    )
    relevant_school = RadioField(
        "Was it a mainstream school or a maintained nursery school?",
        # A callable: WTForms 3.3 warns about static tuple choices.
        choices=lambda: [
            ("yes", "Yes: a maintained school, academy, free school, PRU or maintained nursery"),
            ("no", "No: a special school or an independent school"),
        ],
        validators=[InputRequired(message="Select whether it was a mainstream school")],
        description="Only time at a mainstream school or maintained nursery school counts "
        "towards the exemption (SEND Regulations 2014, reg. 2(1)).",
    )

    def __init__(
        self, formdata: Any = None, *, appointment_started_on: dt.date | None = None, **kwargs: Any
    ) -> None:
        super().__init__(formdata, **kwargs)
        #: The appointment this period comes before: it must start before that.
        self.appointment_started_on = appointment_started_on

    def validate_started_on(self, field: DateField) -> None:
        began = self.appointment_started_on
        if field.data is not None and began is not None and field.data >= began:
            raise ValidationError(
                f"The start date must be before this appointment began "
                f"({began.day}/{began.month}/{began.year})"
            )

    def validate_ended_on(self, field: DateField) -> None:
        start = self.started_on.data
        if field.data is not None and start is not None and field.data < start:
            raise ValidationError("The last day must be the same as or after the start date")

    def details(self) -> PriorServiceDetails:
        assert self.started_on.data is not None
        assert self.ended_on.data is not None
        return PriorServiceDetails(
            started_on=self.started_on.data,
            ended_on=self.ended_on.data,
            relevant_school=self.relevant_school.data == "yes",
            school_name=self.school_name.data or None,
        )


class SchoolTypeForm(BaseForm):
    school_type = SelectField(
        "What kind of school is it?",
        choices=lambda: [("", "Not recorded (treated as mainstream)"), *SCHOOL_TYPE_LABELS.items()],
        validate_choice=True,
        description="Special and independent schools have no duty to have a qualified SENCO.",
    )

    def chosen(self) -> SchoolType | None:
        return SchoolType(self.school_type.data) if self.school_type.data else None


class EndForm(BaseForm):
    ended_on = RequiredDateField("Date the appointment ended", what="The end date")


class QualificationForm(BaseForm):
    person_id = SelectField("Whose qualification", coerce=int, validate_choice=True)
    kind = SelectField(
        "Qualification",
        choices=lambda: list(KIND_LABELS.items()),
        validate_choice=True,
    )
    provider = StringField(
        "Provider (optional)",
        validators=[
            Optional(),
            Length(max=255, message="Provider must be 255 characters or fewer"),
        ],
        filters=[_stripped],
        description="Choose from the list or type the provider's name.",
    )
    started_on = _date("Cohort start date (optional)", "The start date")
    expected_completion_on = _date(
        "Expected outcome date (optional)",
        "The expected outcome date",
        "For the NPQ, left blank it is taken as 22 months after the start.",
    )
    result = SelectField(
        "Result", choices=lambda: list(RESULT_LABELS.items()), validate_choice=True
    )
    course_completed_on = _date(
        "Date the course ended (optional)",
        "The date the course ended",
        "The last day of the course itself. A NASENCO counts if the course ended before "
        "1 September 2027, even if the award came later.",
    )
    completed_on = _date(
        "Date the pass outcome was received (optional)",
        "The outcome date",
        "Only with a pass. The deadline is met on this date.",
    )
    funding = SelectField(
        "Funding",
        choices=lambda: [("", "Not recorded"), *FUNDING_LABELS.items()],
        validate_choice=True,
    )

    def validate_completed_on(self, field: DateField) -> None:
        if field.data is not None and self.result.data != QualificationResult.PASSED.value:
            raise ValidationError("Record an outcome date only with the result Passed")
        start = self.started_on.data
        if field.data is not None and start is not None and field.data < start:
            raise ValidationError("The outcome date must be the same as or after the start date")

    def validate_course_completed_on(self, field: DateField) -> None:
        start, award = self.started_on.data, self.completed_on.data
        if field.data is not None and start is not None and field.data < start:
            raise ValidationError("The date the course ended must be after the start date")
        if field.data is not None and award is not None and award < field.data:
            raise ValidationError(
                "The date the course ended must be the same as or before the outcome date"
            )

    def validate_expected_completion_on(self, field: DateField) -> None:
        start = self.started_on.data
        if field.data is not None and start is not None and field.data < start:
            raise ValidationError(
                "The expected outcome date must be the same as or after the start date"
            )

    def details(self) -> QualificationDetails:
        return QualificationDetails(
            person_id=self.person_id.data,
            kind=SencoQualificationKind(self.kind.data),
            provider=self.provider.data or None,
            started_on=self.started_on.data,
            expected_completion_on=self.expected_completion_on.data,
            completed_on=self.completed_on.data,
            result=QualificationResult(self.result.data),
            funding=QualificationFunding(self.funding.data) if self.funding.data else None,
            course_completed_on=self.course_completed_on.data,
        )


class HeadForm(BaseForm):
    head_id = SelectField(
        "Head teacher (or acting head)",
        coerce=int,
        validate_choice=True,
        description="They are told, with the CPD lead and the SENCO, when the SENCO "
        "qualification deadline needs action.",
    )


class DocumentForm(BaseForm):
    document = FileField(
        "Document",
        description=f"For example the offer of a place, a scholarship letter or the outcome: "
        f"{ALLOWED_LABEL}, smaller than {MAX_EVIDENCE_LABEL}.",
    )

    def __init__(self, formdata: Any = None, **kwargs: Any) -> None:
        super().__init__(formdata, **kwargs)
        #: Filled by validation: the file's bytes, what they really are, the name given.
        self.upload: tuple[bytes, FileType, str | None] | None = None

    def validate_document(self, field: FileField) -> None:
        storage = field.data
        if not (isinstance(storage, FileStorage) and storage.filename):
            raise ValidationError("Choose a file to upload")
        # One byte more than allowed tells "too large" apart without reading it all.
        data = storage.stream.read(MAX_EVIDENCE_BYTES + 1)
        try:
            file_type = check_upload(data, what="document")
        except EvidenceFileError as exc:
            raise ValidationError(f"{exc} Choose the file again.") from exc
        self.upload = (data, file_type, storage.filename)


class RemovePriorServiceForm(BaseForm):
    """Removing a period entered by mistake: only the CSRF token."""
