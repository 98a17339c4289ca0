"""Request limits for the endpoints anyone can reach without signing in.

Counted per key (an endpoint with a client address, or with a platform) in fixed windows, in
the ``rate_counter`` table: the database is the store every worker and host already shares,
so a flood spread over workers or hosts is counted once. A request's counts are one upsert
(``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``, on PostgreSQL and on SQLite 3.35+) of
all its keys, outside the request's transaction and committed at once, whether the request
then succeeds or is refused: a refused request still counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
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


def _utc(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; the windows are in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


class RateLimiter:
    def __init__(self, engine: Engine, clock: Callable[[], dt.datetime]) -> None:
        self.engine = engine
        self.clock = clock

    def hit(self, limit: Limit, subject: str) -> Verdict:
        """Count one request of ``subject`` (an address, an issuer) against ``limit``."""
        return self.hit_all([(limit, subject)])[0]

    def hit_all(self, checks: Sequence[tuple[Limit, str]]) -> list[Verdict]:
        """Count one request against each (limit, subject), in one statement: one upsert of
        every key (a login counts two), a verdict per check in the same order.

        On PostgreSQL the statement runs on its own in autocommit (one round trip, no BEGIN
        and COMMIT): a single statement is atomic all the same."""
        now = self.clock()
        rows: dict[tuple[str, dt.datetime], int] = {}
        keys: list[tuple[tuple[str, dt.datetime], dt.datetime, Limit]] = []
        for limit, subject in checks:
            seconds = int(limit.window.total_seconds())
            start = dt.datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, dt.UTC)
            key = (f"{limit.name}:{subject}"[:200], start)
            # One row per key: the same key twice in one upsert is refused, so it counts twice.
            rows[key] = rows.get(key, 0) + 1
            keys.append((key, start, limit))
        postgres = self.engine.dialect.name == "postgresql"
        insert = postgresql.insert if postgres else sqlite.insert
        values = insert(RateCounter).values(
            [{"key": k, "window_start": w, "count": n} for (k, w), n in rows.items()]
        )
        statement = values.on_conflict_do_update(
            index_elements=[RateCounter.key, RateCounter.window_start],
            set_={"count": RateCounter.count + values.excluded.count},
        ).returning(RateCounter.key, RateCounter.window_start, RateCounter.count)
        if postgres:
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                counted = c.execute(statement).all()
        else:
            with self.engine.begin() as connection:
                counted = connection.execute(statement).all()
        counts = {(k, _utc(w)): int(n) for k, w, n in counted}
        verdicts = []
        for key, start, limit in keys:
            retry_after = max(1, int((start + limit.window - now).total_seconds()))
            verdicts.append(Verdict(counts[key[0], start] <= limit.requests, retry_after))
        return verdicts

    def purge(self, before: dt.datetime) -> int:
        """Forget windows that started before ``before``."""
        with self.engine.begin() as connection:
            result = connection.execute(
                delete(RateCounter).where(RateCounter.window_start < before)
            )
        return int(getattr(result, "rowcount", 0) or 0)
