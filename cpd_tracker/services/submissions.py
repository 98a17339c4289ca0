"""One-time form keys: a create form sent twice creates once (issue 14, finding 8).

``claim`` records a form's key in the request's transaction before anything is created; the
same key again finds that row (with where its result is shown) instead. Two copies racing in
(a double click reaching two workers) meet at the unique index: on PostgreSQL the second
insert waits for the first transaction and then fails, inside a savepoint, so the second
request reads the first's row once it is committed. A submission that is refused (4xx) rolls
back with its claim, so the corrected form can be sent with the same key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cpd_tracker.models import FormSubmission


def submission_key(path: str, token: str) -> str:
    """The stored key: a hash of where the form was sent and its token (never the token)."""
    return hashlib.sha256(f"{path}\n{token}".encode("utf-8", "surrogatepass")).hexdigest()


class SubmissionService:
    def __init__(self, session: Session, clock: Callable[[], dt.datetime]) -> None:
        self.session = session
        self.clock = clock

    def _find(self, organisation_id: int, key: str) -> FormSubmission | None:
        return self.session.scalar(
            select(FormSubmission).where(
                FormSubmission.organisation_id == organisation_id, FormSubmission.key == key
            )
        )

    def claim(
        self, organisation_id: int, key: str, endpoint: str, person_id: int | None
    ) -> tuple[FormSubmission, bool]:
        """(the submission's row, True) the first time ``key`` is sent; (the earlier row,
        False) when it was sent before, and nothing should be created."""
        earlier = self._find(organisation_id, key)
        if earlier is not None:
            return earlier, False
        row = FormSubmission(
            organisation_id=organisation_id,
            key=key,
            person_id=person_id,
            endpoint=endpoint[:100],
            created_at=self.clock(),
        )
        try:
            with self.session.begin_nested():
                self.session.add(row)
                self.session.flush()
        except IntegrityError:
            winner = self._find(organisation_id, key)
            if winner is None:  # pragma: no cover - the unique index is the only constraint
                raise
            return winner, False
        return row, True

    def record_result(self, row: FormSubmission, endpoint: str, values: Mapping[str, Any]) -> None:
        """Where what the submission created is shown (an endpoint and its URL values)."""
        row.result_endpoint = endpoint
        row.result_values = dict(values)
        self.session.flush()

    def purge(self, before: dt.datetime) -> int:
        """Forget keys older than ``before`` (forms older than the CSRF lifetime are refused
        anyway). The number of rows removed."""
        result = self.session.execute(
            delete(FormSubmission).where(FormSubmission.created_at < before)
        )
        return int(getattr(result, "rowcount", 0) or 0)
