"""Typed input: the query string's and hand-read form fields' numbers and choices, parsed once.

Every view that reads ``request.args`` (or a form field outside WTForms) goes through these
helpers, so anything out of range is a 400 that says what to send instead, never a 500 from
the database: PostgreSQL's ``integer`` columns stop at 2**31 - 1 and SQLite's at 2**63 - 1,
``"²".isdigit()`` is true although ``int("²")`` fails, and PostgreSQL refuses a NUL in text.

The same bound applies to ids in URLs (``<int:...>``, see ``BoundedIntConverter``) and to
ids chosen in forms (``cpd_tracker.forms.form_id``); the number rules themselves are pure, in
``cpd_tracker.rules.numbers``, which the imports use too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from typing import NoReturn

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter, Map

from cpd_tracker.rules.numbers import MAX_ID, whole_number

__all__ = [
    "MAX_ID",
    "BoundedIntConverter",
    "choice_arg",
    "date_arg",
    "id_arg",
    "init_params",
    "int_arg",
    "text_arg",
    "whole_number",
]


def _refuse(description: str) -> NoReturn:
    abort(400, description=description)


def _raw(name: str, source: Mapping[str, str] | None) -> str | None:
    values = request.args if source is None else source
    raw = values.get(name)
    return raw if raw else None


def int_arg(
    name: str,
    *,
    min: int = 1,
    max: int = MAX_ID,
    default: int | None = None,
    label: str | None = None,
    source: Mapping[str, str] | None = None,
) -> int | None:
    """The whole number in ``?name=`` (or ``source[name]``), ``default`` when absent or empty;
    anything else outside ``min..max`` is a 400 naming the field and the range."""
    raw = _raw(name, source)
    if raw is None:
        return default
    value = whole_number(raw, low=min, high=max)
    if value is None:
        what = label or f"The {name} value"
        _refuse(f"{what} must be a whole number from {min:,} to {max:,}. Go back and try again.")
    return value


def id_arg(
    name: str, *, label: str | None = None, source: Mapping[str, str] | None = None
) -> int | None:
    """An id in ``?name=``: None when absent, else a number from 1 to ``MAX_ID`` (400 if not).
    Whether the row exists, and is the user's to see, is the caller's check (404 or 403)."""
    raw = _raw(name, source)
    if raw is None:
        return None
    value = whole_number(raw, low=1, high=MAX_ID)
    if value is None:
        what = label or f"The {name} filter"
        _refuse(f"{what} must be the number of one of the items listed. Go back and choose again.")
    return value


def choice_arg(
    name: str,
    choices: Collection[str],
    *,
    default: str | None = None,
    label: str | None = None,
    message: str | None = None,
    strict: bool = True,
    source: Mapping[str, str] | None = None,
) -> str | None:
    """One of ``choices`` in ``?name=``; ``default`` when absent. Anything else is a 400 (or,
    with ``strict=False``, ignored: ``default``), for filters a link may carry stale."""
    raw = _raw(name, source)
    if raw is None:
        return default
    if raw in choices:
        return raw
    if not strict:
        return default
    what = label or f"The {name} filter"
    shown = ", ".join(list(choices)[:12])
    _refuse(message or f"{what} must be one of: {shown}. Go back and choose again.")


#: Dates in a query string: ISO (what a date picker sends) or as written in England.
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")


def date_arg(
    name: str, *, label: str | None = None, source: Mapping[str, str] | None = None
) -> dt.date | None:
    """A day in ``?name=`` (``2026-09-01`` or ``1/9/2026``), None when absent; anything else,
    or a year outside 1900-2100 (a day past the last would overflow), is a 400."""
    raw = _raw(name, source)
    if raw is None:
        return None
    for pattern in DATE_FORMATS:
        try:
            day = dt.datetime.strptime(raw.strip(), pattern).date()
        except ValueError:
            continue
        if 1900 <= day.year <= 2100:
            return day
    what = label or f"The {name} date"
    _refuse(f"{what} must be a real date, like 1/9/2026. Go back and try again.")


def text_arg(name: str, *, max_length: int = 100, source: Mapping[str, str] | None = None) -> str:
    """Free text in ``?name=`` (a search), stripped; "" when absent. Cut to ``max_length``."""
    raw = _raw(name, source) or ""
    return raw.strip()[:max_length]


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` in every URL, held to ``MAX_ID``: a bigger number matches no route (404)
    instead of reaching the database."""

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = MAX_ID,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def _refuse_control_characters() -> None:
    """No query value the tool (or an LMS) sends holds a control character; PostgreSQL
    refuses a NUL outright, so refuse them all here, before any view reads one."""
    for name, value in request.args.items(multi=True):
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
            _refuse(
                f"The link's {name[:40]!r} value is not one this tool makes. "
                "Go back and use the page's own links and filters."
            )


def init_params(app: Flask) -> None:
    """Bound ``<int:...>`` (before any blueprint adds a rule) and screen query strings."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(_refuse_control_characters)
