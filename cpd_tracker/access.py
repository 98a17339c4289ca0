"""Who may see what. Handlers load, check access here, then act (the indico pattern).

Every lookup of an organisation's data goes through ``own_school`` and friends, which scope
by the signed-in person's organisation first: a school id from another organisation is a 404,
exactly like one that does not exist, so ids reveal nothing across tenants.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from cpd_tracker.auth import CurrentUser
from cpd_tracker.extensions import db
from cpd_tracker.models import Course, School

F = TypeVar("F", bound=Callable[..., Any])


def signed_in() -> CurrentUser:
    if not current_user.is_authenticated:
        abort(401)
    user: CurrentUser = current_user._get_current_object()
    return user


def login_required(view: F) -> F:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        signed_in()
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def trust_leader_required(view: F) -> F:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not signed_in().is_trust_leader:
            abort(403)
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def own_school(school_id: int) -> School:
    """A school of the signed-in person's organisation that they may lead, else 404/403."""
    user = signed_in()
    school = db.session.scalar(
        select(School).where(School.id == school_id, School.organisation_id == user.organisation_id)
    )
    if school is None:
        abort(404)
    if not user.may_lead_school(school.id):
        abort(403)
    return school


def launch_course() -> Course | None:
    user = signed_in()
    if user.launch.course_id is None:
        return None
    return db.session.scalar(
        select(Course).where(
            Course.id == user.launch.course_id, Course.organisation_id == user.organisation_id
        )
    )
