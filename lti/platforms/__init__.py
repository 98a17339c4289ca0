"""What differs between LMSs, kept in one place; what every platform shares lives here.

Each platform module (:mod:`lti.platforms.moodle`, :mod:`lti.platforms.canvas`) documents its
quirks next to the code that handles them, with the source it was learnt from.

Specs: LTI Core 1.3 §5.4.1 (``tool_platform`` claim), AGS 2.0 §3.3 (the scores service URL).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from lti.registration import Registration

TOOL_PLATFORM_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/tool_platform"


@dataclass(frozen=True)
class PlatformEndpoints:
    """Where one platform (one issuer) authenticates users, issues tokens and publishes keys."""

    issuer: str
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    #: ``tool_platform.product_family_code`` as the platform reports it ("moodle", "canvas").
    product_family: str | None = None
    #: ``aud`` for client assertions when the token endpoint wants something other than its URL.
    auth_audience: str | None = None

    def to_registration(
        self,
        client_id: str,
        *,
        deployment_ids: frozenset[str] = frozenset(),
        accept_new_deployments: bool = False,
    ) -> Registration:
        return Registration(
            issuer=self.issuer,
            client_id=client_id,
            auth_login_url=self.auth_login_url,
            auth_token_url=self.auth_token_url,
            key_set_url=self.key_set_url,
            deployment_ids=deployment_ids,
            accept_new_deployments=accept_new_deployments,
            auth_audience=self.auth_audience,
        )


def scores_url_for(lineitem_url: str) -> str:
    """The AGS scores endpoint of a line item: its path plus ``/scores``, query string kept.

    AGS 2.0 §3.3 says to append ``/scores`` to the line item URL's *path*. Moodle's line item
    URLs carry a query (``.../lineitems/5/lineitem?type_id=3``), so appending to the string
    would produce ``...?type_id=3/scores``, which Moodle answers with 404.
    """
    parts = urlsplit(lineitem_url)
    path = parts.path.rstrip("/") + "/scores"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def detect_family(claims: Mapping[str, Any]) -> str | None:
    """The product family of the platform that sent these launch claims, lower case, or None.

    ``tool_platform.product_family_code`` is optional in LTI Core 1.3, so fall back to the
    platforms' own fingerprints (see :func:`lti.platforms.moodle.sent` and
    :func:`lti.platforms.canvas.sent`).
    """
    # Imported here: the platform modules import PlatformEndpoints from this package.
    from lti.platforms import canvas, moodle

    platform = claims.get(TOOL_PLATFORM_CLAIM)
    if isinstance(platform, Mapping):
        code = platform.get("product_family_code")
        if isinstance(code, str) and code.strip():
            return code.strip().lower()
    if moodle.sent(claims):
        return moodle.PRODUCT_FAMILY
    if canvas.sent(claims):
        return canvas.PRODUCT_FAMILY
    return None


def score_already_held(status: int, body: str) -> bool:
    """Whether a platform's refusal of a score means it already holds that score or a newer
    one (a resend after an answer was lost): the grade is delivered, nothing needs doing.

    Each platform says so in its own way; see ``score_already_held`` in
    :mod:`lti.platforms.moodle`, :mod:`lti.platforms.canvas` and :mod:`lti.platforms.openedx`.
    Asked of all of them, since a platform's family is not known for certain from a score's
    answer and the answers do not overlap.
    """
    from lti.platforms import canvas, moodle, openedx

    return any(
        platform.score_already_held(status, body[:2000]) for platform in (moodle, canvas, openedx)
    )
