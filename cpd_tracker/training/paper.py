"""A knowledge-check paper travels with its form, sealed.

The page draws a paper (which questions, in which order); the answers come back with it in a
hidden field, signed with the app's secret (itsdangerous, as Flask's own session cookie is) and
bound to the person and module, so a learner can neither pick easier questions nor replay
someone else's paper, and no server-side state is needed between the page and its answers
(the tool often runs without cookies inside an LMS frame).
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer

from cpd_tracker.rules.knowledge_check import Paper

_SALT = "cpd-tracker.knowledge-check-paper"
#: A paper is answered within a working day of opening it.
MAX_AGE_SECONDS = 12 * 60 * 60


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def seal(paper: Paper, *, person_id: int, module_id: int) -> str:
    return _serializer().dumps(
        {"p": person_id, "m": module_id, "q": [[qid, list(opts)] for qid, opts in paper.questions]}
    )


def unseal(token: str, *, person_id: int, module_id: int) -> Paper | None:
    """The paper sealed in ``token`` for this person and module; None when it is missing,
    tampered with, too old, or someone else's."""
    if not token or len(token) > 8000:
        return None
    try:
        data: Any = _serializer().loads(token, max_age=MAX_AGE_SECONDS)
    except BadData:
        return None
    if not isinstance(data, dict) or data.get("p") != person_id or data.get("m") != module_id:
        return None
    try:
        return Paper(tuple((int(qid), tuple(int(o) for o in opts)) for qid, opts in data["q"]))
    except (KeyError, TypeError, ValueError):
        return None
