"""Benchmark of complete LTI 1.3 launches against ``cpd-tracker serve`` on PostgreSQL.

What it measures
    One launch is what a browser inside Moodle does: POST ``/lti/login`` (login initiation), the
    platform's auth step (played in-process by ``tests.support.platform.TestPlatform``, which
    signs a real RS256 id_token), POST ``/lti/launch`` with the id_token, state and the tool's
    ``lti_state_*`` cookie, then GET the landing page, following redirects, until a 200. Every
    step's status is checked (302, 303, 200); a failed launch is counted and reported, never timed.
    Launches run at 1 and 4 concurrent clients (threads, one ``requests.Session`` each) and the
    script prints launches per second and p50/p95 latency of whole launches.

    The floor, timed in the same run: bare id_token verification (signature and claims) by
    ``lti.launch.LaunchValidator`` with ``lti.memory`` stores and the platform's public key in
    hand, no HTTP and no database. ``launch p50 / floor p50`` says how much of a launch is the
    cryptography and how much is everything else (HTTP, database, templates).

Set-up
    PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth); the database ``cpd_bench`` is
    created if missing, migrated, and emptied at start. One organisation with a school and one
    Moodle-dialect platform are seeded through the app's services. The platform's key set is
    served by a small HTTP server on 127.0.0.1 (``Cache-Control: max-age=3600``), so each
    gunicorn worker fetches it once. A warm-up launches every user of the pool once, so the
    measured launches are returning users (an update of the person, not an insert).

Run it from the repository root::

    .venv/bin/python benchmarks/launch.py
    .venv/bin/python benchmarks/launch.py --clients 1 4 --launches 300 600 --users 200

It talks only to 127.0.0.1, every loop is bounded by a count and by ``--time-limit``, and the
server it starts is stopped at the end. Exit status 1 if any launch failed or a phase ran out of
time.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.server
import importlib.metadata
import json
import logging
import math
import os
import platform as host_platform
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urljoin, urlsplit

import psycopg
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from psycopg import sql
from sqlalchemy import make_url, text

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # for ``tests.support`` when run as benchmarks/launch.py

from benchmarks.launch_reference import prepare as prepare_reference  # noqa: E402
from cpd_tracker import create_app, migrate  # noqa: E402
from cpd_tracker.cli import ACCESS_LOG_FORMAT, gunicorn_args  # noqa: E402
from cpd_tracker.config import normalise_database_url  # noqa: E402
from cpd_tracker.extensions import db  # noqa: E402
from cpd_tracker.models import Base, Organisation, OrganisationKind  # noqa: E402
from cpd_tracker.services.audit import Actor, AuditService  # noqa: E402
from cpd_tracker.services.launch import state_cookie_name  # noqa: E402
from cpd_tracker.services.registrations import PlatformDetails, RegistrationService  # noqa: E402
from lti.jwks import rsa_public_key  # noqa: E402
from lti.launch import LaunchValidator  # noqa: E402
from lti.memory import MemoryLaunchStateStore, MemoryRegistrationStore  # noqa: E402
from lti.registration import LoginRecord, Registration  # noqa: E402
from tests.support.platform import TestPlatform  # noqa: E402

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/cpd_bench"
LOOPBACK = "127.0.0.1"
LOCAL_DB_HOSTS = {None, "", "127.0.0.1", "localhost", "::1"}
SCHOOL_URN = "100001"
#: (connect, read) seconds for every request to the tool.
HTTP_TIMEOUT = (5.0, 30.0)
MAX_LANDING_REDIRECTS = 5
SERVER_START_SECONDS = 30.0
SERVER_STOP_SECONDS = 15.0
PROGRESS_EVERY = 100
MAX_FAILURE_SAMPLES = 5


# ---------------------------------------------------------------- options and statistics


@dataclass(frozen=True)
class Options:
    database_url: str
    clients: tuple[int, ...]
    launches: tuple[int, ...]
    users: int
    workers: int
    floor_tokens: int
    time_limit: float
    rounds: int
    reference: bool
    profile: int


def parse_args(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4])
    parser.add_argument(
        "--launches",
        type=int,
        nargs="+",
        default=[300, 600],
        help="launches per phase: one value for all, or one per --clients value",
    )
    parser.add_argument("--users", type=int, default=200, help="distinct users (sub) in the pool")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--floor-tokens", type=int, default=2000)
    parser.add_argument("--time-limit", type=float, default=300.0, help="seconds per phase")
    parser.add_argument(
        "--rounds", type=int, default=2, help="runs of every phase (the tables show the median)"
    )
    parser.add_argument(
        "--no-reference", dest="reference", action="store_false", help="time the tool alone"
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="instead of timing: profile N launches inside the tool's app (cProfile, the "
        "database's statements per step) and print the top costs",
    )
    args = parser.parse_args(argv)
    launches = args.launches * len(args.clients) if len(args.launches) == 1 else args.launches
    if len(launches) != len(args.clients):
        parser.error("give one --launches value, or one per --clients value")
    counts = [*args.clients, *launches, args.users, args.workers, args.floor_tokens, args.rounds]
    if min(counts) < 1 or args.profile < 0:
        parser.error("counts must be at least 1")
    url = normalise_database_url(args.database_url)
    if make_url(url).host not in LOCAL_DB_HOSTS:
        parser.error("the benchmark only talks to a database on this machine")
    return Options(
        url,
        tuple(args.clients),
        tuple(launches),
        args.users,
        args.workers,
        args.floor_tokens,
        args.time_limit,
        args.rounds,
        args.reference,
        args.profile,
    )


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of ``values`` (q in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def say(message: str = "") -> None:
    print(message, flush=True)


# ---------------------------------------------------------------- the machine


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return host_platform.processor() or "unknown CPU"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


# ---------------------------------------------------------------- the platform's key set


class JwksServer:
    """The platform's JWKS on 127.0.0.1, as Moodle serves it; counts the tool's fetches."""

    def __init__(self) -> None:
        self.document = b'{"keys": []}'
        self.path = "/"
        self.fetches = 0
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if urlsplit(self.path).path != owner.path:
                    self.send_error(404)
                    return
                owner.fetches += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Cache-Control", "max-age=3600")
                self.send_header("Content-Length", str(len(owner.document)))
                self.end_headers()
                self.wfile.write(owner.document)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = http.server.ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def publish(self, platform: TestPlatform) -> None:
        self.path = urlsplit(platform.key_set_url).path
        self.document = json.dumps(platform.jwks()).encode()

    def __enter__(self) -> JwksServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


# ---------------------------------------------------------------- database and seed data


def ensure_database(url: str) -> None:
    """Create the benchmark database if it does not exist (on the same local server)."""
    target = make_url(url)
    name = target.database
    if not name:
        raise SystemExit("the database URL names no database")
    admin = target.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            say(f"created database {name}")


def seed(url: str, secret: str, base_url: str, platform: TestPlatform) -> str:
    """Migrate and empty the database, seed the organisation and platform; the server version."""
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": secret, "BASE_URL": base_url})
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with app.app_context():
        migrate.upgrade(db.engine)
        names = ", ".join(table.name for table in Base.metadata.sorted_tables)
        with db.engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            version = str(connection.execute(text("SHOW server_version")).scalar_one())
        service = RegistrationService(db.session, AuditService(db.session, Actor("benchmark")))
        org = service.create_organisation("Benchmark Trust", OrganisationKind.TRUST)
        service.add_school(org, urn=SCHOOL_URN, name="Alder Primary")
        register_platform(service, org, platform)
        db.session.commit()
        db.engine.dispose()
    return version


def register_platform(
    service: RegistrationService, org: Organisation, platform: TestPlatform
) -> None:
    service.add_platform(
        org,
        PlatformDetails(
            name="Benchmark Moodle",
            issuer=platform.issuer,
            client_id=platform.client_id,
            auth_login_url=platform.auth_login_url,
            auth_token_url=platform.auth_token_url,
            key_set_url=platform.key_set_url,
            product_family=platform.dialect,
        ),
        deployment_ids=[platform.deployment_id],
        created_via="cli",
    )


# ---------------------------------------------------------------- the tool's server


def tool_env(url: str, secret: str, base: str) -> dict[str, str]:
    bin_dir = str(Path(sys.executable).parent)
    return {
        **os.environ,
        "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
        "DATABASE_URL": url,
        "SECRET_KEY": secret,
        "CPD_TRACKER_BASE_URL": base,
        "CPD_TRACKER_DEMO": "0",
        # The benchmark's platform (its JWKS) is on loopback, which production refuses to
        # fetch from (lti.outbound): opened for this local run only.
        "CPD_TRACKER_OUTBOUND_ALLOW_LOOPBACK": "1",
        # As behind one reverse proxy: the client's address comes from X-Forwarded-For.
        "CPD_TRACKER_PROXIES": "1",
    }


def tool_command(port: int, workers: int) -> list[str]:
    """``cpd-tracker serve``: gunicorn with ``cli.gunicorn_args``."""
    cli = Path(sys.executable).parent / "cpd-tracker"
    return [str(cli), "serve", "--host", LOOPBACK, "--port", str(port), "--workers", str(workers)]


def reference_command(port: int, workers: int) -> list[str]:
    """The reference app under gunicorn with exactly the tool's settings and access log."""
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    log_args = ["--access-logfile", "-", "--access-logformat", ACCESS_LOG_FORMAT]
    app = "benchmarks.launch_reference:create_app()"
    return [gunicorn, *gunicorn_args(LOOPBACK, port, workers, log_args), app]


def reference_env(url: str, secret: str, base: str, platform: TestPlatform) -> dict[str, str]:
    return {
        **os.environ,
        "REF_DATABASE_URL": url,
        "REF_SECRET": secret,
        "REF_ISSUER": platform.issuer,
        "REF_CLIENT_ID": platform.client_id,
        "REF_DEPLOYMENT_ID": platform.deployment_id,
        "REF_AUTH_LOGIN_URL": platform.auth_login_url,
        "REF_JWKS_URL": platform.key_set_url,
        "REF_LAUNCH_URL": base + "/lti/launch",
    }


@contextlib.contextmanager
def gunicorn_server(
    command: list[str], env: dict[str, str], base: str, log: TextIO
) -> Iterator[str]:
    """The server ``command`` on 127.0.0.1 until the block ends; yields its base URL."""
    # Its own process group: `serve` runs gunicorn as a child, which must be stopped too.
    server = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        wait_until_ready(server, base)
        yield base
    finally:
        stop(server)


def wait_until_ready(server: subprocess.Popen[bytes], base: str) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"{server.args[0]} exited with status {server.returncode}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(base + "/lti/config", timeout=1.0).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{server.args[0]} did not answer within {SERVER_START_SECONDS:.0f} s")


def stop(server: subprocess.Popen[bytes]) -> None:
    """Stop the server's process group (the one this script started) and wait until it is gone.

    The whole group, because ``cpd-tracker serve`` runs gunicorn as a child and does not pass
    SIGTERM on: signalling ``serve`` alone would leave gunicorn serving.
    """
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, sig)
        deadline = time.monotonic() + SERVER_STOP_SECONDS
        while time.monotonic() < deadline:
            server.poll()  # reap ``serve`` itself; gunicorn is its child
            if not group_alive(server.pid):
                return
            time.sleep(0.1)


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


# ---------------------------------------------------------------- one launch


@dataclass(frozen=True)
class User:
    sub: str
    given_name: str
    family_name: str
    #: The browser's own address, as a proxy in front of the tool passes it on (X-Forwarded-For).
    address: str

    def claims(self) -> dict[str, str]:
        return {
            "sub": self.sub,
            "given_name": self.given_name,
            "family_name": self.family_name,
            "name": f"{self.given_name} {self.family_name}",
            "email": f"{self.given_name}.{self.family_name}@school.example.org".lower(),
        }


def user_pool(size: int) -> list[User]:
    return [
        User(f"bench-{i:04d}", "Sam", f"Teacher{i:04d}", f"10.{i // 250 % 250}.{i % 250}.1")
        for i in range(size)
    ]


@dataclass(frozen=True)
class LaunchTiming:
    """Seconds per step of one successful launch."""

    login: float
    platform: float
    launch: float
    landing: float

    @property
    def total(self) -> float:
        return self.login + self.platform + self.launch + self.landing


class LaunchFailed(Exception):
    def __init__(self, step: str, detail: str) -> None:
        super().__init__(f"{step}: {detail}")


def expect(response: requests.Response, status: int, step: str) -> None:
    if response.status_code != status:
        body = " ".join(response.text.split())[:200]
        raise LaunchFailed(step, f"HTTP {response.status_code}, expected {status}: {body}")


def location(response: requests.Response, base: str, step: str) -> str:
    """The redirect target, which must stay on the tool (the benchmark talks only to it)."""
    target = urljoin(response.url, response.headers.get("Location", ""))
    if not target.startswith(base + "/"):
        raise LaunchFailed(step, f"redirected off the tool, to {target[:200]}")
    return target


class Launcher:
    """Plays one browser in an LMS iframe; each client thread has its own."""

    def __init__(self, platform: TestPlatform, base: str) -> None:
        self.platform = platform
        self.base = base
        self.http = requests.Session()

    def close(self) -> None:
        self.http.close()

    def launch(self, user: User) -> LaunchTiming:
        self.http.cookies.clear()
        # Each user behind their own address, as in schools' staff on their own devices: the
        # tool's per-address limits (60 logins and 60 launches a minute) stay on and counted.
        self.http.headers["X-Forwarded-For"] = user.address
        start = time.perf_counter()
        params = self.platform.login_params(
            target_link_uri=self.base + "/lti/launch", custom={"school_urn": SCHOOL_URN}
        )
        login = self._post("/lti/login", params, cookies=None)
        expect(login, 302, "login")
        auth_url = login.headers["Location"]
        after_login = time.perf_counter()

        form = self.platform.launch_form_from_redirect(auth_url, overrides=user.claims())
        after_platform = time.perf_counter()

        # The tool's cookies are Secure; requests sends none over http, so carry it by hand.
        cookie_name = state_cookie_name(form["state"])
        cookie = login.cookies.get(cookie_name)
        if cookie is None:
            raise LaunchFailed("login", f"no {cookie_name} cookie was set")
        launched = self._post("/lti/launch", form, cookies={cookie_name: cookie})
        expect(launched, 303, "launch")
        after_launch = time.perf_counter()

        self._land(location(launched, self.base, "launch"))
        end = time.perf_counter()
        return LaunchTiming(
            after_login - start,
            after_platform - after_login,
            after_launch - after_platform,
            end - after_launch,
        )

    def _post(
        self, path: str, data: dict[str, str], cookies: dict[str, str] | None
    ) -> requests.Response:
        return self.http.post(
            self.base + path,
            data=data,
            cookies=cookies,
            allow_redirects=False,
            timeout=HTTP_TIMEOUT,
        )

    def _land(self, url: str) -> None:
        """GET the landing page, following the tool's redirects (each carries ``lt``)."""
        for _ in range(MAX_LANDING_REDIRECTS):
            response = self.http.get(url, allow_redirects=False, timeout=HTTP_TIMEOUT)
            if response.status_code == 200:
                return
            if response.status_code not in (302, 303):
                expect(response, 200, "landing")
            url = location(response, self.base, "landing")
        raise LaunchFailed("landing", f"more than {MAX_LANDING_REDIRECTS} redirects")


# ---------------------------------------------------------------- a phase of launches


@dataclass
class PhaseResult:
    label: str
    clients: int
    requested: int
    side: str = "tool"
    wall_seconds: float = 0.0
    timings: list[LaunchTiming] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return len(self.timings) + len(self.failures)

    @property
    def per_second(self) -> float:
        return len(self.timings) / self.wall_seconds if self.wall_seconds else math.nan

    def total_ms(self, q: float) -> float:
        return percentile([t.total for t in self.timings], q) * 1000

    def step_ms(self, step: str, q: float) -> float:
        return percentile([getattr(t, step) for t in self.timings], q) * 1000


class Phase:
    """``count`` launches by ``clients`` threads, user i of the pool for launch i."""

    def __init__(
        self,
        result: PhaseResult,
        make_launcher: Callable[[], Launcher],
        users: Sequence[User],
        time_limit: float,
    ) -> None:
        self.result = result
        self.make_launcher = make_launcher
        self.users = users
        self.deadline = time.monotonic() + time_limit
        self._lock = threading.Lock()
        self._next = 0

    def run(self) -> PhaseResult:
        threads = [threading.Thread(target=self._client) for _ in range(self.result.clients)]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.result.wall_seconds = time.perf_counter() - start
        return self.result

    def _claim(self) -> int | None:
        with self._lock:
            if self._next >= self.result.requested or time.monotonic() >= self.deadline:
                return None
            self._next += 1
            return self._next - 1

    def _client(self) -> None:
        launcher = self.make_launcher()
        try:
            while (index := self._claim()) is not None:
                user = self.users[index % len(self.users)]
                try:
                    self._record(launcher.launch(user), None)
                except Exception as exc:  # every failure is counted and shown, none lost
                    name = "" if isinstance(exc, LaunchFailed) else f"{type(exc).__name__}: "
                    self._record(None, f"launch {index} ({user.sub}): {name}{exc}")
        finally:
            launcher.close()

    def _record(self, timing: LaunchTiming | None, failure: str | None) -> None:
        with self._lock:
            if timing is not None:
                self.result.timings.append(timing)
            if failure is not None:
                self.result.failures.append(failure)
            done = self.result.attempted
        if done % PROGRESS_EVERY == 0 or done == self.result.requested:
            say(f"  {self.result.label}: {done}/{self.result.requested} launches")


# ---------------------------------------------------------------- the floor


class KeyInHand:
    """A ``PlatformKeyLookup`` that already holds the platform's public key: no HTTP."""

    def __init__(self, key: rsa.RSAPublicKey) -> None:
        self.key = key

    def key_for(self, registration: Registration, kid: str) -> rsa.RSAPublicKey:
        return self.key


def measure_floor(
    platform: TestPlatform, base: str, users: Sequence[User], count: int
) -> list[int]:
    """Nanoseconds per ``LaunchValidator.validate`` of a freshly signed launch token.

    Each token gets a fresh login record (and store) saved before its clock starts, so only
    validate() is timed: header, registration, state, signature, times, nonce, claims, context.
    """
    registration = platform.registration()
    registrations = MemoryRegistrationStore([registration])
    keys = KeyInHand(rsa_public_key(platform.jwks()["keys"][0]))
    target = base + "/lti/launch"
    hosts = frozenset({urlsplit(base).netloc})
    timings: list[int] = []
    for index in range(count):
        now = dt.datetime.now(dt.UTC)
        state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        states = MemoryLaunchStateStore()
        states.save_login(
            LoginRecord(
                state,
                nonce,
                registration.issuer,
                registration.client_id,
                target,
                now,
                now + dt.timedelta(minutes=10),
            )
        )
        token = platform.id_token(
            nonce=nonce,
            target_link_uri=target,
            custom={"school_urn": SCHOOL_URN},
            overrides=users[index % len(users)].claims(),
        )
        validator = LaunchValidator(
            registrations, states, keys, clock=lambda: dt.datetime.now(dt.UTC), tool_hosts=hosts
        )
        started = time.perf_counter_ns()
        validator.validate(token, state, bound_state=state)
        timings.append(time.perf_counter_ns() - started)
    return timings


# ---------------------------------------------------------------- report


def header(
    options: Options, pg_version: str, base: str, base_ref: str, platform: TestPlatform
) -> None:
    version = importlib.metadata.version
    phases = ", ".join(
        f"{n} @ {c} client(s)" for c, n in zip(options.clients, options.launches, strict=True)
    )
    say("LTI 1.3 launch benchmark (benchmarks/launch.py)")
    say(f"  date        {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    say(f"  machine     {os.cpu_count()} cores, {cpu_model()}, {host_platform.platform()}")
    say(f"  load        {'  '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min)")
    say(f"  python      {host_platform.python_version()}")
    say(f"  postgresql  {pg_version} at {make_url(options.database_url).render_as_string()}")
    say(
        f"  servers     gunicorn {importlib.metadata.version('gunicorn')}, {options.workers} "
        "gthread workers x 8 threads, --preload, access log (cli.gunicorn_args), each"
    )
    say(f"  tool        cpd-tracker serve at {base}")
    if options.reference:
        say(
            f"  reference   benchmarks/launch_reference.py at {base_ref}: Flask "
            f"{version('flask')} + PyJWT {version('pyjwt')}, one row written a launch"
        )
    say(f"  platform    {platform.dialect} dialect, issuer {platform.issuer} (local JWKS)")
    say(
        f"  parameters  launches {phases}; {options.users} users; {options.rounds} round(s); "
        f"floor {options.floor_tokens} tokens; time limit {options.time_limit:.0f} s per phase"
    )
    say()


def report_floor(floor_ns: Sequence[int]) -> float:
    p50_us = percentile(floor_ns, 50) / 1000
    per_second = len(floor_ns) / (sum(floor_ns) / 1e9)
    say(
        f"floor: {len(floor_ns)} bare id_token validations (LaunchValidator, no HTTP, no DB): "
        f"{per_second:,.0f}/s, p50 {p50_us:,.0f} µs, p95 {percentile(floor_ns, 95) / 1000:,.0f} µs"
    )
    say()
    return p50_us


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


def grouped(results: Sequence[PhaseResult]) -> dict[tuple[str, int], list[PhaseResult]]:
    """The measured phases by (side, clients), in the order they first ran."""
    groups: dict[tuple[str, int], list[PhaseResult]] = {}
    for r in results:
        if r.label != "warm-up":
            groups.setdefault((r.side, r.clients), []).append(r)
    return groups


def report(results: Sequence[PhaseResult], floor_p50_us: float, fetches: dict[str, int]) -> None:
    groups = grouped(results)
    say("results (whole launches: login, platform auth, launch, landing page), median of rounds")
    say("  side       clients  launches  failed  launches/s  p50 ms  p95 ms  p50/floor  rounds")
    for (side, clients), runs in groups.items():
        rate = median([r.per_second for r in runs])
        p50 = median([r.total_ms(50) for r in runs])
        p95 = median([r.total_ms(95) for r in runs])
        each = ", ".join(f"{r.per_second:.1f}" for r in runs)
        say(
            f"  {side:<9}  {clients:>7}  {sum(len(r.timings) for r in runs):>8}"
            f"  {sum(len(r.failures) for r in runs):>6}  {rate:>10.1f}  {p50:>6.1f}  {p95:>6.1f}"
            f"  {p50 * 1000 / floor_p50_us:>8.0f}x  {each}/s"
        )
    sides = {side for side, _ in groups}
    if {"tool", "reference"} <= sides:
        say()
        for clients in sorted({c for _, c in groups}):
            tool = median([r.per_second for r in groups.get(("tool", clients), [])])
            ref = median([r.per_second for r in groups.get(("reference", clients), [])])
            say(f"  tool / reference at {clients} client(s): {tool / ref:.2f}x launches/s")
    say()
    say("  p50 ms per step: login | platform auth (in-process) | launch | landing")
    for (side, clients), runs in groups.items():
        steps = " | ".join(
            f"{median([r.step_ms(s, 50) for r in runs]):.1f}"
            for s in ("login", "platform", "launch", "landing")
        )
        say(f"  {side:<9} {clients} client(s): {steps}")
    say()
    for side, count in fetches.items():
        say(f"  the {side} fetched the platform's JWKS {count} time(s)")


def report_problems(results: Sequence[PhaseResult]) -> bool:
    """Print failures and short phases; True when the run is clean."""
    clean = True
    for r in results:
        if r.failures:
            clean = False
            say(f"\n{r.side} {r.label}: {len(r.failures)} launch(es) FAILED, for example:")
            for failure in r.failures[:MAX_FAILURE_SAMPLES]:
                say(f"  {failure}")
        if r.attempted < r.requested:
            clean = False
            say(
                f"\n{r.side} {r.label}: stopped at the time limit after {r.attempted}/{r.requested}"
            )
    return clean


# ---------------------------------------------------------------- main


def run_side(
    side: str, base: str, platform: TestPlatform, users: Sequence[User], o: Options
) -> list[PhaseResult]:
    """A warm-up (every user once) and then each phase, against the server at ``base``."""

    def make() -> Launcher:
        return Launcher(platform, base)

    phases = [("warm-up", 1, len(users))]
    phases += [(f"{c} client(s)", c, n) for c, n in zip(o.clients, o.launches, strict=True)]
    results = []
    for label, clients, count in phases:
        say(f"{side} {label}: {count} launches, {clients} client(s)")
        result = PhaseResult(label, clients, count, side)
        results.append(Phase(result, make, users, o.time_limit).run())
    return results


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    users = user_pool(options.users)
    secret = secrets.token_urlsafe(48)
    tool_port, ref_port = free_port(), free_port()
    base = f"http://{LOOPBACK}:{tool_port}"
    ref_base = f"http://{LOOPBACK}:{ref_port}"
    ensure_database(options.database_url)
    with (
        JwksServer() as jwks,
        tempfile.TemporaryFile("w+") as log,
    ):
        platform = TestPlatform(
            "moodle",
            issuer=f"http://{LOOPBACK}:{jwks.port}",
            redirect_uris=[base + "/lti/launch", ref_base + "/lti/launch"],
        )
        jwks.publish(platform)
        pg_version = seed(options.database_url, secret, base, platform)
        if options.profile:
            from benchmarks.launch_profile import profile_launches

            env = tool_env(options.database_url, secret, base)
            return profile_launches(
                options.database_url, secret, base, platform, users, options.profile, env
            )
        prepare_reference(options.database_url)
        header(options, pg_version, base, ref_base, platform)
        floor_p50 = report_floor(measure_floor(platform, base, users, options.floor_tokens))
        results: list[PhaseResult] = []
        fetches = {"tool": 0, "reference": 0}
        servers = [
            (
                "tool",
                tool_command(tool_port, options.workers),
                tool_env(options.database_url, secret, base),
                base,
            )
        ]
        if options.reference:
            env = reference_env(options.database_url, secret, ref_base, platform)
            servers.append(
                ("reference", reference_command(ref_port, options.workers), env, ref_base)
            )
        try:
            for round_ in range(1, options.rounds + 1):
                say(f"round {round_} of {options.rounds}")
                for side, command, env, side_base in servers:
                    before = jwks.fetches
                    with gunicorn_server(command, env, side_base, log):
                        results += run_side(side, side_base, platform, users, options)
                    fetches[side] += jwks.fetches - before
        except RuntimeError as exc:
            log.seek(0)
            say(f"{exc}\n--- server log ---\n{log.read()[-4000:]}")
            return 1
        say()
        report(
            results,
            floor_p50,
            {k: v for k, v in fetches.items() if k == "tool" or options.reference},
        )
    return 0 if report_problems(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
