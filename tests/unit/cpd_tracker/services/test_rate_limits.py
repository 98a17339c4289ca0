"""``RateLimiter.hit_all``: a request's limits counted in one statement, a verdict per check."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from sqlalchemy import event, select

from cpd_tracker.extensions import db
from cpd_tracker.models import RateCounter
from cpd_tracker.services.rate_limits import Limit, RateLimiter
from tests.support.clock import FakeClock

TWO = Limit("two", 2, dt.timedelta(minutes=1))
THREE = Limit("three", 3, dt.timedelta(minutes=1))


def limiter(app: Flask, clock: FakeClock) -> RateLimiter:
    return RateLimiter(db.engine, clock)


def test_every_check_is_counted_in_one_statement_with_a_verdict_each(app: Flask) -> None:
    clock = FakeClock(dt.datetime(2026, 9, 1, 8, 45, 10, tzinfo=dt.UTC))
    with app.app_context():
        statements: list[str] = []

        def seen(_c: object, _cur: object, statement: str, *_a: object) -> None:
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", seen)
        try:
            verdicts = [
                limiter(app, clock).hit_all([(TWO, "10.0.0.1"), (THREE, "moodle")])
                for _ in range(3)
            ]
        finally:
            event.remove(db.engine, "before_cursor_execute", seen)
        assert len([s for s in statements if "rate_counter" in s]) == 3
        assert [[v.allowed for v in pair] for pair in verdicts] == [
            [True, True],
            [True, True],
            [False, True],
        ]
        assert verdicts[0][0].retry_after == 50
        counts = dict(db.session.execute(select(RateCounter.key, RateCounter.count)).all())
        assert counts == {"two:10.0.0.1": 3, "three:moodle": 3}


def test_the_same_key_twice_in_one_request_counts_twice(app: Flask) -> None:
    clock = FakeClock(dt.datetime(2026, 9, 1, 8, 45, 10, tzinfo=dt.UTC))
    with app.app_context():
        first = limiter(app, clock).hit_all([(TWO, "x"), (TWO, "x")])
        second = limiter(app, clock).hit(TWO, "x")
        assert [v.allowed for v in first] == [True, True]
        assert second.allowed is False


def test_a_new_window_starts_a_new_count(app: Flask) -> None:
    clock = FakeClock(dt.datetime(2026, 9, 1, 8, 45, 10, tzinfo=dt.UTC))
    with app.app_context():
        for _ in range(3):
            limiter(app, clock).hit(TWO, "y")
        clock.advance(60)
        assert limiter(app, clock).hit(TWO, "y").allowed is True
