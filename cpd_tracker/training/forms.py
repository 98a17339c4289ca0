"""Forms of the training pages."""

from __future__ import annotations

from cpd_tracker.forms import BaseForm


class KnowledgeCheckForm(BaseForm):
    """CSRF and the launch token only: the questions are rendered from the module and read
    from the request by question id (``q<id>``), since each module has its own."""
