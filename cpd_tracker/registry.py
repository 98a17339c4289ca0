"""A small per-request service registry, so views never build their collaborators and tests can
swap one (``app.extensions["services"][SomeService] = factory``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Flask, current_app, g

from cpd_tracker.dates import local_date

T = TypeVar("T")
Factory = Callable[[], Any]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def init_registry(app: Flask, factories: dict[type, Factory]) -> None:
    app.extensions["services"] = dict(factories)
    app.extensions.setdefault("clock", utcnow)


def clock() -> dt.datetime:
    now: dt.datetime = current_app.extensions["clock"]()
    return now


def local_today() -> dt.date:
    """Today's date in England (cpd_tracker.dates): what every rule and page means by today."""
    return local_date(clock())


def get_service(cls: type[T]) -> T:
    cache: dict[type, Any] = g.setdefault("services", {})
    if cls not in cache:
        cache[cls] = current_app.extensions["services"][cls]()
    return cast(T, cache[cls])
