"""The catalogue (add, edit, retire modules) and requirements (who needs what, by when)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("manage", __name__, url_prefix="/manage")
