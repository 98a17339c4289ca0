"""What every page the browser reaches must pass, and how a journey opens the tool.

:func:`check_page`: axe-core (vendored, injected through the DevTools protocol so the tool's
CSP stays on) with the WCAG 2.0/2.1/2.2 A and AA rules, failing on any serious or critical
violation; no horizontal scrolling at the frame's width (1024 px); a screenshot.

:func:`open_tool`: a launch from the test LMS in one of the four ways a person meets the tool:

``allowed``          in the LMS iframe, third-party cookies allowed
``blocked_storage``  in the iframe, the tool's cookies refused, the LMS offers Platform Storage
``blocked_new_tab``  in the iframe, cookies refused, no Platform Storage: the tool offers a new
                     tab, and the journey carries on there
``top_level``        the LMS opens the tool in a new window (cookies blocked in frames)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from tests.e2e.servers import SESSION_COOKIE, Servers

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
FRAME_WIDTH = 1024
MODES = ("allowed", "blocked_storage", "blocked_new_tab", "top_level")
#: The OIDC steps: they run before the session cookie exists.
LAUNCH_PATHS = ("/lti/login", "/lti/launch")
COOKIE_PROFILE = {
    "allowed": "allowed",
    "blocked_storage": "blocked",
    "blocked_new_tab": "blocked",
    "top_level": "blocked",
}


class PageProblem(AssertionError):
    pass


#: Moderate and minor findings, which do not fail a test: rule id -> pages (for the summary).
LESSER_FINDINGS: dict[str, set[str]] = {}


def axe_violations(view: Any) -> list[dict[str, Any]]:
    """Serious and critical axe violations on ``view`` (a Playwright Frame or Page)."""
    if not view.evaluate("() => typeof window.axe !== 'undefined'"):
        view.evaluate(AXE_SOURCE + "\n;0")
    result = view.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                               resultTypes: ['violations']});
            return {passed: r.passes.length, violations: r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.slice(0, 5).map(n => n.target.join(' ')),
                first: v.nodes.length ? (v.nodes[0].html || '').slice(0, 300) + ' -- ' +
                    (v.nodes[0].failureSummary || '').split(String.fromCharCode(10))
                    .join(' ') : ''}))};
        }""",
        AXE_TAGS,
    )
    assert result["passed"] > 0, "axe checked nothing on this page"
    path = view.url.split("?", 1)[0]
    for v in result["violations"]:
        if v["impact"] not in ("serious", "critical"):
            LESSER_FINDINGS.setdefault(f"{v['id']} ({v['impact']})", set()).add(path)
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def overflow(view: Any) -> tuple[int, int]:
    """(scrollWidth, clientWidth) of the document: wider content means horizontal scrolling."""
    sizes: list[int] = view.evaluate(
        "() => { const e = document.scrollingElement; return [e.scrollWidth, e.clientWidth]; }"
    )
    return sizes[0], sizes[1]


def check_page(view: Any, shot: Callable[[str], Path], step: str) -> None:
    """Axe, width and a screenshot for the page now shown in ``view``."""
    view.wait_for_load_state("load")
    shot(step)
    problems = []
    violations = axe_violations(view)
    if violations:
        problems.append(
            "axe found serious or critical violations:\n"
            + "\n".join(
                f"  {v['id']} ({v['impact']}): {v['help']} at {'; '.join(v['targets'])}"
                for v in violations
            )
        )
    scroll, client = overflow(view)
    if scroll > client:
        problems.append(f"the page scrolls sideways: {scroll} px of content in {client} px")
    if problems:
        raise PageProblem(f"{step} ({view.url}):\n" + "\n".join(problems))


def heading(view: Any) -> str:
    text: str = view.locator("h1").first.inner_text()
    return " ".join(text.split())


def wait_heading(view: Any, expected: str | re.Pattern[str]) -> None:
    """Wait for an ``h1`` holding ``expected``; on timeout, say what the page showed instead."""
    try:
        view.locator("h1", has_text=expected).first.wait_for()
    except Exception as exc:
        raise PageProblem(f"waited for the heading {expected!r}: {_what_is_shown(view)}") from exc


def _what_is_shown(view: Any) -> str:
    """The URL, headings and first text now in ``view``, as far as they can be read."""
    try:
        shown: dict[str, Any] = view.evaluate(
            """() => ({url: location.href,
                       headings: [...document.querySelectorAll('h1, h2')].map(h => h.innerText),
                       text: (document.body ? document.body.innerText : '').slice(0, 600)})""",
        )
    except Exception as exc:  # the frame itself is gone or never loaded
        return f"nothing could be read from the page ({exc!r})"
    return f"the page at {shown['url']} shows {shown['headings']!r}: {shown['text']!r}"


@dataclass
class Opened:
    """Where the journey goes on: ``view`` is the tool's frame or its own page; ``page`` is
    the browser tab to screenshot (the LMS page around the frame, or the tool's own tab)."""

    mode: str
    context: Any
    page: Any
    view: Any
    lms_page: Any
    mark: int
    console_errors: list[str]

    @property
    def framed(self) -> bool:
        return self.mode in ("allowed", "blocked_storage")


def watch_console(context: Any, servers: Servers) -> list[str]:
    """Errors the browser logs for the tool's pages (CSP refusals, script errors, failed
    loads) and uncaught exceptions; the journeys assert there are none."""
    errors: list[str] = []

    def on_console(message: Any) -> None:
        where = (message.location or {}).get("url", "")
        if message.type == "error" and where.startswith(servers.tool_base):
            errors.append(f"{message.text} ({where})")

    def on_page(page: Any) -> None:
        page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))

    context.on("console", on_console)
    context.on("page", on_page)
    return errors


def open_tool(
    servers: Servers,
    context: Any,
    mode: str,
    shot: Callable[[Any, str], Path],
    *,
    user: str,
    who: str,
    message: str = "",
) -> Opened:
    mark = servers.recorder.mark()
    errors = watch_console(context, servers)
    page = context.new_page()
    query = {"user": user, "who": who, "message": message}
    if mode == "top_level":
        page.goto(f"{servers.lms_base}/course?{urlencode({**query, 'window': 1})}")
        with context.expect_page() as opened:
            page.click("#open-tool")
        tab = opened.value
        tab.set_viewport_size({"width": FRAME_WIDTH, "height": 900})
        tab.wait_for_load_state()
        return Opened(mode, context, tab, tab.main_frame, page, mark, errors)
    storage = mode == "blocked_storage"
    page.goto(f"{servers.lms_base}/course?{urlencode({**query, 'storage': int(storage)})}")
    frame = page.frame(name="tool")
    assert frame is not None
    if mode == "blocked_new_tab":
        button = frame.get_by_role("button", name="Open in a new tab")
        button.wait_for()
        check_page(frame, lambda step: shot(page, step), "cookies-blocked")
        with context.expect_page() as opened:
            button.click()
        tab = opened.value
        tab.set_viewport_size({"width": FRAME_WIDTH, "height": 900})
        tab.wait_for_load_state()
        return Opened(mode, context, tab, tab.main_frame, page, mark, errors)
    return Opened(mode, context, page, frame, page, mark, errors)


def screenshot(opened: Opened, shots: Callable[[Any, str], Path], step: str) -> Path:
    """The whole page; a framed tool is stretched to its content's height for the picture
    (and put back to the LMS's 700 px), so nothing is cut off at the frame's edge."""
    if not opened.framed:
        return shots(opened.page, step)
    frame = opened.page.locator("iframe[name=tool]")
    height = opened.view.evaluate("() => document.documentElement.scrollHeight")
    frame.evaluate("(el, h) => { el.style.height = h + 'px'; }", height)
    # A cross-site frame is painted only inside the viewport: make the viewport the page.
    viewport = opened.page.viewport_size
    total = opened.page.evaluate("() => document.documentElement.scrollHeight")
    opened.page.set_viewport_size({"width": viewport["width"], "height": total})
    opened.view.evaluate(
        "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
    )
    try:
        return shots(opened.page, step)
    finally:
        opened.page.set_viewport_size(viewport)
        frame.evaluate("el => { el.style.height = ''; }")


def assert_cookie_mode(servers: Servers, opened: Opened) -> None:
    """The browser logged no error for the tool, and the tool's own pages reached in this
    journey carried its cookie exactly when they should: never inside a frame whose cookies
    are refused, always top-level."""
    errors = opened.console_errors
    if opened.mode == "blocked_new_tab":
        # The "open in a new tab" page is the launch's answer, on purpose with status 401.
        errors = [e for e in errors if not ("status of 401" in e and "/lti/launch" in e)]
    assert not errors, errors
    pages = [s for s in servers.recorder.since(opened.mark) if s.is_page]
    framed = [s for s in pages if s.dest == "iframe"]
    top = [s for s in pages if s.dest == "document"]
    after_launch = [s for s in framed if s.path not in LAUNCH_PATHS]
    if opened.mode == "allowed":
        assert after_launch, "no tool page was loaded in the frame"
        assert all(SESSION_COOKIE in s.cookies for s in after_launch), after_launch
    else:
        leaked = [s for s in framed if SESSION_COOKIE in s.cookies]
        assert not leaked, f"the tool's cookie reached it inside the LMS frame: {leaked}"
    if opened.mode in ("blocked_new_tab", "top_level"):
        top_after_launch = [s for s in top if s.path not in LAUNCH_PATHS]
        assert top_after_launch, "no tool page was loaded top-level"
        assert all(SESSION_COOKIE in s.cookies for s in top_after_launch), top_after_launch


def assert_links_carry_token(opened: Opened) -> None:
    """Inside a frame without cookies, the launch token rides in every tool link; where the
    cookie works, links stay clean."""
    hrefs: list[str] = opened.view.eval_on_selector_all(
        "main a[href^='/'], header a[href^='/']", "els => els.map(e => e.getAttribute('href'))"
    )
    assert hrefs, "no links on the page"
    with_token = [h for h in hrefs if "lt=" in h]
    if opened.mode == "blocked_storage":
        assert len(with_token) == len(hrefs), hrefs
    else:
        assert not with_token, with_token
