"""Helpers for the SENCO page tests."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from tests.functional.staff.support import hidden


def post(client: FlaskClient, path: str, form_page: str, data: dict[str, Any]) -> Any:
    """POST ``data`` to ``path`` with the CSRF token from the page at ``form_page``."""
    html = client.get(form_page).get_data(as_text=True)
    return client.post(path, data={"csrf_token": hidden(html, "csrf_token"), **data})
