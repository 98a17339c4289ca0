"""gunicorn's settings from ``cpd-tracker serve``: a hook (``--config
python:cpd_tracker.gunicorn_hooks``) and a logger class.

With ``PROMETHEUS_MULTIPROC_DIR`` set (several workers sharing their metrics, see
``metrics.py``), a worker that exits has its live gauges dropped, as prometheus_client's
multiprocess mode asks; its counters and histograms stay counted.
"""

from __future__ import annotations

import os
from typing import Any

from gunicorn.glogging import Logger  # type: ignore[import-untyped]

from cpd_tracker.logging_setup import JsonFormatter


def child_exit(_server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


class GunicornJsonLogger(Logger):  # type: ignore[misc]
    """gunicorn's own lines (start, workers, errors) as JSON: ``cpd-tracker serve`` passes it
    as ``--logger-class`` when ``CPD_TRACKER_LOG_FORMAT=json``."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(JsonFormatter())
