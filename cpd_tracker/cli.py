"""The ``cpd-tracker`` command: database, server, demo, keys, organisations and platforms.

Commands commit their own work (they are the edge, like a request) and write audit entries
with the actor "cli".
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.serving import run_simple

from cpd_tracker.catalogue_cli import catalogue_group
from cpd_tracker.extensions import db
from cpd_tracker.imports.cli import import_group
from cpd_tracker.logging_setup import QueryStringFilter
from cpd_tracker.lti_services_cli import outbox_group, roster_group
from cpd_tracker.models import Organisation, OrganisationKind
from cpd_tracker.registry import clock
from cpd_tracker.reminders_cli import reminders_group
from cpd_tracker.reports.cli import report_status_group
from cpd_tracker.retention_cli import retention_group
from cpd_tracker.services.audit import Actor, AuditService
from cpd_tracker.services.keys import KeyService
from cpd_tracker.services.registrations import (
    PlatformDetails,
    RegistrationConflict,
    RegistrationService,
)
from cpd_tracker.snapshots_cli import snapshots_group
from cpd_tracker.spend.cli import spend_group
from cpd_tracker.worker_cli import worker
from lti.platforms import canvas, moodle
from lti.service_tokens import is_secure_url

#: gunicorn's access log without the query string or the referrer (``%(U)s`` is the path
#: alone): launch tokens, invitation links and registration tokens travel in query strings,
#: and a referrer is one of our own URLs with its token.
ACCESS_LOG_FORMAT = '%(h)s - - %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'


@contextmanager
def cli_session() -> Iterator[tuple[Session, AuditService]]:
    session = db.new_session()
    try:
        yield session, AuditService(session, Actor("cli"))
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _create_app() -> Flask:
    from cpd_tracker import create_app
    from cpd_tracker.config import ConfigError

    try:
        return create_app()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def register_commands(app: Flask) -> None:
    """Make the same commands available as ``flask --app cpd_tracker ...``."""
    for command in main.commands.values():
        if command.name not in {"serve", "demo"}:
            app.cli.add_command(command)


class ToolGroup(FlaskGroup):
    """Flask's group, listing only its own commands: every command of the app is one of
    them, so ``--help`` need not build the app (which fails, with a traceback printed before
    the usage, when ``SECRET_KEY`` is not set yet). A command that needs the app still loads
    it when it runs and says what is missing in one line."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.commands)


@click.group(
    cls=ToolGroup,
    create_app=_create_app,
    add_default_commands=False,
    load_dotenv=False,
    set_debug_flag=False,
)
def main() -> None:
    """SEND CPD Tracker: SEND training and the SENCO qualification, as an LTI 1.3 tool."""


# -- database ------------------------------------------------------------------------------


@main.group("db")
def db_group() -> None:
    """Database migrations (Alembic)."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply migrations to the configured database."""
    from cpd_tracker import migrate

    migrate.upgrade(db.engine, revision)
    click.echo(f"Database at {db.engine.url.render_as_string()} is at revision {revision}.")


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION (``base`` for an empty database)."""
    from cpd_tracker import migrate

    migrate.downgrade(db.engine, revision)
    click.echo(f"Database downgraded to {revision}.")


# -- serving -------------------------------------------------------------------------------


def gunicorn_args(host: str, port: int, workers: int, log_args: list[str]) -> list[str]:
    """gunicorn's settings for ``serve`` (the app to load goes after them); also used by
    ``benchmarks/launch.py`` to serve its reference tool exactly as the tool is served."""
    return [
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        # Threads, so that a request waiting on a slow LMS holds one thread, not a whole
        # worker: at most HTTP_MAX_IN_FLIGHT of a worker's threads wait on LMSs at once
        # (lti.outbound), the others keep serving pages.
        "--worker-class",
        "gthread",
        "--threads",
        "8",
        *log_args,
        # A dead worker's metrics are dropped (PROMETHEUS_MULTIPROC_DIR, metrics.py).
        "--config",
        "python:cpd_tracker.gunicorn_hooks",
        # Build the app once, in the master, before forking: workers start ready.
        "--preload",
    ]


@main.command("serve", with_appcontext=False)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=None, type=int, help="gunicorn workers (default 2 x cores)")
def serve(host: str, port: int, workers: int | None) -> None:
    """Serve the app for the configured database (gunicorn where available)."""
    # The gunicorn beside this Python first (the venv's), then PATH.
    local = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    gunicorn = local if os.path.exists(local) else shutil.which("gunicorn")
    if gunicorn:
        count = workers or 2 * (os.cpu_count() or 1)
        if os.environ.get("CPD_TRACKER_LOG_FORMAT", "").strip().lower() == "json":
            # The app writes one JSON access line per request (route, status, duration,
            # correlation id: logging_setup.py); gunicorn's own lines are JSON too.
            log_args = ["--logger-class", "cpd_tracker.gunicorn_hooks.GunicornJsonLogger"]
        else:
            log_args = ["--access-logfile", "-", "--access-logformat", ACCESS_LOG_FORMAT]
        args = [gunicorn, *gunicorn_args(host, port, count, log_args), "cpd_tracker.wsgi:app"]
        # Replace this process, so a signal to `serve` reaches gunicorn itself.
        os.execv(gunicorn, args)  # noqa: S606 - fixed argv, no shell
    click.echo("gunicorn is not installed: serving with the single-process development server.")
    logging.getLogger("werkzeug").addFilter(QueryStringFilter())
    run_simple(host, port, _create_app(), threaded=True)


@main.command("demo", with_appcontext=False)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Set up the demo database and stop.")
def demo(host: str, port: int, no_serve: bool) -> None:
    """Migrate and seed the embedded database, register the demo LMS, and serve both."""
    from cpd_tracker import create_app, migrate
    from cpd_tracker.demo_lms.seed import seed_demo

    app = create_app({"DEMO_MODE": True})
    base = app.config.get("BASE_URL") or f"http://{host}:{port}"
    with app.app_context():
        migrate.upgrade(db.engine)
        with cli_session() as (session, audit):
            summary = seed_demo(session, audit, base_url=base, secret=app.config["SECRET_KEY"])
    click.echo(summary)
    if no_serve:
        return
    click.echo(f"\n  Demo LMS:  {base}/demo-lms/\n  Tool:      {base}/lti/config\n")
    logging.getLogger("werkzeug").addFilter(QueryStringFilter())
    run_simple(host, port, app, threaded=True)


# -- keys ----------------------------------------------------------------------------------


@main.group("keys")
def keys_group() -> None:
    """The tool's signing keys."""


def _key_service(session: Session, audit: AuditService) -> KeyService:
    return KeyService(session, secret=current_app.config["SECRET_KEY"], clock=clock, audit=audit)


@keys_group.command("rotate")
@with_appcontext
def keys_rotate() -> None:
    """Sign with a new key; keep the old one published until its tokens have expired."""
    with cli_session() as (session, audit):
        new, old = _key_service(session, audit).rotate()
        click.echo(f"Now signing with key {new.kid}.")
        if old is not None and old.publish_until is not None:
            click.echo(
                f"Key {old.kid} stays published until {old.publish_until:%Y-%m-%d %H:%M} UTC."
            )


@keys_group.command("list")
@with_appcontext
def keys_list() -> None:
    """List the published keys."""
    with cli_session() as (session, audit):
        service = _key_service(session, audit)
        service.ensure_key()
        for key in service.published():
            state = (
                "signing"
                if key.retired_at is None
                else f"retired, published until {key.publish_until:%Y-%m-%d %H:%M} UTC"
            )
            click.echo(f"{key.kid}  created {key.created_at:%Y-%m-%d}  {state}")


# -- organisations and schools -------------------------------------------------------------


@main.group("org")
def org_group() -> None:
    """Organisations: trusts and standalone schools."""


@org_group.command("add")
@click.argument("name")
@click.option(
    "--kind",
    type=click.Choice([k.value for k in OrganisationKind]),
    default="trust",
    show_default=True,
)
@with_appcontext
def org_add(name: str, kind: str) -> None:
    """Create an organisation."""
    with cli_session() as (session, audit):
        org = RegistrationService(session, audit).create_organisation(name, OrganisationKind(kind))
        click.echo(f"Organisation {org.id}: {org.name} ({org.kind.value})")


@org_group.command("list")
@with_appcontext
def org_list() -> None:
    """List organisations."""
    with cli_session() as (session, _audit):
        for org in session.scalars(select(Organisation).order_by(Organisation.id)):
            click.echo(f"{org.id}\t{org.kind.value}\t{org.name}\t{len(org.schools)} schools")


@org_group.command("invite")
@click.option("--org", "org_id", required=True, type=int)
@click.option("--base-url", help="The tool's public URL (default CPD_TRACKER_BASE_URL)")
@click.option("--days", default=7, show_default=True, type=click.IntRange(1, 30))
@click.option(
    "--uses", default=1, show_default=True, type=click.IntRange(1, 20), help="LMSs it may register"
)
@with_appcontext
def org_invite(org_id: int, base_url: str | None, days: int, uses: int) -> None:
    """Print a Dynamic Registration link that registers an LMS into this organisation.

    The link works once (or --uses times) for --days days; trust leaders see it, and can
    withdraw it, on the LMS registrations page. It is printed once and not kept."""
    from cpd_tracker.services.invitations import InvitationService, invite_url

    base = base_url or current_app.config.get("BASE_URL")
    if not base:
        raise click.UsageError("Give --base-url or set CPD_TRACKER_BASE_URL.")
    with cli_session() as (session, audit):
        org = session.get(Organisation, org_id)
        if org is None:
            raise click.BadParameter(
                f"there is no organisation {org_id} (see `cpd-tracker org list`)"
            )
        _invitation, secret = InvitationService(session, audit, clock).create(
            org, by=None, days=days, uses=uses
        )
    click.echo(invite_url(secret, base))


def _organisation(org_id: int) -> Organisation:
    org = db.session.get(Organisation, org_id)
    if org is None:
        raise click.BadParameter(f"there is no organisation {org_id} (see `cpd-tracker org list`)")
    return org


@main.group("school")
def school_group() -> None:
    """Schools of an organisation."""


@school_group.command("add")
@click.option("--org", "org_id", required=True, type=int)
@click.option("--urn", required=True, help="DfE unique reference number")
@click.option("--name", required=True)
@click.option("--phase", default=None, help="primary, secondary, all-through, special, ...")
@with_appcontext
def school_add(org_id: int, urn: str, name: str, phase: str | None) -> None:
    """Add a school to an organisation."""
    if not urn.strip().isdigit() or not 5 <= len(urn.strip()) <= 7:
        raise click.BadParameter("a URN is 5 to 7 digits, e.g. 100000", param_hint="--urn")
    with cli_session() as (session, audit):
        org = session.get(Organisation, org_id)
        if org is None:
            raise click.BadParameter(f"there is no organisation {org_id}", param_hint="--org")
        school = RegistrationService(session, audit).add_school(
            org, urn=urn, name=name, phase=phase
        )
        click.echo(f"School {school.id}: {school.name} (URN {school.urn})")


# -- platforms -----------------------------------------------------------------------------


@main.group("platform")
def platform_group() -> None:
    """LMS platform registrations."""


@platform_group.command("add")
@click.argument(
    "preset", type=click.Choice(["canvas", "canvas-beta", "canvas-test", "moodle", "custom"])
)
@click.option("--org", "org_id", required=True, type=int)
@click.option("--client-id", required=True, help="The LMS's client id for the tool")
@click.option(
    "--deployment-id", "deployment_ids", multiple=True, help="A known deployment id (repeatable)"
)
@click.option("--site-url", help="Moodle: the site's URL, e.g. https://moodle.school.org")
@click.option("--name", help="A name to show in the tool (default: the issuer)")
@click.option("--issuer", help="custom: the platform's issuer")
@click.option("--auth-url", help="custom: the OIDC authorisation endpoint")
@click.option("--token-url", help="custom: the OAuth 2 token endpoint")
@click.option("--jwks-url", help="custom: the platform's public keyset URL")
@click.option(
    "--accept-new-deployments",
    is_flag=True,
    help="Record unknown deployments on their first launch instead of refusing them",
)
@with_appcontext
def platform_add(
    preset: str,
    org_id: int,
    client_id: str,
    deployment_ids: tuple[str, ...],
    site_url: str | None,
    name: str | None,
    issuer: str | None,
    auth_url: str | None,
    token_url: str | None,
    jwks_url: str | None,
    accept_new_deployments: bool,
) -> None:
    """Register an LMS by hand. Presets fill in Canvas cloud's or a Moodle site's endpoints."""
    details = _platform_details(
        preset, client_id, site_url, name, issuer, auth_url, token_url, jwks_url
    )
    with cli_session() as (session, audit):
        org = session.get(Organisation, org_id)
        if org is None:
            raise click.BadParameter(f"there is no organisation {org_id}", param_hint="--org")
        try:
            registration = RegistrationService(session, audit).add_platform(
                org,
                details,
                deployment_ids=deployment_ids,
                accept_new_deployments=accept_new_deployments or not deployment_ids,
                created_via="cli",
            )
        except RegistrationConflict as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(
            f"Registered {registration.name}: issuer {registration.issuer}, "
            f"client id {registration.client_id}, "
            f"{len(deployment_ids)} deployment(s)"
            + ("" if deployment_ids else "; deployments recorded on first launch")
        )


def _platform_details(
    preset: str,
    client_id: str,
    site_url: str | None,
    name: str | None,
    issuer: str | None,
    auth_url: str | None,
    token_url: str | None,
    jwks_url: str | None,
) -> PlatformDetails:
    try:
        if preset == "moodle":
            if not site_url:
                raise click.UsageError("moodle needs --site-url, e.g. https://moodle.school.org")
            endpoints = moodle.preset(site_url)
        elif preset.startswith("canvas"):
            environment = {"canvas": "production", "canvas-beta": "beta", "canvas-test": "test"}[
                preset
            ]
            endpoints = canvas.preset(environment)  # type: ignore[arg-type]
        else:
            missing = [
                n
                for n, v in (
                    ("--issuer", issuer),
                    ("--auth-url", auth_url),
                    ("--token-url", token_url),
                    ("--jwks-url", jwks_url),
                )
                if not v
            ]
            if missing:
                raise click.UsageError("custom needs " + ", ".join(missing))
            for option, url in (
                ("--issuer", issuer),
                ("--auth-url", auth_url),
                ("--token-url", token_url),
                ("--jwks-url", jwks_url),
            ):
                if not is_secure_url(str(url)):
                    raise click.BadParameter(
                        f"{url} is not an https URL: the platform's keys, tokens and sign-ins "
                        "must not travel in clear text (http is accepted for localhost only).",
                        param_hint=option,
                    )
            return PlatformDetails(
                name=name or str(issuer),
                issuer=str(issuer),
                client_id=client_id,
                auth_login_url=str(auth_url),
                auth_token_url=str(token_url),
                key_set_url=str(jwks_url),
            )
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    return PlatformDetails(
        name=name or endpoints.issuer,
        issuer=endpoints.issuer,
        client_id=client_id,
        auth_login_url=endpoints.auth_login_url,
        auth_token_url=endpoints.auth_token_url,
        key_set_url=endpoints.key_set_url,
        auth_audience=endpoints.auth_audience,
        product_family=endpoints.product_family,
    )


@platform_group.command("list")
@with_appcontext
def platform_list() -> None:
    """List registrations and their deployments."""
    from cpd_tracker.models import PlatformRegistration

    with cli_session() as (session, _audit):
        for reg in session.scalars(select(PlatformRegistration).order_by(PlatformRegistration.id)):
            deployments = ", ".join(d.deployment_id for d in reg.deployments) or "none yet"
            click.echo(
                f"{reg.id}\torg {reg.organisation_id}\t{reg.issuer}\t{reg.client_id}\t"
                f"deployments: {deployments}"
            )


main.add_command(import_group)
main.add_command(spend_group)
main.add_command(catalogue_group)
main.add_command(reminders_group)
main.add_command(snapshots_group)
main.add_command(report_status_group)
main.add_command(roster_group)
main.add_command(outbox_group)
main.add_command(worker)
main.add_command(retention_group)


@main.command("purge-logins")
@with_appcontext
def purge_logins() -> None:
    """Forget LTI logins that expired more than a day ago, and request counts older than a
    day (run daily from cron; logins are also forgotten as new ones are made)."""
    from cpd_tracker.services.launch_state import DbLaunchStateStore
    from cpd_tracker.services.rate_limits import RateLimiter

    with cli_session() as (session, _audit):
        removed = DbLaunchStateStore(session).purge(clock() - dt.timedelta(days=1))
    counts = RateLimiter(db.engine, clock).purge(clock() - dt.timedelta(days=1))
    click.echo(f"Removed {removed} expired logins and {counts} old request counts.")
