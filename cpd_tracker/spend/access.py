"""Who sees which money (ARCHITECTURE.md, "Money").

* **Trust leaders and finance** (``may_see_trust_money``) see and record the whole
  organisation's spend: every school's, trust-central purchases, memberships, settings.
* **A CPD lead** sees and records their own school's purchases only (``own_school``), and the
  report of their school: its purchases, its own memberships, its share of central spend.
* **Staff** see nothing of money: 403. Another organisation's ids are 404.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort

from cpd_tracker.access import own_school, signed_in
from cpd_tracker.auth import CurrentUser
from cpd_tracker.models import Membership, Purchase, School
from cpd_tracker.registry import get_service
from cpd_tracker.services.spend import Scope, SpendService

F = TypeVar("F", bound=Callable[..., Any])


def spend_user() -> CurrentUser:
    user = signed_in()
    if not (user.may_see_trust_money or user.cpd_lead_school_ids()):
        abort(403)
    return user


def spend_access_required(view: F) -> F:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        spend_user()
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def trust_money_required(view: F) -> F:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not signed_in().may_see_trust_money:
            abort(403)
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def scope_of(user: CurrentUser) -> Scope:
    if user.may_see_trust_money:
        return Scope(user.organisation_id, None)
    return Scope(user.organisation_id, user.cpd_lead_school_ids())


def schools_for(user: CurrentUser) -> list[School]:
    """The schools this person may record purchases for."""
    schools = get_service(SpendService).schools(user.organisation_id)
    if user.may_see_trust_money:
        return schools
    return [s for s in schools if s.id in user.cpd_lead_school_ids()]


def allowed_school(school_id: int) -> School:
    """A school of the organisation the person may see the money of (404 / 403)."""
    user = spend_user()
    if user.may_see_trust_money:
        school = next(
            (
                s
                for s in get_service(SpendService).schools(user.organisation_id)
                if s.id == school_id
            ),
            None,
        )
        if school is None:
            abort(404)
        return school
    return own_school(school_id)


def own_purchase(purchase_id: int) -> Purchase:
    user = spend_user()
    purchase = get_service(SpendService).purchase(user.organisation_id, purchase_id)
    if purchase is None:
        abort(404)
    if purchase.school_id is None:
        if not user.may_see_trust_money:
            abort(403)
    else:
        allowed_school(purchase.school_id)
    return purchase


def own_membership(membership_id: int) -> Membership:
    user = signed_in()
    membership = get_service(SpendService).membership(user.organisation_id, membership_id)
    if membership is None:
        abort(404)
    if not user.may_see_trust_money:
        abort(403)
    return membership
