"""Forms of the launch flow."""

from __future__ import annotations

from wtforms import RadioField
from wtforms.validators import InputRequired

from cpd_tracker.forms import BaseForm


class ChooseSchoolForm(BaseForm):
    school_id = RadioField(
        "Which school is this LMS course for?",
        coerce=int,
        validators=[InputRequired(message="Choose the school this course belongs to.")],
    )
