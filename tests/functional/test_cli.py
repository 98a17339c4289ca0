"""The ``cpd-tracker`` command (``cpd_tracker.cli``) and the demo it sets up.

Commands run through the ``runner`` fixture, against the test app and its database. The demo
LMS is walked end to end through the test client, as a browser would: course page, login
initiation, the demo LMS's authorisation step, and the signed launch.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select, text

from cpd_tracker import create_app
from cpd_tracker.cli import main
from cpd_tracker.demo_lms.platform import DemoPlatformKey
from cpd_tracker.demo_lms.seed import CLIENT_ID, DEPLOYMENT_ID, seed_demo
from cpd_tracker.extensions import db
from cpd_tracker.models import (
    AuditEntry,
    Course,
    Deployment,
    LoginState,
    Organisation,
    OrganisationKind,
    Person,
    PlatformRegistration,
    School,
    ToolKey,
)
from cpd_tracker.services.audit import Actor, AuditService
from tests.conftest import BASE_URL
from tests.support.clock import FakeClock
from tests.support.factories import make_org
from tests.support.http import FakeHttp
from tests.support.launching import follow
from tests.support.platform import TOOL_HOST, TestPlatform
from tests.support.registration import forms

MOODLE_SITE = "https://moodle.school.org"


def run(runner: FlaskCliRunner, *args: str) -> Result:
    return runner.invoke(args=list(args))


def ok(runner: FlaskCliRunner, *args: str) -> str:
    result = run(runner, *args)
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def refused(runner: FlaskCliRunner, *args: str, exit_code: int = 2) -> str:
    """A command refused with a message, not a stack trace."""
    result = run(runner, *args)
    assert result.exit_code == exit_code, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    return result.output


def registrations(app: Flask) -> list[dict[str, Any]]:
    with app.app_context():
        rows = db.session.scalars(select(PlatformRegistration).order_by(PlatformRegistration.id))
        return [
            {
                "organisation_id": r.organisation_id,
                "name": r.name,
                "issuer": r.issuer,
                "client_id": r.client_id,
                "auth_login_url": r.auth_login_url,
                "auth_token_url": r.auth_token_url,
                "auth_audience": r.auth_audience,
                "key_set_url": r.key_set_url,
                "product_family": r.product_family,
                "accept_new_deployments": r.accept_new_deployments,
                "created_via": r.created_via,
                "deployments": [d.deployment_id for d in r.deployments],
            }
            for r in rows
        ]


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


# ---------------------------------------------------------------- the command itself


def test_app_cli_has_every_command_but_serve_and_demo(app: Flask) -> None:
    app_commands = set(app.cli.commands)

    assert {"db", "keys", "org", "school", "platform", "purge-logins"} <= app_commands
    assert not {"serve", "demo"} & app_commands
    assert {"serve", "demo"} <= set(main.commands)


# ---------------------------------------------------------------- organisations and schools


def test_org_add_creates_an_audited_organisation(app: Flask, runner: FlaskCliRunner) -> None:
    output = ok(runner, "org", "add", "Hazel Trust")
    school = ok(runner, "org", "add", "Lone Oak School", "--kind", "school")

    match = re.fullmatch(r"Organisation (\d+): Hazel Trust \(trust\)\n", output)
    assert match is not None, output
    assert re.fullmatch(r"Organisation \d+: Lone Oak School \(school\)\n", school)
    with app.app_context():
        org = db.session.get(Organisation, int(match.group(1)))
        assert org is not None
        assert org.kind is OrganisationKind.TRUST
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "organisation.created")
        ).first()
        assert entry is not None
        assert entry.actor_label == "cli"
        assert entry.details == {"name": "Hazel Trust", "kind": "trust"}


def test_org_add_refuses_an_unknown_kind(runner: FlaskCliRunner, app: Flask) -> None:
    output = refused(runner, "org", "add", "X", "--kind", "federation")

    assert "'federation' is not one of 'trust', 'school'" in output
    assert count(app, Organisation) == 0


def test_org_list_shows_organisations_and_their_schools(app: Flask, runner: FlaskCliRunner) -> None:
    first = make_org(app, "Hazel Trust")
    second = make_org(app, "Lone Oak School", schools=[])

    output = ok(runner, "org", "list")

    assert output.splitlines() == [
        f"{first}\ttrust\tHazel Trust\t2 schools",
        f"{second}\ttrust\tLone Oak School\t0 schools",
    ]


def test_school_add(app: Flask, runner: FlaskCliRunner) -> None:
    org = make_org(app, schools=[])

    output = ok(
        runner,
        "school",
        "add",
        "--org",
        str(org),
        "--urn",
        "137000",
        "--name",
        "Elm Primary",
        "--phase",
        "primary",
    )

    assert re.fullmatch(r"School \d+: Elm Primary \(URN 137000\)\n", output)
    with app.app_context():
        school = db.session.scalars(select(School)).one()
        assert (school.organisation_id, school.urn, school.phase) == (org, "137000", "primary")


@pytest.mark.parametrize("urn", ["12ab45", "1234", "12345678", " "])
def test_school_add_refuses_a_bad_urn(app: Flask, runner: FlaskCliRunner, urn: str) -> None:
    org = make_org(app, schools=[])

    output = refused(runner, "school", "add", "--org", str(org), "--urn", urn, "--name", "Elm")

    assert "Invalid value for --urn: a URN is 5 to 7 digits, e.g. 100000" in output
    assert count(app, School) == 0


def test_school_add_refuses_an_unknown_organisation(app: Flask, runner: FlaskCliRunner) -> None:
    output = refused(runner, "school", "add", "--org", "4242", "--urn", "137000", "--name", "Elm")

    assert "Invalid value for --org: there is no organisation 4242" in output
    assert count(app, School) == 0


def test_org_invite_prints_a_working_registration_link(
    app: Flask, runner: FlaskCliRunner, client: FlaskClient, fake_http: FakeHttp
) -> None:
    from tests.support.registration import moodle

    org = make_org(app, "Hazel Trust")
    link = ok(runner, "org", "invite", "--org", str(org)).strip()

    assert link.startswith(f"{BASE_URL}/lti/register?invite=")
    lms = moodle()
    lms.serve(fake_http)
    page = client.get(link.removeprefix(BASE_URL) + "&" + urlencode(lms.query()))
    assert page.status_code == 200
    assert "Hazel Trust" in page.get_data(as_text=True)
    assert "there is no organisation 4242" in refused(runner, "org", "invite", "--org", "4242")


# ---------------------------------------------------------------- platforms


def test_platform_add_canvas_uses_the_cloud_preset(app: Flask, runner: FlaskCliRunner) -> None:
    org = make_org(app)

    output = ok(
        runner, "platform", "add", "canvas", "--org", str(org), "--client-id", "10000000000007"
    )

    assert "issuer https://canvas.instructure.com, client id 10000000000007" in output
    assert "deployments recorded on first launch" in output
    assert registrations(app) == [
        {
            "organisation_id": org,
            "name": "https://canvas.instructure.com",
            "issuer": "https://canvas.instructure.com",
            "client_id": "10000000000007",
            "auth_login_url": "https://sso.canvaslms.com/api/lti/authorize_redirect",
            "auth_token_url": "https://sso.canvaslms.com/login/oauth2/token",
            "auth_audience": "https://sso.canvaslms.com/login/oauth2/token",
            "key_set_url": "https://sso.canvaslms.com/api/lti/security/jwks",
            "product_family": "canvas",
            # No deployment given: Canvas's deployments are recorded on first launch.
            "accept_new_deployments": True,
            "created_via": "cli",
            "deployments": [],
        }
    ]


def test_platform_add_moodle_from_its_site_url(app: Flask, runner: FlaskCliRunner) -> None:
    org = make_org(app)

    output = ok(
        runner,
        "platform",
        "add",
        "moodle",
        "--site-url",
        f"{MOODLE_SITE}/",
        "--org",
        str(org),
        "--client-id",
        "Xq3vT8kP2mLw9Rz",
        "--deployment-id",
        "1",
        "--name",
        "School Moodle",
    )

    assert output == (
        f"Registered School Moodle: issuer {MOODLE_SITE}, client id Xq3vT8kP2mLw9Rz, "
        "1 deployment(s)\n"
    )
    (row,) = registrations(app)
    # The trailing slash is gone: Moodle's issuer is $CFG->wwwroot exactly.
    assert row["issuer"] == MOODLE_SITE
    assert row["auth_login_url"] == f"{MOODLE_SITE}/mod/lti/auth.php"
    assert row["auth_token_url"] == f"{MOODLE_SITE}/mod/lti/token.php"
    assert row["key_set_url"] == f"{MOODLE_SITE}/mod/lti/certs.php"
    assert row["product_family"] == "moodle"
    assert row["deployments"] == ["1"]
    assert row["accept_new_deployments"] is False
    with app.app_context():
        actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"platform_registration.created", "deployment.created"} <= actions


def test_platform_added_by_cli_can_launch(
    app: Flask, runner: FlaskCliRunner, client: FlaskClient, fake_http: FakeHttp
) -> None:
    org = make_org(app)
    platform = TestPlatform("moodle", issuer=MOODLE_SITE)
    platform.serve_jwks(fake_http)
    ok(
        runner,
        "platform",
        "add",
        "moodle",
        "--site-url",
        MOODLE_SITE,
        "--org",
        str(org),
        "--client-id",
        platform.client_id,
        "--deployment-id",
        platform.deployment_id,
    )

    from tests.support.launching import launch

    result = launch(client, platform)

    assert result.response.status_code == 303
    assert follow(client, result.response).request.path == "/my-training"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["moodle"], "moodle needs --site-url, e.g. https://moodle.school.org"),
        (
            ["moodle", "--site-url", "ftp://moodle.school.org"],
            "Moodle site URL must be an http(s) URL",
        ),
        (["custom"], "custom needs --issuer, --auth-url, --token-url, --jwks-url"),
        (
            [
                "custom",
                "--issuer",
                "https://lms.example.org",
                "--auth-url",
                "https://lms.example.org/auth",
            ],
            "custom needs --token-url, --jwks-url",
        ),
        (["blackboard"], "'blackboard' is not one of"),
        (
            [
                "custom",
                "--issuer",
                "https://lms.example.org",
                "--auth-url",
                "https://lms.example.org/auth",
                "--token-url",
                "https://lms.example.org/token",
                "--jwks-url",
                "http://lms.example.org/jwks",
            ],
            "http://lms.example.org/jwks is not an https URL",
        ),
    ],
)
def test_platform_add_usage_errors(
    app: Flask, runner: FlaskCliRunner, args: list[str], message: str
) -> None:
    org = make_org(app)

    output = refused(runner, "platform", "add", *args, "--org", str(org), "--client-id", "abc")

    assert message in output
    assert registrations(app) == []


def test_platform_add_custom(app: Flask, runner: FlaskCliRunner) -> None:
    org = make_org(app)

    ok(
        runner,
        "platform",
        "add",
        "custom",
        "--org",
        str(org),
        "--client-id",
        "bb-1",
        "--issuer",
        "https://blackboard.com",
        "--auth-url",
        "https://developer.blackboard.com/auth",
        "--token-url",
        "https://developer.blackboard.com/token",
        "--jwks-url",
        "https://developer.blackboard.com/jwks",
        "--deployment-id",
        "d-1",
    )

    (row,) = registrations(app)
    assert (row["issuer"], row["client_id"], row["key_set_url"], row["deployments"]) == (
        "https://blackboard.com",
        "bb-1",
        "https://developer.blackboard.com/jwks",
        ["d-1"],
    )
    assert row["accept_new_deployments"] is False


def test_platform_add_unknown_organisation(app: Flask, runner: FlaskCliRunner) -> None:
    output = refused(runner, "platform", "add", "canvas", "--org", "4242", "--client-id", "1")

    assert "there is no organisation 4242" in output
    assert registrations(app) == []


def test_platform_add_duplicate_is_an_error_message(app: Flask, runner: FlaskCliRunner) -> None:
    org = make_org(app)
    args = ("platform", "add", "canvas", "--org", str(org), "--client-id", "10000000000007")
    ok(runner, *args)
    audited = count(app, AuditEntry)

    output = refused(runner, *args, "--deployment-id", "12:abc", exit_code=1)

    assert output == (
        "Error: A platform with issuer https://canvas.instructure.com and client id "
        "10000000000007 is already registered.\n"
    )
    assert len(registrations(app)) == 1
    assert count(app, Deployment) == 0
    assert count(app, AuditEntry) == audited


def test_platform_list(app: Flask, runner: FlaskCliRunner) -> None:
    org = make_org(app)
    ok(runner, "platform", "add", "canvas", "--org", str(org), "--client-id", "10000000000007")
    ok(
        runner,
        "platform",
        "add",
        "moodle",
        "--site-url",
        MOODLE_SITE,
        "--org",
        str(org),
        "--client-id",
        "abc",
        "--deployment-id",
        "1",
        "--deployment-id",
        "2",
    )
    assert len(registrations(app)) == 2

    lines = ok(runner, "platform", "list").splitlines()

    assert len(lines) == 2
    assert lines[0].split("\t")[1:] == [
        f"org {org}",
        "https://canvas.instructure.com",
        "10000000000007",
        "deployments: none yet",
    ]
    assert lines[1].split("\t")[1:] == [f"org {org}", MOODLE_SITE, "abc", "deployments: 1, 2"]


# ---------------------------------------------------------------- keys


@pytest.fixture
def clock(app: Flask) -> FakeClock:
    clock = FakeClock(dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC))
    app.extensions["clock"] = clock
    return clock


def published_kids(client: FlaskClient) -> list[str]:
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    keys = response.get_json()["keys"]
    for key in keys:
        # Canvas requires alg and use on every key of a tool's JWKS.
        assert (key["kty"], key["alg"], key["use"]) == ("RSA", "RS256", "sig")
        assert key["n"]
        assert key["e"] == "AQAB"
        assert "d" not in key  # never the private part
    return [key["kid"] for key in keys]


def test_keys_rotate_keeps_the_old_key_published_until_its_tokens_expire(
    app: Flask, runner: FlaskCliRunner, client: FlaskClient, clock: FakeClock
) -> None:
    (first,) = published_kids(client)

    output = ok(runner, "keys", "rotate")

    match = re.fullmatch(
        r"Now signing with key (\S+)\.\nKey (\S+) stays published until "
        r"(\d{4}-\d\d-\d\d \d\d:\d\d) UTC\.\n",
        output,
    )
    assert match is not None, output
    new, old, until = match.groups()
    assert old == first
    assert new != first
    # Ten minutes of token lifetime plus a day for platforms' JWKS caches.
    assert until == "2025-03-02 09:10"
    assert published_kids(client) == [new, old]

    clock.advance(24 * 3600 + 9 * 60)
    assert published_kids(client) == [new, old]

    clock.advance(2 * 60)
    assert published_kids(client) == [new]
    with app.app_context():
        assert db.session.scalar(select(func.count(ToolKey.id))) == 2  # kept, not published
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "tool_key.rotated")
        ).one()
        assert (entry.entity_id, entry.details["retired_kid"]) == (new, old)
        assert entry.actor_label == "cli"


def test_keys_rotate_without_a_key_starts_one(
    runner: FlaskCliRunner, client: FlaskClient, clock: FakeClock
) -> None:
    output = ok(runner, "keys", "rotate")

    match = re.fullmatch(r"Now signing with key (\S+)\.\n", output)
    assert match is not None, output
    assert published_kids(client) == [match.group(1)]


def test_keys_list(runner: FlaskCliRunner, client: FlaskClient, clock: FakeClock) -> None:
    first = ok(runner, "keys", "list")
    (kid,) = re.findall(r"^(\S+)  created 2025-03-01  signing$", first, re.M)
    ok(runner, "keys", "rotate")

    lines = ok(runner, "keys", "list").splitlines()

    assert len(lines) == 2
    assert lines[0].endswith("created 2025-03-01  signing")
    assert lines[1] == f"{kid}  created 2025-03-01  retired, published until 2025-03-02 09:10 UTC"


def test_jwks_is_served_on_both_paths(client: FlaskClient, clock: FakeClock) -> None:
    well_known = client.get("/.well-known/jwks.json").get_json()
    legacy = client.get("/lti/jwks").get_json()

    assert well_known == legacy
    assert len(well_known["keys"]) == 1


# ---------------------------------------------------------------- database and housekeeping


def test_db_upgrade_is_idempotent(app: Flask, runner: FlaskCliRunner) -> None:
    org = make_org(app, "Hazel Trust")

    for _ in range(2):
        output = ok(runner, "db", "upgrade")
        assert output.endswith(" is at revision head.\n")

    with app.app_context():
        version = db.session.scalar(text("SELECT version_num FROM alembic_version"))
        assert version
        assert db.session.get(Organisation, org) is not None  # data untouched


def test_purge_logins_forgets_only_long_expired_logins(
    app: Flask,
    runner: FlaskCliRunner,
    client: FlaskClient,
    fake_http: FakeHttp,
    clock: FakeClock,
) -> None:
    platform = TestPlatform("canvas", clock=clock)
    platform.serve_jwks(fake_http)
    from tests.support.factories import register

    register(app, platform, make_org(app))
    from tests.support.launching import login

    assert login(client, platform).status_code == 302  # an old login, never completed
    clock.advance(3 * 24 * 3600)
    assert count(app, LoginState) == 1

    output = ok(runner, "purge-logins")

    assert output == "Removed 1 expired logins and 0 old request counts.\n"
    assert count(app, LoginState) == 0
    assert login(client, platform).status_code == 302  # a fresh one stays
    assert ok(runner, "purge-logins") == "Removed 0 expired logins and 0 old request counts.\n"
    assert count(app, LoginState) == 1


# ---------------------------------------------------------------- the demo


def _seed(app: Flask) -> str:
    with app.app_context():
        session = db.new_session()
        try:
            summary = seed_demo(
                session,
                AuditService(session, Actor("cli")),
                base_url=BASE_URL,
                secret=app.config["SECRET_KEY"],
            )
            session.commit()
        finally:
            session.close()
        return summary


def _demo_counts(app: Flask) -> dict[str, int]:
    return {
        model.__name__: count(app, model)
        for model in (
            Organisation,
            School,
            Person,
            Course,
            PlatformRegistration,
            Deployment,
            ToolKey,
        )
    }


def test_seed_demo_is_idempotent(app: Flask) -> None:
    first = _seed(app)
    counts = _demo_counts(app)
    second = _seed(app)

    expected = (
        "Demo trust 'Oakfield Learning Trust': 3 schools, 150 staff. "
        f"Demo LMS registered as issuer {BASE_URL}/demo-lms."
    )
    assert first == second == expected
    assert counts == {
        "Organisation": 1,
        "School": 3,
        "Person": 150,
        "Course": 3,
        "PlatformRegistration": 1,
        "Deployment": 1,
        "ToolKey": 1,
    }
    assert _demo_counts(app) == counts
    (row,) = registrations(app)
    assert (row["client_id"], row["deployments"], row["created_via"]) == (
        CLIENT_ID,
        [DEPLOYMENT_ID],
        "demo",
    )


def test_seed_demo_follows_a_new_base_url(app: Flask) -> None:
    _seed(app)
    with app.app_context():
        session = db.new_session()
        seed_demo(
            session,
            AuditService(session, Actor("cli")),
            base_url="http://127.0.0.1:5001",
            secret=app.config["SECRET_KEY"],
        )
        session.commit()
        session.close()

    (row,) = registrations(app)
    assert row["issuer"] == "http://127.0.0.1:5001/demo-lms"
    assert row["key_set_url"] == "http://127.0.0.1:5001/demo-lms/jwks"


def test_demo_command_sets_up_the_database_without_serving(
    app: Flask, database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``cpd-tracker demo --no-serve`` as the console script runs it (its own app)."""
    import cpd_tracker

    built: list[Flask] = []

    def create_app_in_tmp(config: dict[str, Any] | None = None) -> Flask:
        demo = create_app({**(config or {}), "DATABASE_URL": database_url})
        built.append(demo)
        return demo

    monkeypatch.setattr(cpd_tracker, "create_app", create_app_in_tmp)
    monkeypatch.setenv("SECRET_KEY", "demo-command-test-secret")
    monkeypatch.delenv("CPD_TRACKER_BASE_URL", raising=False)
    result = FlaskCliRunner(app).invoke(main, ["demo", "--no-serve"])
    for demo in built:
        with demo.app_context():
            db.engine.dispose()

    assert result.exit_code == 0, (result.output, result.exception)
    assert result.output == (
        "Demo trust 'Oakfield Learning Trust': 3 schools, 150 staff. "
        "Demo LMS registered as issuer http://127.0.0.1:5000/demo-lms.\n"
    )
    assert built[0].config["DEMO_MODE"] is True
    assert count(app, Person) == 150


# ---------------------------------------------------------------- the demo LMS


@pytest.fixture
def demo_app(app: Flask, fake_http: FakeHttp) -> Iterator[Flask]:
    """The test app's twin in demo mode, seeded, with the demo LMS's keys on the network.

    It shares the test database; ``app``'s teardown empties it afterwards."""
    demo = create_app({**app.config, "DEMO_MODE": True})
    demo.instance_path = app.instance_path
    demo.extensions["http"] = fake_http
    _seed(demo)
    key = DemoPlatformKey(Path(demo.instance_path))
    fake_http.add(f"{BASE_URL}/demo-lms/jwks", json=key.jwks())
    yield demo
    with demo.app_context():
        db.engine.dispose()


def _browser(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base.update({"wsgi.url_scheme": "https", "HTTP_HOST": TOOL_HOST})
    return client


def _autopost(client: FlaskClient, html: str) -> Any:
    """Submit the page's auto-posting form, as its script would."""
    (form,) = forms(html)
    assert form["method"] == "post"
    action = str(form["action"])
    assert action.startswith(BASE_URL), action
    return client.post(action.removeprefix(BASE_URL), data=form["fields"])


def _school_id(app: Flask, urn: str) -> int:
    with app.app_context():
        found = db.session.scalar(select(School.id).where(School.urn == urn))
        assert found is not None
        return found


@pytest.mark.parametrize(
    ("user", "landing", "name"),
    [
        ("teacher", "/my-training", "Amira Ahmed"),
        ("cpd-lead", "/schools/{riverside}", "Rhys Morgan"),
        ("trust-leader", "/trust", "Grace Khan"),
        ("finance", "/my-training", "Helen Okafor"),
    ],
)
def test_demo_lms_launches_each_demo_user(
    demo_app: Flask, fake_http: FakeHttp, user: str, landing: str, name: str
) -> None:
    client = _browser(demo_app)

    course = client.get("/demo-lms/")
    assert course.status_code == 200
    users = [f["fields"]["user"] for f in forms(course.get_data(as_text=True))]
    assert users == ["teacher", "cpd-lead", "trust-leader", "finance"]

    start = client.post("/demo-lms/start", data={"user": user})
    assert start.status_code == 200
    login = _autopost(client, start.get_data(as_text=True))
    assert login.status_code == 302
    location = login.headers["Location"]
    assert location.startswith(f"{BASE_URL}/demo-lms/auth?")
    auth = client.get(location.removeprefix(BASE_URL))
    assert auth.status_code == 200
    launched = _autopost(client, auth.get_data(as_text=True))
    assert launched.status_code == 303, launched.get_data(as_text=True)[:800]
    page = follow(client, launched)

    assert page.status_code == 200
    assert page.request.path == landing.format(riverside=_school_id(demo_app, "990002"))
    assert name in page.get_data(as_text=True)
    assert fake_http.count(f"{BASE_URL}/demo-lms/jwks") == 1


def test_the_demo_finance_persona_sees_the_trusts_spend(demo_app: Flask) -> None:
    """Issue 16/17: a finance director launches from the demo LMS and reads the spend pages,
    with every school's purchases and the cost per compliant member of staff."""
    client = _browser(demo_app)
    start = client.post("/demo-lms/start", data={"user": "finance"})
    auth = client.get(_autopost(client, start.get_data(as_text=True)).headers["Location"])
    follow(client, _autopost(client, auth.get_data(as_text=True)))

    home = follow(client, client.get("/spend/"))
    purchases = client.get("/spend/purchases")
    report = client.get("/spend/report")

    assert (home.status_code, purchases.status_code, report.status_code) == (200, 200, 200)
    listed = purchases.get_data(as_text=True)
    for title in (  # purchases are listed by the catalogue module they bought
        "Specific learning difficulties in the classroom",
        "SEND for governors and trustees",
        "Effective behaviour management and de-escalation (6-hour level)",
    ):
        assert title in listed
    assert "per compliant member of staff" in report.get_data(as_text=True)
    assert client.get("/trust").status_code == 403  # finance is not a trust leader


def test_demo_lms_refuses_an_unknown_user(demo_app: Flask) -> None:
    answer = _browser(demo_app).post("/demo-lms/start", data={"user": "headteacher"})

    assert answer.status_code == 400
    assert "Choose one of the demo users." in answer.get_data(as_text=True)


def test_demo_lms_auth_refuses_a_wrong_redirect_uri(demo_app: Flask) -> None:
    answer = _browser(demo_app).get(
        "/demo-lms/auth",
        query_string={
            "scope": "openid",
            "response_type": "id_token",
            "response_mode": "form_post",
            "client_id": CLIENT_ID,
            "redirect_uri": "https://evil.example.com/steal",
            "nonce": "n",
            "state": "s",
            "login_hint": "teacher",
        },
    )

    assert answer.status_code == 400
    assert "redirect_uri not as registered" in answer.get_data(as_text=True)


def test_demo_lms_is_absent_outside_demo_mode(app: Flask, client: FlaskClient) -> None:
    assert app.config["DEMO_MODE"] is False
    for path in ("/demo-lms/", "/demo-lms/jwks"):
        assert client.get(path).status_code == 404
    assert client.post("/demo-lms/start", data={"user": "teacher"}).status_code == 404


def test_the_demo_trust_shows_the_common_senco_states(app: Flask) -> None:
    from cpd_tracker.models import SencoAppointment
    from cpd_tracker.services.senco import SencoService

    _seed(app)
    _seed(app)
    with app.app_context():
        org_id = db.session.scalars(select(Organisation.id)).one()
        service = SencoService(
            db.session, AuditService(db.session, Actor("cli")), lambda: dt.datetime.now(dt.UTC)
        )
        table = service.trust(org_id)
        states = sorted(row.assessment.state.value for row in table)
        assert states == ["at_risk", "on_track", "qualified"]
        assert count(app, SencoAppointment) == 3


def test_the_demo_trust_has_monthly_coverage_history(app: Flask) -> None:
    from cpd_tracker.models import CoverageSnapshot

    _seed(app)
    with app.app_context():
        months = db.session.scalars(select(func.count(func.distinct(CoverageSnapshot.month))))
        assert months.one() >= 12  # two years of training history, back-filled
        schools = db.session.scalars(
            select(func.count(func.distinct(CoverageSnapshot.school_id)))
        ).one()
        assert schools == 3


def test_help_works_before_the_tool_is_configured(tmp_path: Path) -> None:
    """An operator's first command: no SECRET_KEY yet, and no traceback before the usage."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "CPD_TRACKER_DEMO"}}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'none.db'}"
    command = [sys.executable, "-c", "from cpd_tracker.cli import main; main()"]
    shown = subprocess.run(
        [*command, "--help"], env=env, cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert shown.returncode == 0
    assert "Traceback" not in shown.stdout + shown.stderr
    assert "Commands:" in shown.stdout
    for name in ("db", "serve", "demo", "org", "platform", "lti-outbox", "roster"):
        assert re.search(rf"^\s+{re.escape(name)}\s", shown.stdout, re.M), name

    refused = subprocess.run(
        [*command, "keys", "list"], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert refused.returncode == 1
    assert "Traceback" not in refused.stdout + refused.stderr
    assert "SECRET_KEY is not set" in refused.stderr
