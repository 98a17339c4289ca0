"""Moodle 4.5's pages as a person uses them, and the tool inside Moodle's frames.

Selectors come from stock Moodle 4.5.6 (see ``../shared/moodle/README.md``): the login form,
Manage tools' cards, the activity chooser, the activity form's "Select content" button, the
launch frame ``#contentframe``. Waits are Playwright's own, with generous timeouts: CI shares
two cores with everything else.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Frame, Page, expect

#: A page or frame step on a busy machine (Moodle's first page views build caches).
TIMEOUT = 90_000


@dataclass
class Shots:
    """``shots(page, "step")`` saves ``artifacts/interop/moodle/NN-step.png``."""

    folder: Path
    taken: list[Path] = field(default_factory=list)

    def __call__(self, page: Page, step: str, *, full_page: bool = True) -> Path:
        """Full page for Moodle's own pages; ``full_page=False`` where the tool is in Moodle's
        frame (a full-page capture lays Moodle's fixed drawers over the frame's edges)."""
        path = self.folder / f"{len(self.taken) + 1:02d}-{step}.png"
        page.wait_for_load_state("load")
        page.screenshot(path=str(path), full_page=full_page)
        self.taken.append(path)
        return path


def log_in(browser: Any, base_url: str, username: str, password: str) -> Page:
    """A new browser context (its own cookies) signed in to Moodle as ``username``."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(TIMEOUT)
    context.set_default_navigation_timeout(TIMEOUT)
    page = context.new_page()
    page.goto(base_url + "/login/index.php")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#loginbtn")
    page.wait_for_url(lambda url: "/login/" not in url)
    return page


def frame_where(page: Page, wanted: Callable[[Frame], bool], what: str) -> Frame:
    """The first of the page's frames for which ``wanted`` holds, waiting for it to appear."""
    deadline = time.monotonic() + TIMEOUT / 1000
    while True:
        for frame in page.frames:
            if frame is not page.main_frame and wanted(frame):
                return frame
        if time.monotonic() > deadline:
            urls = [f.url for f in page.frames]
            raise AssertionError(f"no frame with {what} appeared; frames: {urls}")
        page.wait_for_timeout(250)


def tool_heading(frame: Frame, text: str) -> None:
    """Wait until the tool page in ``frame`` has the ``h1`` ``text``."""
    expect(frame.locator("h1")).to_have_text(text, timeout=TIMEOUT)


def open_activity(page: Page, base_url: str, course_id: str, name: str, tool_url: str) -> Frame:
    """From the course page, open the activity called ``name``: Moodle's view page frames the
    tool in ``#contentframe`` (a third-party frame: the tool is on another site)."""
    page.goto(f"{base_url}/course/view.php?id={course_id}")
    page.locator("a.aalink", has_text=name).first.click()
    page.wait_for_url("**/mod/lti/view.php*")
    frame_element = page.locator("iframe#contentframe")
    expect(frame_element).to_be_visible(timeout=TIMEOUT)
    return frame_where(
        page,
        lambda f: _in(f, tool_url),
        f"the tool ({tool_url}) in #contentframe",
    )


def _in(frame: Frame, tool_url: str) -> bool:
    if not frame.url.startswith(tool_url):
        return False
    try:
        return frame.frame_element().get_attribute("id") == "contentframe"
    except PlaywrightError:  # the frame went away while we looked
        return False


def cmid_of(page: Page, name: str) -> int:
    """The course module id of the activity ``name`` on the course page."""
    href = page.locator("a.aalink", has_text=name).first.get_attribute("href") or ""
    return int(href.rsplit("id=", 1)[1])
