"""WSGI entry point for gunicorn: ``gunicorn cpd_tracker.wsgi:app``."""

from cpd_tracker import create_app

app = create_app()
