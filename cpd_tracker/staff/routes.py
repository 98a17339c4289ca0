"""A CPD lead's view and edits of one staff member; anyone's own CPD record download."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")
