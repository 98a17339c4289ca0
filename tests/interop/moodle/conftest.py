"""Fixtures of the real-Moodle suite (marker ``moodle``): one Moodle and one tool per session,
headless Chromium, a browser context per Moodle user, screenshots under
``artifacts/interop/moodle/``.

The suite installs a stock Moodle (one to five minutes, depending on the load), so it runs only when
asked for: ``pytest -m moodle tests/interop/moodle -p no:xdist`` (its steps share one Moodle
and run in file order, in one process). Any other run reports these tests as skipped. Without
the kit (``../shared/moodle/start.sh``), PHP and nginx (when not root), PostgreSQL or Chromium
they skip with the reason, or fail when ``CPD_INTEROP_REQUIRED=1`` (CI).

Environment: ``CPD_INTEROP_MOODLE_DIR`` (default ``/tmp/cpd-interop-moodle``) and
``CPD_INTEROP_MOODLE_DB`` (default ``cpd_interop_moodle``) name the site, rebuilt with
``--fresh`` each session; ``CPD_MOODLE_KIT`` another kit folder; ``CHROMIUM_PATH`` another
Chromium.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.interop.moodle.kit import (
    ARTIFACTS,
    MoodleKit,
    ToolServer,
    free_port,
    kit_problem,
)

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
RUN_HINT = "pytest -m moodle tests/interop/moodle -p no:xdist"


def _required() -> bool:
    return os.environ.get("CPD_INTEROP_REQUIRED") == "1"


def _asked_for(config: pytest.Config) -> bool:
    """Run only when the mark expression selects ``moodle`` (``-m moodle``, ``-m "moodle or
    e2e"``), never as part of the whole suite."""
    expression = config.getoption("markexpr") or ""
    return bool(re.search(r"(?<!not )\bmoodle\b", expression))


def _unavailable(problem: str) -> None:
    message = f"real Moodle unavailable: {problem}"
    if _required():
        pytest.fail(message + " (CPD_INTEROP_REQUIRED=1)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session", autouse=True)
def _only_when_asked(request: pytest.FixtureRequest) -> None:
    if not _asked_for(request.config):
        pytest.skip(f"real-Moodle interop suite: run it on its own with `{RUN_HINT}`")
    if os.environ.get("PYTEST_XDIST_WORKER"):
        _unavailable(f"its steps share one site and run in order in one process: `{RUN_HINT}`")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def moodle(artifacts: Path) -> Iterator[MoodleKit]:
    """A brand-new Moodle (``--fresh --course``) with a TLS front for the tool's http port."""
    problem = kit_problem() or (None if Path(CHROMIUM).exists() else f"{CHROMIUM} is missing")
    if problem:
        _unavailable(problem)
    tool_http = free_port()
    kit = MoodleKit(
        dir=Path(os.environ.get("CPD_INTEROP_MOODLE_DIR", "/tmp/cpd-interop-moodle")),
        db=os.environ.get("CPD_INTEROP_MOODLE_DB", "cpd_interop_moodle"),
        port=free_port(),
        tool_port=free_port(),
        proxy_tool=f"127.0.0.1:{tool_http}",
        log=artifacts / "moodle-start.log",
    )
    try:
        kit.start(fresh=True)
        yield kit
    finally:
        kit.stop()  # nginx and php-fpm only: the site stays for a look until the next run


@pytest.fixture(scope="session")
def tool(moodle: MoodleKit, artifacts: Path) -> Iterator[ToolServer]:
    """The tool in production mode behind the kit's front, on a fresh PostgreSQL database."""
    server = ToolServer(
        port=int(moodle.proxy_tool.rsplit(":", 1)[1]),
        base_url=moodle.env["MOODLE_TOOL_URL"],
        ca_bundle=moodle.env["MOODLE_CA_BUNDLE"],
        log=artifacts / "tool.log",
    )
    server.create_database()
    try:
        server.cli("db", "upgrade")
        server.serve()
        yield server
    finally:
        server.stop()
        server.drop_database()


@pytest.fixture(scope="session")
def chromium(moodle: MoodleKit) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                *CHROMIUM_ARGS,
                f"--ignore-certificate-errors-spki-list={moodle.env['MOODLE_TLS_SPKI']}",
            ],
        )
        try:
            yield browser
        finally:
            browser.close()
