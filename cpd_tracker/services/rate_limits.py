"""Request limits for the endpoints anyone can reach without signing in.

Counted per key (an endpoint with a client address, or with a platform) in fixed windows, in
the ``rate_counter`` table: the database is the store every worker and host already shares,
so a flood spread over workers or hosts is counted once. Each count is one upsert in its own
short transaction (``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``, on PostgreSQL and on
SQLite 3.35+), committed whether the request then succeeds or is refused: a refused request
still counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, delete
from sqlalchemy.dialects import postgresql, sqlite

from cpd_tracker.models import RateCounter


@dataclass(frozen=True)
class Limit:
    """At most ``requests`` per ``window`` for one key."""

    name: str
    requests: int
    window: dt.timedelta


#: OIDC login initiation writes a login state row: per browser address, and per platform (a
#: trust's whole staff opening the course at 8:45 on the first day of term stays well inside).
LOGIN_PER_ADDRESS = Limit("login-address", 60, dt.timedelta(minutes=1))
LOGIN_PER_PLATFORM = Limit("login-platform", 3000, dt.timedelta(minutes=1))
#: A launch (the form post back from the LMS) checks a signature and reads keys.
LAUNCH_PER_ADDRESS = Limit("launch-address", 60, dt.timedelta(minutes=1))
#: Dynamic Registration fetches from the LMS named in the request.
REGISTER_PER_ADDRESS = Limit("register-address", 20, dt.timedelta(minutes=10))


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    #: Seconds until the window ends (for Retry-After).
    retry_after: int


class RateLimiter:
    def __init__(self, engine: Engine, clock: Callable[[], dt.datetime]) -> None:
        self.engine = engine
        self.clock = clock

    def hit(self, limit: Limit, subject: str) -> Verdict:
        """Count one request of ``subject`` (an address, an issuer) against ``limit``."""
        now = self.clock()
        seconds = int(limit.window.total_seconds())
        start = dt.datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, dt.UTC)
        key = f"{limit.name}:{subject}"[:200]
        insert = postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert
        statement = (
            insert(RateCounter)
            .values(key=key, window_start=start, count=1)
            .on_conflict_do_update(
                index_elements=[RateCounter.key, RateCounter.window_start],
                set_={"count": RateCounter.count + 1},
            )
            .returning(RateCounter.count)
        )
        with self.engine.begin() as connection:
            count = int(connection.execute(statement).scalar_one())
        retry_after = max(1, int((start + limit.window - now).total_seconds()))
        return Verdict(count <= limit.requests, retry_after)

    def purge(self, before: dt.datetime) -> int:
        """Forget windows that started before ``before``."""
        with self.engine.begin() as connection:
            result = connection.execute(
                delete(RateCounter).where(RateCounter.window_start < before)
            )
        return int(getattr(result, "rowcount", 0) or 0)
