"""Every form the tool shows, sent back with crafted values, never makes a 500 (issue 14,
finding 7, "Typed input everywhere"; the POST side of ``test_hostile_input.py``'s crawl).

The crawl signs in as a staff member, a CPD lead, a trust leader and finance, opens every GET
page (the same walk as the query-value audit), and reads each POST form on it with the
standard library's HTML parser: its action, its fields and their values as the page gave
them, its CSRF token included. Each form is sent once as it stands, then once per field with
each hostile value in that field alone. Forms found again on another page (same action and
fields) are sent once; forms that may end the user's session (taking a permission away,
erasing a person) are sent after the others, and sign-out not at all. Nothing may answer 5xx,
and the crawl must have sent a good number of real forms (79 when written), so a broken crawl
fails rather than passing empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from flask import Flask
from flask.testing import FlaskClient

from tests.functional.staff.conftest import SignIn, org_id, platform, sign_in
from tests.security.test_hostile_input import HOSTILE, _clients, _get_rules, _urls, _world
from tests.support.platform import TestPlatform

#: The staff pages' fixtures: two schools, a Moodle platform, clients signed in by launches.
__all__ = ["org_id", "platform", "sign_in"]
#: Form actions not sent: ending the session would end the crawl as that user.
LEFT_OUT = ("/sign-out",)
#: Form actions sent after every other form of the same user: they may end the session.
LAST = ("/revoke", "/erase")
#: Fields sent as they are: the CSRF token (its refusal is tested on its own).
KEPT = ("csrf_token",)
#: What one crawl sends at least (real forms, each field and value).
AT_LEAST_FORMS = 60


@dataclass
class Form:
    action: str
    fields: list[tuple[str, str]] = field(default_factory=list)

    def key(self) -> tuple[str, tuple[str, ...]]:
        return (urlsplit(self.action).path, tuple(sorted({n for n, _ in self.fields})))


class Forms(HTMLParser):
    """The POST forms of a page, with the values the page filled in."""

    def __init__(self, page_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._select_value: str | None = None
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            if a.get("method", "get").lower() == "post":
                self._form = Form(urljoin(self.page_url, a.get("action") or self.page_url))
            return
        form = self._form
        if form is None or (not a.get("name") and tag != "option"):
            return
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                if not any(n == a["name"] for n, _ in form.fields) and kind == "radio":
                    form.fields.append((a["name"], a.get("value", "on")))
                return
            if kind == "file":
                return
            form.fields.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self._select, self._select_value = a["name"], None
        elif tag == "option" and self._select is not None:
            if self._select_value is None or "selected" in a:
                self._select_value = a.get("value", "")
        elif tag == "textarea":
            self._textarea, self._text = a["name"], ""

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        form = self._form
        if tag == "form" and form is not None:
            self.forms.append(form)
            self._form = None
        elif tag == "select" and form is not None and self._select is not None:
            form.fields.append((self._select, self._select_value or ""))
            self._select = None
        elif tag == "textarea" and form is not None and self._textarea is not None:
            form.fields.append((self._textarea, self._text))
            self._textarea = None


def _forms(client: FlaskClient, url: str) -> list[Form]:
    response = client.get(url)
    body = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
    response.close()
    if response.status_code != 200 or not body:
        return []
    parser = Forms("http://localhost" + url)
    parser.feed(body)
    return [f for f in parser.forms if not urlsplit(f.action).path.endswith(LEFT_OUT)]


def _send(client: FlaskClient, form: Form, fields: list[tuple[str, str]]) -> int:
    target = urlsplit(form.action)
    path = target.path + (f"?{target.query}" if target.query else "")
    data: dict[str, list[str]] = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    response = client.post(path, data=data)
    response.get_data()
    response.close()
    return response.status_code


def test_no_form_fails_on_hostile_values(
    app: Flask, org_id: int, platform: TestPlatform, sign_in: SignIn
) -> None:
    _world(app, org_id, platform)
    clients = _clients(app, sign_in, platform)
    with app.app_context():
        urls = [url for rule in _get_rules(app) for url in _urls(rule, org_id)]
    sent = 0
    answered: list[int] = []
    for kind, client in clients.items():
        found: dict[tuple[str, tuple[str, ...]], tuple[str, Form]] = {}
        for url in urls:
            for form in _forms(client, url):
                found.setdefault(form.key(), (url, form))
        # Forms that may end this user's session (taking a permission away, erasing a
        # person) go last, so they cannot hide the others.
        for url, form in sorted(found.values(), key=lambda f: f[1].action.endswith(LAST)):
            sent += 1
            status = _send(client, form, form.fields)
            assert status < 500, (kind, url, form.action, "as shown")
            answered.append(status)
            for index, (name, _) in enumerate(form.fields):
                if name in KEPT:
                    continue
                for value in HOSTILE:
                    # The page again: a one-time form key or token may have been used.
                    fresh = next((f for f in _forms(client, url) if f.key() == form.key()), form)
                    fields = list(fresh.fields)
                    if index < len(fields):
                        fields[index] = (name, value)
                    status = _send(client, fresh, fields)
                    assert status < 500, (kind, url, form.action, name, value[:20])
                    answered.append(status)
    assert sent >= AT_LEAST_FORMS, sent
    assert any(400 <= s < 500 for s in answered)  # refusals were reached, not only redirects


def test_a_nul_or_control_character_in_typed_text_is_the_fields_error(
    app: Flask, sign_in: SignIn
) -> None:
    """On PostgreSQL a NUL in any text field failed the request (the crawl above found it in a
    person's staff number); every form now refuses such text with the field's own message and
    stores nothing, on either database."""
    lead = sign_in("instructor")
    [form] = [f for f in _forms(lead, "/spend/providers") if f.action.endswith("/spend/providers")]
    for bad in ("Nasen\x00", "Na\x0bsen", "Nasen\x1b[2J"):
        fields = [(n, bad if n == "name" else v) for n, v in form.fields]
        response = lead.post("/spend/providers", data=dict(fields))
        assert response.status_code == 400, repr(bad)
        assert "holds a character this tool cannot store" in response.get_data(as_text=True)
    assert "Nasen" not in lead.get("/spend/providers").get_data(as_text=True)
    # Tabs and line breaks are typed text: a note keeps them.
    fresh = next(f for f in _forms(lead, "/spend/providers") if f.key() == form.key())
    fields = [
        (n, "Nasen" if n == "name" else "Line one\r\nline\ttwo" if n == "notes" else v)
        for n, v in fresh.fields
    ]
    assert lead.post("/spend/providers", data=dict(fields)).status_code in (302, 303)
    assert "Nasen" in lead.get("/spend/providers").get_data(as_text=True)
