"""``benchmarks/launch.py --profile N``: where a launch's time goes, on the server side.

The tool's app, built as ``cpd-tracker serve`` builds it (same environment, same PostgreSQL),
serves N launches of returning users through Flask's test client in this process. Only the
server's work is measured: cProfile runs while the app handles a request (the platform's
signing and the client are outside it). It prints, per launch:

* per step (login, launch, landing page): wall ms, SQL statements and their ms;
* inside the launch: the named stages (rate limits, validation, sign-in, LTI Advantage,
  session), as cProfile's cumulative ms;
* per kind: crypto, database (driver and SQLAlchemy), templates (Jinja), Flask/Werkzeug, and
  the rest (the app's own Python and the standard library), from cProfile's own time;
* the top functions by own time and by cumulative time.

cProfile slows Python down (about twofold), so read its figures as shares, not as speeds.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from flask import Flask, before_render_template, template_rendered
from sqlalchemy import event
from sqlalchemy.engine import Engine

from cpd_tracker import create_app
from cpd_tracker.services.launch import state_cookie_name
from tests.support.platform import TestPlatform

SCHOOL_URN = "100001"
TOP = 25

#: Stages of the launch POST: (file name ending, function name) -> label.
STAGES = {
    ("cpd_tracker/limits.py", "enforce"): "rate limits (upserts, own transactions)",
    ("cpd_tracker/services/launch.py", "begin"): "login: registration, state + nonce row",
    ("lti/launch.py", "validate"): "launch: id_token validation (incl. JWKS, nonce, state)",
    ("cpd_tracker/services/identity.py", "sign_in"): "launch: identity (person, course, roles)",
    ("cpd_tracker/services/advantage.py", "after_sign_in"): "launch: LTI Advantage outcomes",
    ("cpd_tracker/auth.py", "start_session"): "launch: session and sign-in token",
    ("flask/sessions.py", "save_session"): "session cookie written",
    ("flask/templating.py", "render_template"): "templates rendered",
    ("sqlalchemy/orm/session.py", "commit"): "commits",
}

KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("crypto (RSA, JWT, HMAC)", ("cryptography", "/jwt/", "jwcrypto", "hmac", "_hashlib")),
    ("database (psycopg, SQLAlchemy)", ("psycopg", "sqlalchemy")),
    ("templates (Jinja)", ("jinja2", ".html", "markupsafe")),
    ("Flask, Werkzeug", ("/flask/", "/werkzeug/", "flask_wtf", "flask_login", "wtforms")),
)


class Meter:
    """Per step: wall time, SQL statements and their time; and the profiler, server-side."""

    def __init__(self) -> None:
        self.profile = cProfile.Profile()
        self.step = "other"
        self.wall: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)
        self.profiling = True
        self.statements: dict[str, int] = defaultdict(int)
        self.sql_seconds: dict[str, float] = defaultdict(float)
        self.template_seconds = 0.0
        self._sql_started = 0.0
        self._template_started = 0.0
        #: The statements of the launch being served, per step (the last one is printed).
        self.log: list[tuple[str, str]] = []

    def install(self, app: Flask) -> None:
        inner = self._inner = app.wsgi_app

        def measured(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            started, cpu = time.perf_counter(), time.thread_time()
            if self.profiling:
                self.profile.enable()
            try:
                # The test client reads the whole body inside this call.
                return list(inner(environ, start_response))
            finally:
                if self.profiling:
                    self.profile.disable()
                self.wall[self.step] += time.perf_counter() - started
                self.cpu[self.step] += time.thread_time() - cpu

        app.wsgi_app = measured  # type: ignore[method-assign]
        event.listen(Engine, "before_cursor_execute", self._before_sql)
        event.listen(Engine, "after_cursor_execute", self._after_sql)
        before_render_template.connect(self._before_template, app)
        template_rendered.connect(self._after_template, app)

    def uninstall(self, app: Flask) -> None:
        app.wsgi_app = self._inner  # type: ignore[method-assign]
        event.remove(Engine, "before_cursor_execute", self._before_sql)
        event.remove(Engine, "after_cursor_execute", self._after_sql)
        before_render_template.disconnect(self._before_template, app)
        template_rendered.disconnect(self._after_template, app)

    def _before_sql(self, *_args: Any) -> None:
        self._sql_started = time.perf_counter()

    def _after_sql(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.log.append((self.step, " ".join(statement.split())[:150]))
        self.statements[self.step] += 1
        self.sql_seconds[self.step] += time.perf_counter() - self._sql_started

    def _before_template(self, *_args: Any, **_kw: Any) -> None:
        self._template_started = time.perf_counter()

    def _after_template(self, *_args: Any, **_kw: Any) -> None:
        self.template_seconds += time.perf_counter() - self._template_started


def launch_once(app: Flask, platform: TestPlatform, base: str, meter: Meter, user: Any) -> None:
    """One launch by a browser with no cookies yet (as the benchmark's clients clear theirs)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "127.0.0.1"
    client.environ_base["HTTP_X_FORWARDED_FOR"] = user.address
    meter.step = "login"
    meter.log.clear()
    params = platform.login_params(
        target_link_uri=base + "/lti/launch", custom={"school_urn": SCHOOL_URN}
    )
    login = client.post("/lti/login", data=params, base_url=base)
    assert login.status_code == 302, login.status_code
    form = platform.launch_form_from_redirect(login.headers["Location"], overrides=user.claims())
    name = state_cookie_name(form["state"])
    cookie = next(c for c in login.headers.getlist("Set-Cookie") if c.startswith(name + "="))
    meter.step = "launch"
    launched = client.post(
        "/lti/launch",
        data=form,
        base_url=base,
        headers={"Cookie": cookie.split(";", 1)[0]},
    )
    assert launched.status_code == 303, launched.status_code
    meter.step = "landing"
    target = launched.headers["Location"]
    for _ in range(5):
        meter.log.append(("landing", f"GET {target[:60]}"))
        page = client.get(target, base_url=base)
        if page.status_code == 200:
            break
        assert page.status_code in (302, 303), page.status_code
        target = page.headers["Location"]
    else:
        raise AssertionError("too many redirects")
    meter.step = "other"


def kind_of(key: tuple[str, int, str]) -> str:
    where = f"{key[0]}:{key[2]}"
    for kind, marks in KINDS:
        if any(mark in where for mark in marks):
            return kind
    return "the rest (the app's Python, the standard library)"


def stage_totals(stats: pstats.Stats) -> dict[str, float]:
    totals: dict[str, float] = {}
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    for (filename, _line, function), (_cc, _nc, _tt, cumulative, _callers) in raw.items():
        for (suffix, name), label in STAGES.items():
            if function == name and filename.endswith(suffix):
                totals[label] = totals.get(label, 0.0) + cumulative
    return totals


def print_top(stats: pstats.Stats, column: int, title: str, per: int) -> None:
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    rows = sorted(raw.items(), key=lambda item: item[1][column], reverse=True)[:TOP]
    print(f"\ntop {TOP} by {title} (ms a launch, calls a launch)")
    for (filename, line, function), values in rows:
        short = filename.replace(os.getcwd() + "/", "")
        short = short.split("site-packages/")[-1]
        figures = f"{values[column] * 1000 / per:8.2f}  {values[1] / per:7.1f}"
        print(f"  {figures}  {short}:{line} {function}")


def profile_launches(
    database_url: str,
    secret: str,
    base: str,
    platform: TestPlatform,
    users: Sequence[Any],
    count: int,
    env: dict[str, str],
) -> int:
    os.environ.update(env)
    app = create_app()
    meter = Meter()
    warm = min(len(users), count)
    print(
        f"profile: {warm} warm-up launches (each user once), then {count} timed, {count} profiled"
    )
    for user in users[:warm]:  # first launches insert people: not what is profiled
        launch_once(app, platform, base, meter, user)
    plain = Meter()
    plain.profiling = False
    plain.install(app)
    for index in range(count):
        launch_once(app, platform, base, plain, users[index % len(users)])
    print(f"\nwithout the profiler, {count} launches (ms a launch, server side)")
    print("  step      wall ms  CPU ms  waiting ms  SQL statements")
    for step in ("login", "launch", "landing"):
        wall, cpu = plain.wall[step] * 1000 / count, plain.cpu[step] * 1000 / count
        print(
            f"  {step:<8} {wall:8.2f}  {cpu:6.2f}  {wall - cpu:10.2f}"
            f"  {plain.statements[step] / count:14.1f}"
        )
    plain.uninstall(app)
    meter = Meter()
    meter.install(app)
    for index in range(count):
        launch_once(app, platform, base, meter, users[index % len(users)])
    stats = pstats.Stats(meter.profile)
    report(meter, stats, count)
    return 0


def report(meter: Meter, stats: pstats.Stats, count: int) -> None:
    steps: Iterable[str] = ("login", "launch", "landing")
    total = sum(meter.wall[s] for s in steps)
    print(f"\nper launch, server side, under cProfile: {total * 1000 / count:.1f} ms")
    print("  step      wall ms  SQL statements  SQL ms")
    for step in steps:
        sql_ms = meter.sql_seconds[step] * 1000 / count
        print(
            f"  {step:<8} {meter.wall[step] * 1000 / count:8.2f}"
            f"  {meter.statements[step] / count:14.1f}  {sql_ms:6.2f}"
        )
    print(f"  templates rendered: {meter.template_seconds * 1000 / count:.2f} ms a launch")
    print("\nnamed stages (cumulative ms a launch)")
    for label, seconds in sorted(stage_totals(stats).items(), key=lambda i: -i[1]):
        print(f"  {seconds * 1000 / count:8.2f}  {label}")
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    kinds: dict[str, float] = defaultdict(float)
    for key, values in raw.items():
        kinds[kind_of(key)] += values[2]
    own = sum(kinds.values())
    print("\nper kind (cProfile own time)")
    for kind, seconds in sorted(kinds.items(), key=lambda i: -i[1]):
        print(f"  {seconds * 1000 / count:8.2f} ms  {seconds / own:5.1%}  {kind}")
    print("\nthe statements of the last launch")
    for step, statement in meter.log:
        print(f"  {step:<8} {statement}")
    print_top(stats, 2, "own time", count)
    app_only = pstats.Stats(meter.profile)
    raw: dict[Any, Any] = app_only.stats  # type: ignore[attr-defined]
    for key in [k for k in raw if kind_of(k).startswith("database")]:
        del raw[key]
    print_top(app_only, 2, "own time, outside the database driver and SQLAlchemy", count)
    print_top(stats, 3, "cumulative time", count)
