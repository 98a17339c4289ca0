"""WSGI entry point for gunicorn: ``gunicorn --preload cpd_tracker.wsgi:app``.

``cpd-tracker serve`` runs gunicorn with ``--preload``: this module runs once, in the master,
and the workers are forked from it ready to answer (before, each worker imported and built the
app itself and compiled each template on first use, so the first requests after a start took
seconds). Nothing here opens a database connection that a forked worker could share.
"""

import gc

from cpd_tracker import create_app
from cpd_tracker.templating import compile_templates

app = create_app()
compile_templates(app)
# Everything loaded so far (the app, SQLAlchemy, Jinja) lives for the worker's lifetime: move
# it out of the collector's reach, so a full collection (about 110 ms here) does not scan it
# in the middle of a request, nor touch (and so copy) the pages the forked workers share.
# benchmarks/school_compliance.py --gc-freeze measures the effect.
gc.freeze()
