"""Sending grades: 1EdTech Assignment and Grade Services 2.0.

* Score publish service (AGS 2.0 §3.4): POST ``application/vnd.ims.lis.v1.score+json`` to the
  line item's scores URL, the line item URL's path plus ``/scores`` with its query string kept
  (:func:`lti.platforms.scores_url_for`), with a token for the ``score`` scope. The body carries
  ``userId``, ``scoreGiven``, ``scoreMaximum``, ``comment``, ``timestamp``, ``activityProgress``
  and ``gradingProgress``.
* Line item service (§3.2): GET the line items container (``lineitemcontainer+json``) filtered by
  ``resource_id``, and POST a ``lineitem+json`` to create one, with a token for the ``lineitem``
  scope. Containers page with ``Link: rel="next"`` like NRPS.
* Access tokens: Security Framework 1.0 §4.1, through :mod:`lti.service_tokens`.

Platform facts this module lives with:

* Moodle's line item URLs carry a query string (``.../lineitems/5/lineitem?type_id=3``): the
  scores URL is ``.../lineitem/scores?type_id=3`` (LTI.md, "Moodle as a platform"). Moodle
  refuses a score whose ``timestamp`` is not later, to the second, than the grade it holds, with
  409 "Refusing score with an earlier timestamp" (``mod/lti/service/gradebookservices``,
  ``classes/local/resources/scores.php``): not worth retrying. It also checks the timestamp
  against its ``validate_iso8601_date`` pattern and drops ``scoreGiven`` unless
  ``gradingProgress`` is ``FullyGraded``.
* Canvas shows a complete/incomplete assignment as complete only at 100%: a completion is sent
  as ``scoreGiven = scoreMaximum`` (LTI.md, "Canvas as a platform"; :func:`completion_score`).
* Timestamps are sent in UTC with milliseconds and an explicit offset
  (``2025-01-15T10:00:00.000+00:00``, the form of the spec's own example): the score timestamp
  must be ISO 8601 with sub-second precision and a time zone.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import requests

from lti.advantage_errors import LineItemError, ScorePublishError, ServiceTokenError
from lti.http import HttpClient, HttpError
from lti.platforms import score_already_held, scores_url_for
from lti.registration import Registration
from lti.service_tokens import (
    ServiceTokenClient,
    authorized_request,
    json_object,
    parse_links,
    same_origin,
    service_error,
)
from lti.urls import with_query

SCORE_MEDIA_TYPE = "application/vnd.ims.lis.v1.score+json"
LINEITEM_MEDIA_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEM_CONTAINER_MEDIA_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"

#: How a score POST ended (see :meth:`ScoreClient.publish`).
Published = Literal["delivered", "already_held"]
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"

#: AGS 2.0 §3.4.6 and §3.4.7.
ACTIVITY_PROGRESS = frozenset({"Initialized", "Started", "InProgress", "Submitted", "Completed"})
GRADING_PROGRESS = frozenset({"FullyGraded", "Pending", "PendingManual", "Failed", "NotReady"})

_HINT_SERVICE = (
    "Switch on grade synchronisation for this tool in the LMS (Moodle: the tool's “IMS LTI "
    "Assignment and Grade Services” setting; Canvas: the developer key's LTI Advantage "
    "services), and check that the activity still exists in the course."
)


def format_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and an offset: ``2025-01-15T10:00:00.000+00:00``."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("score timestamps need a time zone")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True, kw_only=True)
class Score:
    """One learner's result for one line item (AGS 2.0 §3.4)."""

    user_id: str
    #: None with progress-only updates (nothing graded yet).
    score_given: float | None
    score_maximum: float | None
    timestamp: datetime
    activity_progress: str = "Completed"
    grading_progress: str = "FullyGraded"
    comment: str | None = None

    def __post_init__(self) -> None:
        if not self.user_id:
            raise ValueError("a score needs the learner's user_id (the launch's sub)")
        if self.activity_progress not in ACTIVITY_PROGRESS:
            raise ValueError(f"unknown activityProgress {self.activity_progress!r}")
        if self.grading_progress not in GRADING_PROGRESS:
            raise ValueError(f"unknown gradingProgress {self.grading_progress!r}")
        if self.score_given is not None:
            # §3.4.3: scoreMaximum is required with scoreGiven; both non-negative.
            if self.score_maximum is None or self.score_maximum <= 0:
                raise ValueError("scoreGiven needs a positive scoreMaximum")
            if self.score_given < 0:
                raise ValueError("scoreGiven cannot be negative")
        format_timestamp(self.timestamp)

    def to_json(self) -> dict[str, Any]:
        """The score+json body."""
        body: dict[str, Any] = {
            "userId": self.user_id,
            "activityProgress": self.activity_progress,
            "gradingProgress": self.grading_progress,
            "timestamp": format_timestamp(self.timestamp),
        }
        if self.score_given is not None:
            body["scoreGiven"] = self.score_given
        if self.score_maximum is not None:
            body["scoreMaximum"] = self.score_maximum
        if self.comment is not None:
            body["comment"] = self.comment
        return body


def completion_score(user_id: str, completed_at: datetime, *, comment: str | None = None) -> Score:
    """A completed module: full marks, 1 of 1.

    Canvas marks a complete/incomplete assignment complete only at 100%, so completion is
    never sent as a partial score (LTI.md, "send scoreGiven = scoreMaximum").
    """
    return Score(
        user_id=user_id,
        score_given=1.0,
        score_maximum=1.0,
        timestamp=completed_at,
        activity_progress="Completed",
        grading_progress="FullyGraded",
        comment=comment,
    )


class ScoreClient:
    """Publishes scores to line items (AGS 2.0 §3.4)."""

    def __init__(self, http: HttpClient, tokens: ServiceTokenClient) -> None:
        self._http = http
        self._tokens = tokens

    def publish(self, registration: Registration, lineitem_url: str, score: Score) -> Published:
        """POST ``score`` to the line item's scores URL.

        Returns ``"delivered"``, or ``"already_held"`` when the platform refused the score
        because it holds this one or a newer one already (a resend after a lost answer:
        Moodle's 409, Open edX's and Canvas's 400s, :func:`lti.platforms.score_already_held`).
        Raises :class:`~lti.advantage_errors.ScorePublishError`; its ``retryable`` is True for
        timeouts, connection failures, 408, 429 and 5xx (try again later), False for any other
        refusal (an admin must act).
        """
        url = scores_url_for(lineitem_url)
        try:
            authorized_request(
                self._http,
                self._tokens,
                registration,
                [SCOPE_SCORE],
                "POST",
                url,
                headers={"Content-Type": SCORE_MEDIA_TYPE, "Accept": "application/json"},
                data=json.dumps(score.to_json()).encode(),
            )
        except HttpError as exc:
            answer = exc.response
            if answer is not None and score_already_held(answer.status_code, answer.text):
                return "already_held"
            raise _score_error(score, url, exc) from exc
        except ServiceTokenError as exc:
            raise _score_error(score, url, exc) from exc
        return "delivered"


def _score_error(score: Score, url: str, exc: HttpError | ServiceTokenError) -> ScorePublishError:
    what = f"The grade for user “{score.user_id[:60]}” could not be sent to {url[:200]}"
    return service_error(ScorePublishError, what, exc, hints=_SCORE_HINTS)


_SCORE_HINTS = {
    401: _HINT_SERVICE,
    403: _HINT_SERVICE,
    404: (
        "The gradebook column is gone: the activity or its grade item was deleted in the LMS. "
        "Relaunching the activity from the course gives the tool its current address."
    ),
    400: (
        "The LMS refused the grade as sent, so sending it again will not help: check that the "
        "activity is still graded in the LMS and that the learner is still enrolled, using the "
        "LMS's reason quoted above."
    ),
    422: (
        "The LMS refused the grade as sent, so sending it again will not help: check the "
        "activity's grade settings in the LMS, using its reason quoted above."
    ),
}


@dataclass(frozen=True)
class LineItem:
    """A gradebook column (AGS 2.0 §3.2.2)."""

    #: The line item's URL: where its scores go.
    id: str
    label: str
    score_maximum: float
    resource_id: str | None = None
    resource_link_id: str | None = None
    tag: str | None = None

    @classmethod
    def from_json(cls, raw: object) -> LineItem | None:
        """A LineItem from a platform's JSON, or None when it lacks an id, label or maximum."""
        if not isinstance(raw, Mapping):
            return None
        item_id, label, maximum = raw.get("id"), raw.get("label"), raw.get("scoreMaximum")
        if not isinstance(item_id, str) or not item_id or not isinstance(label, str):
            return None
        if isinstance(maximum, bool) or not isinstance(maximum, int | float):
            return None
        return cls(
            id=item_id,
            label=label,
            score_maximum=float(maximum),
            resource_id=_text(raw.get("resourceId")),
            resource_link_id=_text(raw.get("resourceLinkId")),
            tag=_text(raw.get("tag")),
        )


class LineItemClient:
    """Finds or creates line items in a context's container (AGS 2.0 §3.2)."""

    def __init__(
        self, http: HttpClient, tokens: ServiceTokenClient, *, max_pages: int = 50
    ) -> None:
        self._http = http
        self._tokens = tokens
        self._max_pages = max_pages

    def find(
        self,
        registration: Registration,
        lineitems_url: str,
        resource_id: str,
        *,
        resource_link_id: str | None = None,
        tag: str | None = None,
    ) -> LineItem | None:
        """The line item of a resource link, or the one whose ``resourceId`` is ours, or None.

        With ``resource_link_id`` the container is asked for ``?resource_link_id=`` (§3.2.3),
        else for ``?resource_id=``; the answer is matched again here, since a platform may
        ignore the filter, and its ``next`` pages are followed. A line item the LMS made for
        the link (its own gradebook column) counts; of several, the one with our ``tag`` wins.
        """
        if resource_link_id is not None:
            query = {"resource_link_id": resource_link_id}
        else:
            query = {"resource_id": resource_id}
        url: str | None = with_query(lineitems_url, query)
        best: LineItem | None = None
        pages = 0
        while url is not None:
            if pages >= self._max_pages:
                # Stopping here could create a duplicate column: refuse instead.
                raise LineItemError(
                    f"The LMS's line items at {lineitems_url[:200]} run to more than "
                    f"{self._max_pages} pages."
                )
            response = self._call(
                registration, "GET", url, {"Accept": LINEITEM_CONTAINER_MEDIA_TYPE}
            )
            pages += 1
            body = _json(response.content)
            if not isinstance(body, list):
                raise LineItemError(
                    f"The LMS's line items at {url[:200]} are not a line item container.",
                    platform_status=response.status_code,
                )
            for raw in body:
                item = LineItem.from_json(raw)
                if item is None:
                    continue
                ours = item.resource_id == resource_id and (tag is None or item.tag == tag)
                linked = resource_link_id is not None and item.resource_link_id == resource_link_id
                if linked and (tag is None or item.tag == tag):
                    return item
                if (linked or ours) and best is None:
                    best = item
            url = parse_links(response.headers.get("Link"), url).get("next")
            if url is not None and not same_origin(url, lineitems_url):
                # The token never goes to another site, and stopping could duplicate a column.
                raise LineItemError(
                    f"The LMS's line items at {lineitems_url[:200]} continue on another site "
                    f"({url[:200]})."
                )
        return best

    def create(
        self,
        registration: Registration,
        lineitems_url: str,
        *,
        resource_id: str,
        label: str,
        score_maximum: float,
        tag: str | None = None,
        resource_link_id: str | None = None,
    ) -> LineItem:
        """POST a new line item (§3.2.5) and return it as the platform stored it."""
        if score_maximum <= 0:
            raise ValueError("scoreMaximum must be positive")
        body: dict[str, Any] = {
            "label": label,
            "scoreMaximum": score_maximum,
            "resourceId": resource_id,
        }
        if tag is not None:
            body["tag"] = tag
        if resource_link_id is not None:
            body["resourceLinkId"] = resource_link_id
        response = self._call(
            registration,
            "POST",
            lineitems_url,
            {"Content-Type": LINEITEM_MEDIA_TYPE, "Accept": LINEITEM_MEDIA_TYPE},
            data=json.dumps(body).encode(),
        )
        item = LineItem.from_json(json_object(response))
        if item is None:
            raise LineItemError(
                f"The LMS created a line item at {lineitems_url[:200]} but did not say where "
                "it is.",
                platform_status=response.status_code,
            )
        return item

    def find_or_create(
        self,
        registration: Registration,
        lineitems_url: str,
        resource_id: str,
        label: str,
        score_maximum: float,
        *,
        tag: str | None = None,
        resource_link_id: str | None = None,
    ) -> LineItem:
        """The line item for ``resource_id``, created when the context has none.

        For a resource link that came with no ``lineitem`` in its AGS claim, only the context's
        ``lineitems`` (Open edX in programmatic mode, a link not yet graded in the LMS).
        """
        found = self.find(
            registration, lineitems_url, resource_id, resource_link_id=resource_link_id, tag=tag
        )
        if found is not None:
            return found
        return self.create(
            registration,
            lineitems_url,
            resource_id=resource_id,
            label=label,
            score_maximum=score_maximum,
            tag=tag,
            resource_link_id=resource_link_id,
        )

    def _call(
        self,
        registration: Registration,
        method: str,
        url: str,
        headers: Mapping[str, str],
        **kwargs: Any,
    ) -> requests.Response:
        try:
            return authorized_request(
                self._http,
                self._tokens,
                registration,
                [SCOPE_LINEITEM],
                method,
                url,
                headers=headers,
                **kwargs,
            )
        except (ServiceTokenError, HttpError) as exc:
            what = f"The LMS's line items at {url[:200]} could not be used"
            hints = {401: _HINT_SERVICE, 403: _HINT_SERVICE}
            raise service_error(LineItemError, what, exc, hints=hints) from exc


def _json(content: bytes) -> object:
    try:
        return json.loads(content or b"null")
    except ValueError:
        return None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
