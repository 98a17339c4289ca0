"""Forms of the administration pages."""

from __future__ import annotations

from wtforms import HiddenField, IntegerField, RadioField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from cpd_tracker.forms import BaseForm


class GrantForm(BaseForm):
    person = StringField(
        "Email address or staff number",
        validators=[
            InputRequired(message="Enter the person's email address or staff number."),
            Length(max=320),
        ],
    )
    kind = RadioField(
        "Permission",
        # A callable: WTForms 3.3 warns about static tuple choices (SelectChoice is 3.3+ only).
        choices=lambda: [
            ("cpd_lead", "CPD lead of a school"),
            ("trust_leader", "Trust leader"),
            ("finance", "Finance: sees and records the whole trust's training spend"),
        ],
        validators=[InputRequired(message="Choose the permission to give.")],
    )
    school_id = SelectField("School (for a CPD lead)", coerce=int, validators=[Optional()])


class RevokeForm(BaseForm):
    person_id = IntegerField(validators=[InputRequired()])
    kind = HiddenField(validators=[InputRequired()])
    school_id = IntegerField(validators=[Optional()])


class InviteForm(BaseForm):
    days = IntegerField(
        "Valid for (days)",
        default=7,
        validators=[
            InputRequired(message="Enter how many days the link works, from 1 to 30."),
            NumberRange(min=1, max=30, message="Enter a number of days from 1 to 30."),
        ],
    )
    uses = IntegerField(
        "Number of LMSs it may register",
        default=1,
        validators=[
            InputRequired(message="Enter how many LMSs the link may register, from 1 to 20."),
            NumberRange(min=1, max=20, message="Enter a number from 1 to 20."),
        ],
    )
