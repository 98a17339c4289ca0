"""Real servers and a real browser for the end-to-end tests.

* The tool and the test LMS on two sites (:mod:`tests.e2e.servers`), once per session.
* Headless Chromium (Debian's ``/usr/bin/chromium``) through Playwright, in one of two cookie
  profiles: ``allowed`` (third-party cookies allowed) or ``blocked`` (third-party cookies
  blocked, and the tool's cookies refused when it is embedded in the LMS's site, Partitioned
  ones included, which is what Safari does; Chromium alone still accepts Partitioned cookies).

Both servers use a throwaway certificate authority; the tool trusts it for its outbound calls
(the LMS's JWKS) and the browser ignores certificate errors.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.servers import Servers, running_servers

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-dev-shm-usage",
    # Playwright's ignore_https_errors covers page loads, not a download a link's ``download``
    # attribute starts: without this, Chromium drops that one at the throwaway CA's handshake.
    "--ignore-certificate-errors",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "e2e"

_screenshots: list[Path] = []


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    with running_servers(tmp_path_factory.mktemp("e2e")) as found:
        yield found


# ------------------------------------------------------------------ browser


def _chromium_missing() -> str | None:
    if Path(CHROMIUM).exists():
        return None
    return f"{CHROMIUM} is missing: `apt-get install -y chromium` (or set CHROMIUM_PATH)"


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Any]:
    problem = _chromium_missing()
    if problem:
        if os.environ.get("CPD_E2E_REQUIRED") == "1":
            pytest.fail(problem)
        pytest.skip(problem)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


def _preferences(servers: Servers, cookies: str) -> dict[str, Any]:
    if cookies == "allowed":
        return {"profile": {"cookie_controls_mode": 0, "block_third_party_cookies": False}}
    # Content-setting patterns: (cookie's site, top-level site), any port.
    tool = servers.tool_base.rsplit(":", 1)[0] + ":*"
    lms = servers.lms_base.rsplit(":", 1)[0] + ":*"
    return {
        "profile": {
            "cookie_controls_mode": 1,
            "block_third_party_cookies": True,
            # The tool's cookies, wherever it is embedded in the LMS's site, are refused:
            # Chromium lets Partitioned cookies through its third-party block, Safari does not.
            "content_settings": {"exceptions": {"cookies": {f"{tool},{lms}": {"setting": 2}}}},
        }
    }


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()


def _save_failure(request: pytest.FixtureRequest, contexts: list[Any]) -> None:
    """On failure, every open tab as it was, and the frames' HTML, for a person to look at.
    Short timeouts: a browser that has hung or crashed must not hold the run."""
    folder = ARTIFACTS / _test_folder(request)
    folder.mkdir(parents=True, exist_ok=True)
    for context in contexts:
        context.set_default_timeout(5_000)
    for c_index, context in enumerate(contexts):
        for p_index, page in enumerate(context.pages):
            stem = folder / f"failure-{c_index}-{p_index}"
            try:
                page.screenshot(path=f"{stem}.png", full_page=True)
                _screenshots.append(Path(f"{stem}.png"))
                html = "\n\n".join(f"<!-- {f.url} -->\n{f.content()}" for f in page.frames)
                Path(f"{stem}.html").write_text(html, encoding="utf-8")
            except Exception as exc:  # best effort: the test has failed anyway
                Path(f"{stem}.txt").write_text(repr(exc), encoding="utf-8")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A browser journey that fails is run once more (pytest-rerunfailures) before it counts:
    on a busy two-core machine Chromium now and then loses a step for reasons outside the tool
    (the failure's screenshots and HTML are kept either way). A real defect fails twice."""
    for item in items:
        if item.get_closest_marker("e2e") and not item.get_closest_marker("flaky"):
            item.add_marker(pytest.mark.flaky(reruns=1))


def _test_folder(request: pytest.FixtureRequest) -> str:
    return request.node.name.replace("[", "-").replace("]", "").replace("test_", "", 1)


@pytest.fixture
def browser_for(
    playwright_driver: Any, servers: Servers, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[[str], Any]]:
    """A fresh Chromium profile per call, ``allowed`` or ``blocked`` (see the module doc)."""
    contexts: list[Any] = []

    def open_browser(cookies: str) -> Any:
        profile = tmp_path / f"profile-{cookies}-{len(contexts)}"
        (profile / "Default").mkdir(parents=True)
        (profile / "Default" / "Preferences").write_text(json.dumps(_preferences(servers, cookies)))
        context = playwright_driver.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            ignore_https_errors=True,
            viewport={"width": 1100, "height": 900},
            accept_downloads=True,
            locale="en-GB",
        )
        # Generous: the CI machine may be busy; a passing step takes well under a second.
        context.set_default_timeout(30_000)
        contexts.append(context)
        return context

    yield open_browser
    if request.node.stash.get(_FAILED, False):
        _save_failure(request, contexts)
    for context in contexts:
        context.close()


# ------------------------------------------------------------------ artefacts


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Callable[[Any, str], Path]:
    """``shots(page, "step")`` saves artifacts/e2e/<test>/<NN>-<step>.png."""
    folder = ARTIFACTS / _test_folder(request)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    count = [0]

    def take(page: Any, step: str) -> Path:
        count[0] += 1
        path = folder / f"{count[0]:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        _screenshots.append(path)
        return path

    return take


def pytest_terminal_summary(terminalreporter: Any) -> None:
    from tests.e2e.browser import LESSER_FINDINGS

    if LESSER_FINDINGS:
        terminalreporter.section("axe: moderate and minor findings (not failures)")
        for rule, pages in sorted(LESSER_FINDINGS.items()):
            terminalreporter.write_line(f"  {rule}: {', '.join(sorted(pages)[:6])}")
    if not _screenshots:
        return
    folders = sorted({p.parent for p in _screenshots})
    terminalreporter.section("end-to-end screenshots")
    terminalreporter.write_line(f"{len(_screenshots)} screenshots in {ARTIFACTS}:")
    for folder in folders:
        names = ", ".join(p.stem for p in sorted(_screenshots) if p.parent == folder)
        terminalreporter.write_line(f"  {folder.name}/: {names}")
