"""The app's edges: proxies, error pages, headers."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from cpd_tracker import create_app


def test_behind_a_tls_proxy_urls_follow_forwarded_headers(
    database_url: str, tmp_path: Path
) -> None:
    app = create_app(
        {"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "s", "PROXIES": 1}
    )
    app.instance_path = str(tmp_path)
    response = app.test_client().get(
        "/lti/config",
        headers={
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "cpd.trust.org.uk",
            "X-Forwarded-For": "203.0.113.9",
        },
    )
    with app.app_context():
        from cpd_tracker.extensions import db

        db.engine.dispose()
    assert response.get_json()["oidc_initiation_url"] == "https://cpd.trust.org.uk/lti/login"


def test_unknown_page_is_a_friendly_404(client: FlaskClient) -> None:
    response = client.get("/no/such/page")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Page not found" in html
    assert response.headers["X-Correlation-Id"] in html


def test_pages_need_a_launch(client: FlaskClient) -> None:
    for path in (
        "/",
        "/my-training",
        "/school",
        "/trust",
        "/admin/registrations",
        "/lti/course-school",
        "/schools/1",
    ):
        response = client.get(path)
        assert response.status_code == 401, path
        assert "Open the tool from your LMS" in response.get_data(as_text=True)


def test_wrong_method_is_a_405_page(client: FlaskClient) -> None:
    response = client.get("/lti/launch")
    assert response.status_code == 405
    assert "Traceback" not in response.get_data(as_text=True)


def test_unexpected_error_is_a_logged_500_without_details(app: Flask) -> None:
    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("secret detail")

    client = app.test_client()
    response = client.get("/boom")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "secret detail" not in html
    assert "Traceback" not in html
    assert response.headers["X-Correlation-Id"] in html


def test_security_headers_on_every_page(client: FlaskClient) -> None:
    response = client.get("/lti/config")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"


def test_a_unique_index_that_catches_a_race_is_a_409_not_a_500(app: Flask) -> None:
    """Two people saving the same thing at the same moment: the database's unique index
    refuses the second; the person sees a conflict page, nothing half-saved."""
    from cpd_tracker.extensions import db
    from cpd_tracker.models import Organisation, OrganisationKind, School

    with app.app_context():
        org = Organisation(name="Race Trust", kind=OrganisationKind.TRUST)
        db.session.add(org)
        db.session.commit()
        org_id = org.id

    @app.post("/_race")
    def race() -> str:
        for _ in range(2):  # the second is what the other request's insert would be
            db.session.add(School(organisation_id=org_id, urn="123456", name="Twice"))
        db.session.flush()
        return "saved"

    response = app.test_client().post("/_race")
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "saved by someone else just now" in html
    assert "IntegrityError" not in html
    with app.app_context():
        assert db.session.query(School).filter_by(urn="123456").count() == 0


def test_the_browsers_own_favicon_request_gets_the_icon(client: FlaskClient) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.get_data().lstrip().startswith(b"<svg")
    assert "max-age=86400" in response.headers["Cache-Control"]
