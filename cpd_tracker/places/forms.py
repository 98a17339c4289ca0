"""Forms of requests for a place: asking (My training's button), deciding, declining."""

from __future__ import annotations

from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length

from cpd_tracker.forms import BaseForm, form_id
from cpd_tracker.services.training_requests import MAX_NOTE


class AskForm(BaseForm):
    """My training's "Ask your CPD lead" button: the row's requirement."""

    requirement_id = HiddenField(filters=[form_id])


class DecideForm(BaseForm):
    """CSRF and the launch token only: approve and book are the button's URL."""


class DeclineForm(BaseForm):
    reason = TextAreaField(
        "Why is the request declined?",
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
        validators=[
            DataRequired(message="Enter the reason: the person is told it"),
            Length(max=MAX_NOTE, message=f"The reason must be {MAX_NOTE:,} characters or fewer"),
        ],
        description="The person is sent this by e-mail and sees it on My training.",
    )
