"""Forms of the deep-linking picker."""

from __future__ import annotations

from wtforms import HiddenField, SelectMultipleField
from wtforms.validators import ValidationError

from cpd_tracker.forms import BaseForm, form_id

ADD = "add"
CANCEL = "cancel"


class PickModulesForm(BaseForm):
    """The modules chosen (checkboxes, or radios when the LMS takes one item) and whether to
    add them or go back to the LMS with nothing."""

    modules = SelectMultipleField("Training modules", coerce=form_id, validate_choice=False)
    action = HiddenField(default=ADD)

    #: Set by the view from the request's settings, never from the browser.
    accept_multiple = False

    @property
    def cancelled(self) -> bool:
        return self.action.data == CANCEL

    def validate_modules(self, field: SelectMultipleField) -> None:
        if self.cancelled:
            return
        chosen = field.data or []
        if not chosen:
            raise ValidationError("Choose the training module to add.")
        if None in chosen:
            raise ValidationError("Choose training modules from the list.")
        if len(chosen) > 1 and not self.accept_multiple:
            raise ValidationError(
                "Your LMS takes one activity at a time here: choose one module, and add the "
                "others one at a time."
            )
