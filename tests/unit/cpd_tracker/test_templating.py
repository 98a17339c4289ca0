"""Start-up work done once: every template compiled before the first request."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from cpd_tracker.templating import compile_templates

TEMPLATES = Path(__file__).resolve().parents[3] / "templates"


def test_every_template_is_compiled_at_start_up(app: Flask) -> None:
    on_disk = {
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*")
        if path.suffix in {".html", ".txt"}
    }
    assert app.jinja_env.cache is not None
    app.jinja_env.cache.clear()

    assert compile_templates(app) == len(on_disk)

    cached = {key[1] for key in app.jinja_env.cache}
    assert on_disk <= cached
