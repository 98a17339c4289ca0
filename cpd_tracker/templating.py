"""Jinja helpers: links that keep the launch token when cookies are not reaching us."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from flask import Flask, g, url_for
from flask_login import current_user

from cpd_tracker.auth import TOKEN_PARAM
from cpd_tracker.dates import local_date, long_date, short_datetime
from cpd_tracker.forms import BaseForm
from cpd_tracker.markdown import render_markdown
from cpd_tracker.services.compliance import audience_label

if TYPE_CHECKING:
    from cpd_tracker.services.waiting_counts import Waiting


def tool_url(endpoint: str, **values: Any) -> str:
    """``url_for`` that carries the launch token when this request came in with one."""
    token = g.get("launch_token")
    if token and not endpoint.startswith("static"):
        values.setdefault(TOKEN_PARAM, token)
    return url_for(endpoint, **values)


def _nav_items() -> list[dict[str, Any]]:
    from flask import request

    if not current_user.is_authenticated:
        return []
    items = [("training.my_training", "My training")]
    if current_user.cpd_lead_school_ids() or current_user.is_trust_leader:
        items.append(("reports.school", "School"))
        items.append(("manage.requirements", "Training setup"))
        items.append(("places.requests", _place_requests_text()))
    if current_user.may_see_trust_money or current_user.cpd_lead_school_ids():
        items.append(("spend.report", "Spend"))
    if current_user.is_trust_leader:
        items.append(("reports.trust", "Trust"))
        items.append(("admin.permissions", "People and permissions"))
        items.append(("admin.registrations", "LMS registrations"))
        items.append(("admin.outbox", "LMS updates"))
        items.append(("reminders.settings", "Reminders"))
        items.append(("admin.data_access", "Data access log"))
    return [
        {"href": tool_url(ep), "text": text, "current": request.endpoint == ep}
        for ep, text in items
    ]


def _place_requests_text() -> str:
    """The nav link to requests for a place, with how many wait (issue 17)."""
    count = waiting().place_requests
    return f"Place requests ({count})" if count else "Place requests"


def waiting() -> Waiting:
    """What waits for the signed-in CPD lead or trust leader (the navigation's and the
    notices' counts): asked once per request, in one statement, and nothing for plain staff."""
    if "waiting" not in g:
        from cpd_tracker.registry import get_service
        from cpd_tracker.services.waiting_counts import NOTHING, WaitingCounts

        g.waiting = (
            get_service(WaitingCounts).for_user(current_user)
            if current_user.is_authenticated
            else NOTHING
        )
    found: Waiting = g.waiting
    return found


ROLE_LABELS = {
    "teacher": "Teacher",
    "teaching_assistant": "Teaching assistant",
    "senco": "SENCO",
    "leader": "Leader",
    "support_staff": "Support staff",
    "governor": "Governor",
    "unassigned": "Role not set",
}

#: Status values to the words shown beside their colour (never colour alone).
STATUS_LABELS = {
    "not_yet_due": "Not yet due",
    "due": "Due",
    "due_soon": "Due soon",
    "overdue": "Overdue",
    "compliant": "Compliant",
    "expiring_soon": "Expiring soon",
    "expired": "Expired",
    "exempt": "Exempt",
    "extended": "Extended",
    "left": "Left",
}

VIA_LABELS = {
    "cli": "command line",
    "dynamic": "Dynamic Registration",
    "launch": "first launch",
    "admin": "administration page",
    "demo": "demo LMS",
}


def date_uk(value: dt.date | None) -> str:
    return long_date(value)


def datetime_uk(value: dt.datetime | None) -> str:
    return short_datetime(value)


def date_london(value: dt.datetime | None) -> str:
    """A moment's day in England, in the one date style: "3 December 2026"."""
    return "" if value is None else long_date(local_date(value))


def hours(value: object) -> str:
    """CPD hours without trailing zeros: 1.50 -> "1.5", 3.00 -> "3"."""
    return f"{value:.2f}".rstrip("0").rstrip(".") if value is not None else ""


def audit_label(action: str) -> str:
    """``person.updated_from_launch`` -> "Person updated from launch"."""
    return action.replace(".", " ").replace("_", " ").capitalize()


def _register_filters(app: Flask) -> None:
    app.jinja_env.filters["date_uk"] = date_uk
    app.jinja_env.filters["datetime_uk"] = datetime_uk
    app.jinja_env.filters["date_london"] = date_london
    app.jinja_env.filters["role_label"] = lambda v: ROLE_LABELS.get(str(v), str(v))
    app.jinja_env.filters["registration_via"] = lambda v: VIA_LABELS.get(str(v), str(v))
    app.jinja_env.filters["audit_label"] = audit_label
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["hours"] = hours
    app.jinja_env.filters["audience"] = audience_label
    app.jinja_env.filters["status_label"] = lambda v: STATUS_LABELS.get(str(v), str(v))


def _context() -> dict[str, Any]:
    org_name = None
    sign_out = None
    if g.get("database_down"):  # the 503 page: nothing that needs a query
        return {"nav_items": [], "current_org_name": None, "sign_out_form": None}
    if current_user.is_authenticated:
        org_name = current_user.person.organisation.name
        sign_out = BaseForm()
    return {"nav_items": _nav_items(), "current_org_name": org_name, "sign_out_form": sign_out}


def init_templating(app: Flask) -> None:
    app.jinja_env.globals["tool_url"] = tool_url
    app.context_processor(_context)
    _register_filters(app)


def compile_templates(app: Flask) -> int:
    """Compile every page and e-mail template now rather than on its first request; returns
    how many. Jinja keeps compiled templates in its cache (400 by default, more than we have)."""
    names = [n for n in app.jinja_env.list_templates() if n.endswith((".html", ".txt"))]
    for name in names:
        app.jinja_env.get_template(name)
    return len(names)
