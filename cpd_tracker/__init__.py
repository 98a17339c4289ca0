"""SEND CPD Tracker: SEND training and the SENCO qualification, as an LTI 1.3 tool."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Response, g
from werkzeug.middleware.proxy_fix import ProxyFix

from cpd_tracker.config import load_config
from cpd_tracker.extensions import db
from cpd_tracker.logging_setup import configure_logging
from cpd_tracker.outage import DATABASE_ERRORS, mark_database_down, unavailable

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. ``config`` overrides the environment (tests pass theirs here)."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    app.config.from_mapping(load_config(Path(app.instance_path), config))
    if app.config["PROXIES"]:
        n = app.config["PROXIES"]
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n, x_prefix=n
        )
    configure_logging(app.config["LOG_FORMAT"])

    db.init_app(app)

    from cpd_tracker import (
        auth,
        errors,
        metrics,
        outage,
        params,
        security,
        services_setup,
        templating,
    )

    metrics.init_metrics(app)  # first: its timing wraps every other hook
    params.init_params(app)
    auth.init_auth(app)
    errors.init_errors(app)
    outage.init_outage(app)
    security.init_security(app)
    services_setup.init_services(app)
    templating.init_templating(app)
    _register_blueprints(app)
    app.after_request(_commit_or_rollback)

    from cpd_tracker.cli import register_commands

    register_commands(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from cpd_tracker.admin.routes import bp as admin_bp
    from cpd_tracker.calendars.routes import bp as calendars_bp
    from cpd_tracker.certificates.routes import bp as certificates_bp
    from cpd_tracker.deep_linking.routes import bp as deep_linking_bp
    from cpd_tracker.health import bp as health_bp
    from cpd_tracker.home.routes import bp as home_bp
    from cpd_tracker.imports.routes import bp as imports_bp
    from cpd_tracker.launch.routes import bp as launch_bp
    from cpd_tracker.links.routes import bp as links_bp
    from cpd_tracker.manage.routes import bp as manage_bp
    from cpd_tracker.places.routes import bp as places_bp
    from cpd_tracker.records.routes import bp as records_bp
    from cpd_tracker.registration.routes import bp as registration_bp
    from cpd_tracker.reminders.routes import bp as reminders_bp
    from cpd_tracker.reports.routes import bp as reports_bp
    from cpd_tracker.senco.routes import bp as senco_bp
    from cpd_tracker.spend.routes import bp as spend_bp
    from cpd_tracker.staff.routes import bp as staff_bp
    from cpd_tracker.training.routes import bp as training_bp
    from cpd_tracker.trends.routes import bp as trends_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(launch_bp)
    app.register_blueprint(home_bp)
    app.register_blueprint(training_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(registration_bp)
    app.register_blueprint(imports_bp)
    app.register_blueprint(records_bp)
    app.register_blueprint(certificates_bp)
    app.register_blueprint(manage_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(links_bp)
    app.register_blueprint(deep_linking_bp)
    app.register_blueprint(senco_bp)
    app.register_blueprint(spend_bp)
    app.register_blueprint(places_bp)
    app.register_blueprint(trends_bp)
    app.register_blueprint(reminders_bp)
    app.register_blueprint(calendars_bp)
    if app.config["DEMO_MODE"]:
        from cpd_tracker.demo_lms.routes import bp as demo_bp

        app.register_blueprint(demo_bp)


def _commit_or_rollback(response: Response) -> Response:
    """One commit per request, at the edge; anything refused rolls back. A database that
    fails here answers 503 like anywhere else (nothing was saved)."""
    if "db_session" not in g:
        return response
    try:
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
    except DATABASE_ERRORS as exc:
        mark_database_down(exc)
        return unavailable()
    return response
