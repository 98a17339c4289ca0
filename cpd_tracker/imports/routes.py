"""Import pages: upload a CSV, see the preview with row errors, apply all or nothing."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("imports", __name__, url_prefix="/imports")
