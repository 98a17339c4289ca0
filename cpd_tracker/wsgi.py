"""WSGI entry point for gunicorn: ``gunicorn cpd_tracker.wsgi:app``."""

import gc

from cpd_tracker import create_app

app = create_app()
# Everything loaded so far (the app, SQLAlchemy, Jinja) lives for the worker's lifetime: move
# it out of the collector's reach, so a full collection (about 110 ms here) does not scan it
# in the middle of a request. benchmarks/school_compliance.py --gc-freeze measures the effect.
gc.freeze()
