"""Forms of the LMS-account confirmation page."""

from __future__ import annotations

from cpd_tracker.forms import BaseForm


class DecideForm(BaseForm):
    """CSRF and the launch token only: confirm or refuse is the button's URL."""
