"""A browser crawl of the tool as one person in one of the ways they meet it.

:class:`Crawl` starts from the page the launch landed on and follows, breadth first, every link
to the tool's own origin (GET only: it never submits a form, and the app has no sign-out link),
then visits pages of the URL map that no link reached, built from ids in the database. Every
page is checked from outside, as the browser got it:

* the response is ``text/html; charset=utf-8`` and its status is below 500; a page a link leads
  to also answers below 400 (a link the app shows should not end at an error page);
* the visible text shows no markup (a page served as text, or escaped twice);
* the browser reported no Content-Security-Policy violation (the ``securitypolicyviolation``
  event, caught by a script injected before the page's own, and the console) and no uncaught
  script error;
* axe-core finds no serious or critical violation (:func:`tests.e2e.browser.axe_violations`).

Downloads (CSV, XLSX, stored certificates and documents) are fetched from inside the page, with
the page's own credentials (cookie or launch token), instead of being opened: each must answer
with its own content type as an attachment, never as a page.
"""

from __future__ import annotations

import itertools
import re
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Flask
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from werkzeug.routing import AnyConverter, Rule
from werkzeug.routing.exceptions import RequestRedirect

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    Evidence,
    ImportUpload,
    InsetSession,
    Membership,
    Module,
    Person,
    Provider,
    Purchase,
    Requirement,
    School,
    SencoAppointment,
    SencoDocument,
    SencoQualification,
)
from tests.e2e.browser import axe_violations

HTML = "text/html; charset=utf-8"
TOKEN = "lt"

#: GET rules the crawl leaves out on purpose, each with why.
EXCLUDED: dict[str, str] = {
    # Files of the app's own stylesheet, scripts and images, not pages.
    "static": "static files, not pages",
    # OIDC login initiation: the LMS posts (or sends) the browser here before anyone is signed
    # in; every crawl starts with a real one.
    "launch.login": "LTI protocol: OIDC login initiation, run by every launch",
    # Dynamic Registration: opened by an LMS administrator's registration screen with an
    # openid_configuration URL and a registration token from that LMS (tests/interop, the
    # registration tests); not a page of the signed-in tool.
    "registration.register": "LTI protocol: Dynamic Registration, opened by an LMS",
    # The tool's public keys and its configuration as JSON, for LMSs to read, not people.
    "launch.jwks": "LTI protocol: the tool's JWKS (JSON, for LMSs)",
    "launch.config": "LTI protocol: the tool's URLs as JSON, for LMS administrators",
    "launch.canvas_config": "LTI protocol: a Canvas developer key configuration (JSON)",
    # What a browser asks for by itself; tests/functional/test_app_edges.py checks it.
    "home.favicon": "the browser's icon (SVG), not a page",
    # Fetched by calendar apps at a secret address, as text/calendar (issue 17); read back
    # with a parser in tests/functional/calendars/test_feeds.py.
    "calendars.feed": "a calendar feed (text/calendar) for calendar apps, not a page",
}
#: Blueprints the crawl leaves out: the demo LMS is a stand-in platform, on only in demo mode.
EXCLUDED_BLUEPRINTS = {
    "demo_lms": "the demo LMS (demo mode only), not the tool",
    # Probes and metrics for load balancers and Prometheus (tests/functional/operations).
    "health": "operations: health and readiness probes (JSON), not pages",
    "metrics": "operations: Prometheus metrics behind a bearer token, not a page",
}

#: Endpoints whose answer is a stored file (served as an attachment, never a page).
#: Certificates of completion and CPD portfolios (PDF) are drawn, not stored, but served alike.
FILE_ENDPOINTS = {
    "records.certificate",
    "senco.document",
    "staff.subject_access",
    "certificates.certificate",
    "certificates.portfolio",
}
SPREADSHEET_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

#: A page visited this many times with different ids or filters is enough for its template.
PER_RULE = 3

#: Markup showing as text: tags, a doctype, or entities escaped twice.
RAW_MARKUP = re.compile(
    r"<!doctype|</?(?:html|head|body|div|p|a|span|table|tr|td|th|ul|li|form|input|script|"
    r"main|nav|h[1-6])\b[^>]*>|&(?:lt|gt|amp|quot|#\d+);",
    re.IGNORECASE,
)

#: Injected before any of the page's own scripts, in every frame (DevTools, so CSP allows it).
CSP_LISTENER = """
(() => {
  window.__cspViolations = [];
  document.addEventListener('securitypolicyviolation', (e) => {
    window.__cspViolations.push(
      `${e.effectiveDirective} refused ${e.blockedURI || 'inline'} (${e.sourceFile || ''}:` +
      `${e.lineNumber || 0})`);
  }, true);
})();
"""


def is_excluded(endpoint: str) -> str | None:
    """Why a rule is left out of the crawl, or None."""
    if endpoint in EXCLUDED:
        return EXCLUDED[endpoint]
    blueprint = endpoint.split(".", 1)[0] if "." in endpoint else ""
    return EXCLUDED_BLUEPRINTS.get(blueprint)


def get_rules(app: Flask) -> list[Rule]:
    """Every GET rule of the URL map."""
    return sorted(
        (r for r in app.url_map.iter_rules() if r.methods and "GET" in r.methods),
        key=lambda r: r.rule,
    )


def is_download(rule: Rule) -> bool:
    return rule.endpoint in FILE_ENDPOINTS or bool(re.search(r"\.(<[^>]+>|csv|xlsx)$", rule.rule))


@dataclass
class Visit:
    persona: str
    mode: str
    url: str
    rule: str
    via: str  # "link" or "url map"
    status: int = 0
    content_type: str = ""
    problems: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return (
            f"[{self.persona}, {self.mode}] {self.url} (status {self.status}, "
            f"{self.content_type or 'no content type'}, via {self.via}):\n    "
            + "\n    ".join(self.problems)
        )


def clean(url: str) -> str:
    """The address without the launch token or fragment: what makes two links one page."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != TOKEN]
    return urlunsplit(("", "", parts.path, urlencode(sorted(query)), ""))


def with_token(url: str, token: str | None) -> str:
    if not token:
        return url
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != TOKEN]
    query.append((TOKEN, token))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def token_of(url: str) -> str | None:
    return dict(parse_qsl(urlsplit(url).query)).get(TOKEN)


class Crawl:
    """One person, one way of meeting the tool (``view``: the tool's frame or its own tab)."""

    def __init__(
        self,
        *,
        app: Flask,
        tool_base: str,
        view: Any,
        persona: str,
        mode: str,
        shot: Callable[[str], Any] | None = None,
    ) -> None:
        self.app = app
        self.tool_base = tool_base
        self.view = view
        self.persona = persona
        self.mode = mode
        self.shot = shot
        self.adapter = app.url_map.bind(urlsplit(tool_base).netloc, url_scheme="https")
        self.visits: list[Visit] = []
        self.seen: set[str] = set()
        self.per_rule: dict[str, int] = {}
        self.token: str | None = token_of(view.url)

    # -------------------------------------------------------------- routing

    def rule_of(self, url: str) -> Rule | None:
        parts = urlsplit(url)
        try:
            rule, _ = self.adapter.match(parts.path, method="GET", return_rule=True)
        except RequestRedirect as moved:
            return self.rule_of(moved.new_url)
        except HTTPException:
            return None
        return rule

    def _wanted(self, url: str) -> Rule | None:
        """The rule of a link to follow, or None when it is not for the crawl."""
        if not url.startswith(self.tool_base + "/"):
            return None
        rule = self.rule_of(url)
        if rule is None or is_excluded(rule.endpoint):
            return None
        key = clean(url)
        if key in self.seen or self.per_rule.get(rule.rule, 0) >= PER_RULE:
            return None
        return rule

    # -------------------------------------------------------------- crawling

    def run(self, start: str) -> list[Visit]:
        """Breadth first from ``start`` over the tool's links."""
        queue: deque[str] = deque([start])
        while queue:
            url = queue.popleft()
            rule = self._wanted(url)
            if rule is None:
                continue
            self._claim(url, rule)
            if is_download(rule):
                self.visits.append(self._fetch(url, rule, "link"))
                continue
            visit, links = self._open(url, rule, "link")
            self.visits.append(visit)
            queue.extend(links)
        return self.visits

    def try_urls(self, candidates: Iterable[list[tuple[Rule, str]]]) -> None:
        """Pages no link reached: for each rule, its candidate paths (built from the URL map
        and ids in the database) in turn, until one answers below 400. The launch token is
        added, as the app adds it to its own links."""
        for paths in candidates:
            for rule, path in paths:
                url = with_token(self.tool_base + path, self.token)
                if clean(url) in self.seen:
                    continue
                self._claim(url, rule)
                if is_download(rule):
                    visit = self._fetch(url, rule, "url map")
                else:
                    visit, _ = self._open(url, rule, "url map")
                self.visits.append(visit)
                if 0 < visit.status < 400:
                    break

    def _claim(self, url: str, rule: Rule) -> None:
        self.seen.add(clean(url))
        self.per_rule[rule.rule] = self.per_rule.get(rule.rule, 0) + 1

    def _open(self, url: str, rule: Rule, via: str) -> tuple[Visit, list[str]]:
        visit = Visit(self.persona, self.mode, clean(url), rule.rule, via)
        try:
            response = self.view.goto(url, wait_until="load")
        except Exception as exc:  # a navigation that never finished is a finding
            visit.problems.append(f"the page did not load: {exc}")
            return visit, []
        if response is None:
            visit.problems.append("no response")
            return visit, []
        visit.status = response.status
        visit.content_type = response.header_value("content-type") or ""
        landed = self.rule_of(self.view.url)
        if landed is not None and landed.rule != rule.rule:
            # Followed a redirect: the page shown is another rule's; both were reached.
            visit.rule = f"{rule.rule} -> {landed.rule}"
            self._claim(self.view.url, landed)
        self.token = token_of(self.view.url) or self.token
        self._check_page(visit, via)
        if visit.problems and self.shot is not None:
            self.shot(f"{self.persona}-{self.mode}-{len(self.visits):03d}")
        if visit.status < 400:
            self._click_downloads()
        links = self.view.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        return visit, [h for h in links if isinstance(h, str)]

    def _click_downloads(self) -> None:
        """Links with a ``download`` attribute, clicked as a person would: the browser fetches
        those itself, outside the page (in a frame, without the page's partitioned cookie),
        so a fetch from the page could pass where the click fails."""
        hrefs: list[str] = self.view.eval_on_selector_all(
            "a[href][download]", "els => els.map(e => e.href)"
        )
        for index, href in enumerate(hrefs):
            key = "click " + clean(href)
            rule = self.rule_of(href)
            if key in self.seen or rule is None or not href.startswith(self.tool_base + "/"):
                continue
            self.seen.add(key)
            visit = Visit(self.persona, self.mode, clean(href), rule.rule, "download click")
            link = self.view.locator("a[href][download]").nth(index)
            try:
                with self.view.page.expect_download() as started:
                    link.click()
                download = started.value
                failure = download.failure()
            except Exception as exc:  # no download started at all
                visit.problems.append(f"clicking the download link started no download: {exc}")
                self.visits.append(visit)
                continue
            visit.status = 200 if failure is None else 0
            name = download.suggested_filename
            if failure is not None:
                visit.problems.append(
                    f"clicking the download link failed ({failure}): the browser was offered "
                    f"{name!r}"
                )
            elif name.endswith((".html", ".htm")):
                visit.problems.append(f"clicking the download link saved a page: {name!r}")
            self.visits.append(visit)

    def _check_page(self, visit: Visit, via: str) -> None:
        if visit.status >= 500:
            visit.problems.append(f"server error {visit.status}")
        elif visit.status >= 400 and via == "link":
            visit.problems.append(f"a link the app shows answered {visit.status}")
        if visit.content_type.replace(" ", "").lower() != HTML.replace(" ", ""):
            visit.problems.append(f"served as {visit.content_type!r}, not {HTML!r}")
        text: str = self.view.evaluate(
            "() => (document.body || document.documentElement).innerText || ''"
        )
        raw = RAW_MARKUP.search(text)
        if raw:
            start = max(raw.start() - 40, 0)
            visit.problems.append(
                f"shows markup as text: {text[start : raw.end() + 40]!r}".replace("\n", " ")
            )
        csp: list[str] = self.view.evaluate("() => window.__cspViolations || []")
        visit.problems += [f"CSP violation: {v}" for v in csp]
        if visit.status < 400:
            for v in axe_violations(self.view):
                visit.problems.append(
                    f"axe {v['id']} ({v['impact']}): {v['help']} at {'; '.join(v['targets'])}"
                    f"; first: {v['first']}"
                )

    def _fetch(self, url: str, rule: Rule, via: str) -> Visit:
        """A download, fetched from inside the page with the page's own credentials."""
        visit = Visit(self.persona, self.mode, clean(url), rule.rule, via)
        got = self.view.evaluate(
            """async (url) => {
                const r = await fetch(url, {credentials: 'same-origin'});
                const body = new Uint8Array(await r.arrayBuffer());
                return {status: r.status, type: r.headers.get('content-type') || '',
                        disposition: r.headers.get('content-disposition') || '',
                        size: body.length, head: Array.from(body.slice(0, 4))};
            }""",
            url,
        )
        visit.status, visit.content_type = got["status"], got["type"]
        if visit.status >= 400:
            if visit.status >= 500 or via == "link":
                visit.problems.append(f"the download answered {visit.status}")
            return visit
        suffix = urlsplit(url).path.rsplit(".", 1)[-1]
        expected = SPREADSHEET_TYPES.get(suffix)
        if expected and not visit.content_type.startswith(expected):
            visit.problems.append(f"a .{suffix} download served as {visit.content_type!r}")
        if visit.content_type.startswith("text/html"):
            visit.problems.append("a download served as a page")
        if "attachment" not in got["disposition"]:
            visit.problems.append(f"not an attachment: {got['disposition']!r}")
        if got["size"] == 0:
            visit.problems.append("an empty download")
        if suffix == "xlsx" and bytes(got["head"][:2]) != b"PK":
            visit.problems.append("an .xlsx download that is not a zip file")
        return visit


# ------------------------------------------------------------------ the browser's reports


@dataclass(frozen=True)
class Logged:
    where: str  # the address the browser gave for it (a page, or the script of a page)
    text: str


#: The browser's own note of a page that answered 4xx: the crawl checks statuses itself.
PAGE_STATUS = re.compile(r"^Failed to load resource: the server responded with a status of 4")


def watch_console(context: Any, tool_base: str) -> list[Logged]:
    """What the browser reports about the tool, in every tab and frame of ``context``:
    console errors (failed loads, script errors), any console message about the
    Content-Security-Policy, and uncaught exceptions. Reports arrive when they arrive, not
    with the page they are about: :func:`attribute` files them under pages by address."""
    seen: list[Logged] = []

    def on_console(message: Any) -> None:
        where = (message.location or {}).get("url", "")
        text = message.text
        about_csp = "Content Security Policy" in text or "Content-Security-Policy" in text
        if where.startswith(tool_base) and (message.type == "error" or about_csp):
            seen.append(Logged(where, f"{message.type}: {text}"))

    def on_page(page: Any) -> None:
        page.on("pageerror", lambda exc: seen.append(Logged(page.url, f"uncaught: {exc}")))

    context.on("console", on_console)
    context.on("page", on_page)
    for page in context.pages:
        on_page(page)
    return seen


def attribute(logged: Iterable[Logged], visits: list[Visit], persona: str) -> list[Visit]:
    """File the browser's reports under the pages (of ``persona``) they name; a report that
    names no page visited becomes a problem of its own. Returns those."""
    by_url: dict[str, list[Visit]] = {}
    for visit in visits:
        if visit.persona == persona:
            by_url.setdefault(visit.url, []).append(visit)
    orphans: list[Visit] = []
    for entry in logged:
        pages = by_url.get(clean(entry.where), [])
        if pages and PAGE_STATUS.search(entry.text.removeprefix("error: ")):
            continue  # the page's own 4xx, judged by the crawl
        note = f"browser: {entry.text}"
        if pages:
            if note not in pages[0].problems:
                pages[0].problems.append(note)
            continue
        orphan = Visit(persona, "?", clean(entry.where), "(browser report)", "console")
        orphan.problems.append(note)
        orphans.append(orphan)
    return orphans


# ------------------------------------------------------------------ pages no link reached


#: The model whose ids a URL argument takes.
ID_MODELS: dict[str, type[Any]] = {
    "school_id": School,
    "module_id": Module,
    "person_id": Person,
    "evidence_id": Evidence,
    "session_id": InsetSession,
    "upload_id": ImportUpload,
    "requirement_id": Requirement,
    "membership_id": Membership,
    "provider_id": Provider,
    "purchase_id": Purchase,
    "qualification_id": SencoQualification,
    "doc_id": SencoDocument,
    "appointment_id": SencoAppointment,
}
#: Candidates tried per rule: the first that answers below 400 reaches it.
MAX_CANDIDATES = 12


def _ids(model: type[Any], organisation_id: int, limit: int = 4) -> list[int]:
    query = select(model.id)
    if hasattr(model, "organisation_id"):
        query = query.where(model.organisation_id == organisation_id)
    return list(db.session.scalars(query.order_by(model.id.desc()).limit(limit)))


def _values(rule: Rule, name: str, organisation_id: int) -> list[str]:
    converter = rule._converters.get(name)  # werkzeug has no public accessor
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)
    if name == "fmt":
        return ["csv", "xlsx"]
    if name == "position":
        return ["1"]
    model = ID_MODELS.get(name)
    if model is None:
        return []
    return [str(i) for i in _ids(model, organisation_id)]


def candidate_paths(
    app: Flask, rules: Iterable[Rule], organisation_id: int
) -> list[list[tuple[Rule, str]]]:
    """For each rule, paths built from the database's ids (newest rows first), to try in turn."""
    found = []
    with app.test_request_context():
        for rule in rules:
            names = sorted(rule.arguments)
            choices = [_values(rule, n, organisation_id) for n in names]
            if any(not c for c in choices):
                found.append([])
                continue
            paths = []
            for combo in itertools.islice(itertools.product(*choices), MAX_CANDIDATES):
                built = rule.build(dict(zip(names, combo, strict=True)))
                if built is not None:
                    paths.append((rule, built[1]))
            found.append(paths)
    return found


def excluded_rules(app: Flask) -> dict[str, str]:
    """The GET rules left out on purpose, with why."""
    found = {}
    for rule in get_rules(app):
        why = is_excluded(rule.endpoint)
        if why:
            found[f"{rule.rule} ({rule.endpoint})"] = why
    return found
