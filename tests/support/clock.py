"""A clock that only moves when told to, for the ``clock`` collaborators of ``lti``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

START = datetime(2025, 1, 15, 10, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    @property
    def timestamp(self) -> int:
        return int(self.now.timestamp())
