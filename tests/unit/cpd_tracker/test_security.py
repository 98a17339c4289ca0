"""One place decides that a rendered page is HTML, whatever response class a view built."""

from __future__ import annotations

from flask import Flask
from werkzeug.wrappers import Response as WerkzeugResponse

from tests.support.platform import TOOL_HOST

PAGE = "<!DOCTYPE html>\n<html lang='en'><body><h1>Evidence to check</h1></body></html>"


def _serve(app: Flask) -> None:
    @app.get("/_test/werkzeug-page")
    def werkzeug_page() -> WerkzeugResponse:
        return WerkzeugResponse(PAGE)  # Werkzeug's default type is text/plain

    @app.get("/_test/plain-text")
    def plain_text() -> WerkzeugResponse:
        return WerkzeugResponse("just text")

    @app.get("/_test/download")
    def download() -> WerkzeugResponse:
        return WerkzeugResponse(
            PAGE,
            mimetype="text/plain",
            headers={"Content-Disposition": 'attachment; filename="page.txt"'},
        )


def test_a_page_built_as_text_plain_is_sent_as_html(app: Flask) -> None:
    _serve(app)
    client = app.test_client()
    client.environ_base.update({"wsgi.url_scheme": "https", "HTTP_HOST": TOOL_HOST})

    page = client.get("/_test/werkzeug-page")
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert page.headers["X-Content-Type-Options"] == "nosniff"

    assert client.get("/_test/plain-text").headers["Content-Type"].startswith("text/plain")
    # A download keeps the type it chose.
    assert client.get("/_test/download").headers["Content-Type"].startswith("text/plain")
