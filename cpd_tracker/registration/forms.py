"""The Dynamic Registration confirmation form, shown inside the LMS's registration frame."""

from __future__ import annotations

from wtforms import HiddenField, RadioField, StringField
from wtforms.validators import InputRequired, Length

from cpd_tracker.forms import BaseForm
from cpd_tracker.models import OrganisationKind


class RegisterForm(BaseForm):
    openid_configuration = HiddenField(validators=[InputRequired(), Length(max=2048)])
    registration_token = HiddenField(validators=[Length(max=8192)])
    invite = HiddenField(validators=[Length(max=512)])


# Given as a callable: WTForms 3.3 deprecates (with a DeprecationWarning) tuples passed to the
# field's constructor, and its replacement, SelectChoice, does not exist before 3.3.
ORGANISATION_KINDS = (
    (OrganisationKind.TRUST.value, "A multi-academy trust (several schools)"),
    (OrganisationKind.SCHOOL.value, "A single school"),
)


class RegisterNewOrganisationForm(RegisterForm):
    organisation_name = StringField(
        "Name of your trust or school",
        validators=[
            InputRequired(message="Enter the name of your trust or school."),
            Length(max=200, message="Use 200 characters or fewer."),
        ],
    )
    organisation_kind = RadioField(
        "What kind of organisation is it?",
        choices=lambda: list(ORGANISATION_KINDS),
        validators=[InputRequired(message="Say whether this is a trust or a single school.")],
    )
