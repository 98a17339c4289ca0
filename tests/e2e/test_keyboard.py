"""Keyboard alone, inside the LMS frame: a teacher tabs from the LMS page into the tool, opens
the in-tool module, reads every page, answers the knowledge check (Space ticks a box; the arrow
keys choose a single-answer radio) and submits it with Enter. Every element that takes focus
on the way must show it: its focus style (or, for a checkbox, its label's box) differs from its
style once focus has moved on."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.browser import check_page, open_tool, screenshot, wait_heading
from tests.e2e.keyboard import Keyboard
from tests.e2e.servers import Servers

pytestmark = pytest.mark.e2e


def test_module_and_knowledge_check_by_keyboard_alone(
    servers: Servers, browser_for: Callable[[str], Any], shots: Callable[[Any, str], Path]
) -> None:
    module = servers.module()
    context = browser_for("allowed")
    opened = open_tool(servers, context, "allowed", shots, user="learner", who="keyboard")
    frame = opened.view
    wait_heading(frame, "My training")
    opened.page.bring_to_front()
    keys = Keyboard(opened.page, frame)

    first = keys.tab_to(lambda f: True, "anything in the tool")
    assert first["text"] == "Skip to main content", first
    keys.tab_to(lambda f: f["tag"] == "a" and f["text"] == module.title, "the module link")
    keys.press("Enter")
    wait_heading(frame, module.title)

    keys.tab_to(lambda f: f["text"] == "Start the module", "Start the module")
    keys.press("Enter")
    for page in module.pages:
        wait_heading(frame, page.title)
        keys.tab_to(lambda f: f["rel"] == "next", "the Next link")
        keys.press("Enter")

    wait_heading(frame, "Knowledge check")
    check_page(frame, lambda step: screenshot(opened, shots, step), "knowledge-check")
    right = {f"q{q.id}-{o.position}" for q in module.questions for o in q.options if o.correct}
    chosen: set[str] = set()
    while True:
        focused = keys.tab_to(
            lambda f: f["type"] in ("checkbox", "radio") or f["text"] == "Submit answers",
            "an answer or the submit button",
        )
        if focused["type"] == "radio":
            # Single-answer questions are radios: Tab enters the group once, arrows choose.
            chosen.add(keys.choose_radio(right)["id"])
            continue
        if focused["type"] != "checkbox":
            break
        if focused["id"] in right:
            keys.page.keyboard.press("Space")
            chosen.add(focused["id"])
    assert chosen == right, "some answers could not be reached by Tab"
    keys.press("Enter")
    wait_heading(frame, "You passed")
    screenshot(opened, shots, "passed-by-keyboard")
    assert keys.stops > len(module.pages) + len(right)
