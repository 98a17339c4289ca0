"""Extensions created once here and bound to an app in the factory."""

from __future__ import annotations

from flask_login import LoginManager

from cpd_tracker.db import Database

db = Database()
login_manager = LoginManager()
