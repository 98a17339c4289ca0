"""Two hosts, one PostgreSQL (issue 18, item 3): two ``cpd-tracker serve`` processes (real
gunicorn, production settings, different loopback ports) on the test database, and one person's
browser whose requests the test sends to one host or the other, as a load balancer without
sticky sessions would. Everything a request leaves for the next one must be in the database:

* a session cookie set by one host is a session on the other;
* Platform Storage: the OIDC state put on one host, the launch checked on the other, and the
  signed launch token it hands out good on both;
* a CSRF token from a form rendered by one host is accepted by the other;
* an LMS registered (Dynamic Registration) through one host launches through the other;
* a key rotated while both run is in both hosts' JWKS;
* two ``cpd-tracker worker --once`` processes at once do each job once between them.

The LMS is played in the test process (:class:`~tests.support.platform.TestPlatform` signs real
RS256 launches); what the tool fetches from it (key sets, OpenID configuration, registration)
is served on loopback. PostgreSQL only: SQLite is one host (skipped with the reason).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from flask import Flask
from sqlalchemy import create_engine, text
from werkzeug.wrappers import Request, Response

from tests.support.factories import make_org, register, school_id
from tests.support.loopback import LoopbackServer
from tests.support.platform import TOOL_HOST, TestPlatform
from tests.support.registration import DynamicPlatform, form_fields, forms
from tests.support.registration import moodle as moodle_registration

pytestmark = pytest.mark.postgres

SECRET_KEY = secrets.token_urlsafe(32)
TIMEOUT = 30  # seconds for any one request or command
START_TIMEOUT = 90  # seconds for a host to answer /readyz
WORKERS = ("--workers", "1")  # one gunicorn worker (8 threads) per host: two hosts on 2 cores


def _cpd_tracker() -> str:
    beside = Path(sys.executable).parent / "cpd-tracker"
    return str(beside) if beside.exists() else "cpd-tracker"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _environ(database_url: str, log_format: str = "json") -> dict[str, str]:
    env = dict(os.environ)
    for name in ("TEST_DATABASE_URL", "FLASK_APP", "CPD_TRACKER_DEMO", "PROMETHEUS_MULTIPROC_DIR"):
        env.pop(name, None)
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY=SECRET_KEY,  # the same on every host, as the README says
        CPD_TRACKER_BASE_URL=f"https://{TOOL_HOST}",
        CPD_TRACKER_PROXIES="1",
        CPD_TRACKER_LOG_FORMAT=log_format,
        # The test's LMS is on loopback; in production the tool only calls public addresses.
        CPD_TRACKER_OUTBOUND_ALLOW_LOOPBACK="1",
    )
    return env


def _cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [_cpd_tracker(), *args],
        env=_environ(database_url, log_format="text"),
        capture_output=True,
        text=True,
        timeout=TIMEOUT * 4,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


# ---------------------------------------------------------------- the two hosts


@dataclass
class Host:
    name: str
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, database_url: str) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    _cpd_tracker(),
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    *WORKERS,
                ],
                env=_environ(database_url),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # gunicorn's master and worker, stopped together
            )

    def wait_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"host {self.name} exited: {self.log.read_text()[-2000:]}")
            try:
                if requests.get(self.url + "/readyz", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        pytest.fail(
            f"host {self.name} not ready in {START_TIMEOUT} s: {self.log.read_text()[-2000:]}"
        )

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=TIMEOUT)

    def routes_served(self) -> Counter[str]:
        """The routes of the requests this host answered, from its JSON access log."""
        served: Counter[str] = Counter()
        for line in self.log.read_text().splitlines():
            if line.startswith("{"):
                entry = json.loads(line)
                if entry.get("logger") == "cpd_tracker.access" and entry.get("route"):
                    served[entry["route"]] += 1
        return served


@pytest.fixture(scope="module")
def hosts(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Host]]:
    if not database_url.startswith("postgresql"):
        pytest.skip(
            "two hosts share one PostgreSQL database (set TEST_DATABASE_URL); "
            "SQLite serves one host only"
        )
    folder = tmp_path_factory.mktemp("hosts")
    both = [Host(name, _free_port(), folder / f"{name}.log") for name in ("A", "B")]
    try:
        for host in both:
            host.start(database_url)
        for host in both:
            host.wait_ready()
        yield both
    finally:
        for host in both:
            host.stop()


# ---------------------------------------------------------------- the LMS, on loopback


class LmsSite:
    """What the tool fetches from the test's LMSs: key sets, OpenID configurations and the
    registration endpoint, on one loopback server (each LMS under its own path)."""

    def __init__(self) -> None:
        self.get: dict[str, Callable[[], Any]] = {}
        self.post: dict[str, Callable[[bytes], Any]] = {}
        self.server = LoopbackServer(self, name="lms").start()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if request.method == "GET" and request.path in self.get:
            body = self.get[request.path]()
        elif request.method == "POST" and request.path in self.post:
            body = self.post[request.path](request.get_data())
        else:
            return Response("not found", status=404)(environ, start_response)
        response = Response(json.dumps(body), content_type="application/json")
        return response(environ, start_response)

    def platform(self, dialect: Any, path: str) -> TestPlatform:
        platform = TestPlatform(dialect, issuer=f"{self.server.url}/{path}")
        self.publish_keys(platform)
        return platform

    def publish_keys(self, platform: TestPlatform) -> None:
        self.get[urlsplit(platform.key_set_url).path] = platform.jwks

    def stop(self) -> None:
        self.server.stop()


@pytest.fixture(scope="module")
def lms(hosts: list[Host]) -> Iterator[LmsSite]:
    site = LmsSite()
    yield site
    site.stop()


@pytest.fixture
def org_id(app: Flask) -> int:
    """An organisation with its schools (the root ``app`` empties every table afterwards)."""
    return make_org(app, "Two Hosts Trust")


# ---------------------------------------------------------------- the person's browser


@dataclass
class Browser:
    """One browser behind the load balancer: each request goes to the host the test names, with
    the headers nginx adds (deploy/nginx-cpd-tracker.conf); its cookie jar is the browser's, so
    a cookie one host set goes to the other. ``cookies=False`` is a browser that refuses the
    tool's third-party cookies."""

    cookies: bool = True
    jar: dict[str, str] = field(default_factory=dict)
    address: str = field(default_factory=lambda: f"203.0.113.{secrets.randbelow(250) + 1}")

    def __post_init__(self) -> None:
        self.http = requests.Session()
        self.http.trust_env = False

    def send(self, host: Host, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": TOOL_HOST,
            "X-Forwarded-For": self.address,
        }
        if self.cookies and self.jar:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.jar.items())
        response = self.http.request(
            method,
            host.url + path,
            headers=headers,
            allow_redirects=False,
            timeout=TIMEOUT,
            **kwargs,
        )
        assert response.status_code < 500, f"{host.name} {method} {path}: {response.text[:800]}"
        if self.cookies:
            for header in response.raw.headers.getlist("Set-Cookie"):
                # By hand: http.cookies (Python 3.11) drops a cookie marked Partitioned.
                pair, *attributes = (part.strip() for part in header.split(";"))
                name, _, value = pair.partition("=")
                gone = any(
                    a.lower() == "max-age=0" or (a.lower().startswith("expires=") and "1970" in a)
                    for a in attributes
                )
                if gone:
                    self.jar.pop(name, None)
                else:
                    self.jar[name] = value
        return response

    def get(self, host: Host, path: str, **kwargs: Any) -> requests.Response:
        return self.send(host, "GET", path, **kwargs)

    def post(self, host: Host, path: str, **kwargs: Any) -> requests.Response:
        return self.send(host, "POST", path, **kwargs)

    def follow(self, hosts: list[Host], response: requests.Response) -> requests.Response:
        """Follow the tool's redirects, each to the next host in ``hosts`` (round robin)."""
        for turn in range(8):
            if response.status_code not in (301, 302, 303):
                return response
            response = self.get(hosts[turn % len(hosts)], tool_path(response.headers["Location"]))
        pytest.fail("redirect loop")


def tool_path(location: str) -> str:
    parts = urlsplit(location)
    assert parts.netloc in ("", TOOL_HOST), location
    return parts.path + (f"?{parts.query}" if parts.query else "")


def hidden_inputs(html: str) -> dict[str, str]:
    return {k: v for k, v in form_fields(html).items() if v is not None}


def launch_with_cookies(
    browser: Browser, platform: TestPlatform, login_host: Host, launch_host: Host, **login: Any
) -> requests.Response:
    """Login initiation on one host, the id_token posted to the other."""
    first = browser.post(login_host, "/lti/login", data=platform.login_params(**login))
    assert first.status_code == 302, first.text[:800]
    assert browser.jar, "the login set no state cookie"
    form = platform.launch_form_from_redirect(first.headers["Location"])
    done = browser.post(launch_host, "/lti/launch", data=form)
    assert done.status_code == 303, done.text[:800]
    return done


# ---------------------------------------------------------------- the tests


def test_a_session_started_on_one_host_is_signed_in_on_the_other(
    app: Flask, hosts: list[Host], lms: LmsSite, org_id: int
) -> None:
    a, b = hosts
    platform = lms.platform("moodle", "moodle-sessions")
    register(app, platform, org_id)
    browser = Browser()
    landed = browser.follow([a, b], launch_with_cookies(browser, platform, a, b))
    assert landed.status_code == 200
    name = platform.user("learner").name
    assert name in landed.text
    path = urlsplit(landed.url).path
    # Every later page, whichever host answers, knows who this is.
    for host in (a, b, a, b):
        page = browser.get(host, path)
        assert page.status_code == 200, f"{host.name}: {page.text[:500]}"
        assert name in page.text
    # Both hosts really served this person (their own access logs say so).
    assert hosts[0].routes_served()["/lti/login"] >= 1
    assert hosts[1].routes_served()["/lti/launch"] >= 1
    assert all(host.routes_served()[path] >= 2 for host in hosts)
    # Signing out on one host ends the session on both.
    [sign_out] = [f for f in forms(page.text) if f["action"].endswith("/sign-out")]
    out = browser.post(a, "/sign-out", data=sign_out["fields"])
    assert out.status_code == 200
    assert "Signed out" in out.text
    assert browser.get(b, path).status_code == 401


def test_platform_storage_state_on_one_host_launch_on_the_other_token_on_both(
    app: Flask, hosts: list[Host], lms: LmsSite, org_id: int
) -> None:
    """Third-party cookies refused: Canvas's Platform Storage carries the state, then the
    signed launch token (``lt``) carries the session, across both hosts."""
    a, b = hosts
    platform = lms.platform("canvas", "canvas-storage")
    register(app, platform, org_id)
    browser = Browser(cookies=False)
    page = browser.post(a, "/lti/login", data=platform.login_params(platform_storage=True))
    assert page.status_code == 200
    assert 'data-lti-storage="put"' in page.text
    auth_params = hidden_inputs(page.text)
    form = platform.launch_form(auth_params)
    # No cookie came back to B: it asks the platform's storage for the state A put there.
    storage_page = browser.post(b, "/lti/launch", data=form)
    assert storage_page.status_code == 200, storage_page.text[:800]
    assert 'data-lti-storage="get"' in storage_page.text
    relayed = {**hidden_inputs(storage_page.text), "platform_state": auth_params["state"]}
    done = browser.post(a, "/lti/launch", data=relayed)
    assert done.status_code == 303, done.text[:800]
    assert "lt=" in done.headers["Location"]
    landed = browser.follow([b, a], done)
    assert landed.status_code == 200
    assert platform.user("learner").name in landed.text
    token_link = urlsplit(landed.url).path + "?" + urlsplit(landed.url).query
    assert "lt=" in token_link
    for host in (a, b):
        again = browser.get(host, token_link)
        assert again.status_code == 200, f"{host.name}: {again.text[:500]}"
    # The token is checked, not merely present: a forged one is refused by both.
    for host in (a, b):
        assert browser.get(host, "/my-training?lt=forged.token.value").status_code == 401


def test_a_csrf_token_from_a_form_on_one_host_is_accepted_by_the_other(
    app: Flask, hosts: list[Host], lms: LmsSite, org_id: int
) -> None:
    a, b = hosts
    platform = lms.platform("moodle", "moodle-csrf")
    register(app, platform, org_id)
    browser = Browser()
    page = browser.follow([a, b], launch_with_cookies(browser, platform, b, a, user="instructor"))
    assert page.status_code == 200
    assert "/lti/course-school" in page.url, page.url
    fields = {**hidden_inputs(page.text), "school_id": str(school_id(app, "100001"))}
    assert fields["csrf_token"]
    # A token altered in its first character (all of whose bits count) is refused by the
    # other host: the check is real.
    token = fields["csrf_token"]
    forged = {**fields, "csrf_token": ("B" if token[0] == "A" else "A") + token[1:]}
    assert browser.post(b, "/lti/course-school", data=forged).status_code == 400
    chosen = browser.post(b, "/lti/course-school", data=fields)
    assert chosen.status_code == 302, chosen.text[:800]


def _serve_registration(lms: LmsSite, site: DynamicPlatform) -> None:
    lms.get[urlsplit(site.openid_configuration).path] = site.configuration
    lms.post[urlsplit(site.registration_endpoint).path] = lambda _body: site.registration_response()


def test_an_lms_registered_through_one_host_launches_through_the_other(
    app: Flask, hosts: list[Host], lms: LmsSite, org_id: int, database_url: str
) -> None:
    a, b = hosts
    site = moodle_registration(f"{lms.server.url}/moodle-registered", client_id="TwoHostsClient1")
    _serve_registration(lms, site)
    invitation = _cli(database_url, "org", "invite", "--org", str(org_id)).stdout.strip()
    invite = dict(parse_qsl(urlsplit(invitation.splitlines()[-1]).query))["invite"]

    admin = Browser()  # the LMS administrator's browser, in the LMS's registration frame
    page = admin.get(a, "/lti/register", params=site.query(invite))
    assert page.status_code == 200, page.text[:800]
    # The confirmation form rendered by A (its CSRF token too) is submitted to B.
    done = admin.post(b, "/lti/register", data=form_fields(page.text))
    assert done.status_code == 200, done.text[:800]
    assert "lti_close.js" in done.text  # the page that tells the LMS to close its frame

    platform = site.test_platform()
    lms.publish_keys(platform)
    for login_host, launch_host in ((a, b), (b, a)):
        browser = Browser()
        landed = browser.follow(
            [login_host, launch_host],
            launch_with_cookies(browser, platform, login_host, launch_host),
        )
        assert landed.status_code == 200, landed.text[:800]
        assert platform.user("learner").name in landed.text


def _kids(browser: Browser, host: Host) -> set[str]:
    response = browser.get(host, "/.well-known/jwks.json")
    assert response.status_code == 200
    return {key["kid"] for key in response.json()["keys"]}


def test_a_key_rotated_while_both_hosts_run_is_in_both_jwks(
    hosts: list[Host], database_url: str, app: Flask
) -> None:
    a, b = hosts
    browser = Browser()
    before = _kids(browser, a)
    assert before
    assert _kids(browser, b) == before
    rotated = _cli(database_url, "keys", "rotate").stdout
    new_kid = rotated.split("Now signing with key ", 1)[1].split(".", 1)[0].strip()
    assert new_kid not in before
    for host in (b, a):
        # The new key at once, and the old ones still, for tokens signed before the rotation.
        assert _kids(browser, host) == before | {new_kid}, host.name


def test_two_worker_processes_at_once_do_each_job_once(
    database_url: str, hosts: list[Host], tmp_path: Path, app: Flask
) -> None:
    """Two ``cpd-tracker worker --once`` processes on one database. The retention job (the last
    in the list) is held on a table lock the test takes, so the worker that reaches it first is
    still running, holding its locks, until the other has finished its whole pass."""
    engine = create_engine(app.config["DATABASE_URL"])
    logs = [tmp_path / f"worker-{i}.log" for i in range(2)]
    processes: list[subprocess.Popen[bytes]] = []
    try:
        with engine.connect() as holder:
            holder.execute(text("LOCK TABLE data_access_entry IN ACCESS EXCLUSIVE MODE"))
            for log in logs:
                with log.open("wb") as out:
                    processes.append(
                        subprocess.Popen(
                            [_cpd_tracker(), "worker", "--once"],
                            env=_environ(database_url),
                            stdout=out,
                            stderr=subprocess.STDOUT,
                            start_new_session=True,
                        )
                    )
            first = _first_to_exit(processes, timeout=TIMEOUT * 4)
            held = processes[1 - first]
            assert processes[first].returncode == 0, logs[first].read_text()[-2000:]
            assert held.poll() is None, "the other worker did not wait on the retention job"
            holder.rollback()  # lets go of the table: the held worker finishes retention
        assert held.wait(timeout=TIMEOUT * 4) == 0, logs[1 - first].read_text()[-2000:]
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=TIMEOUT)
        engine.dispose()

    outcomes: Counter[tuple[str, str]] = Counter()
    for log in logs:
        for line in log.read_text().splitlines():
            if line.startswith("{"):
                entry = json.loads(line)
                if entry.get("outcome") and entry.get("job"):
                    outcomes[(entry["job"], entry["outcome"])] += 1
                elif entry.get("job") and entry["message"].startswith(
                    f"Job {entry['job']} skipped"
                ):
                    outcomes[(entry["job"], "skipped")] += 1
    jobs = {job for job, _ in outcomes}
    assert {"lti-outbox", "roster-sync", "snapshots", "report-status", "retention"} <= jobs
    for job in jobs:
        assert outcomes[(job, "done")] == 1, (job, outcomes)
        assert outcomes[(job, "skipped")] == 1, (job, outcomes)
        assert outcomes[(job, "failed")] == 0, (job, outcomes)


def _first_to_exit(processes: list[subprocess.Popen[bytes]], timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for index, process in enumerate(processes):
            if process.poll() is not None:
                return index
        time.sleep(0.1)
    pytest.fail(f"neither worker finished in {timeout} s")
