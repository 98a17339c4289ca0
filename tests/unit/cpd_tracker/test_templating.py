"""Start-up work done once: every template compiled before the first request; the shared
macros keep an amount of money on one line."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, render_template_string

from cpd_tracker.rules.money import money_text
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


def test_an_amount_of_money_stays_whole_in_any_table_column(app: Flask) -> None:
    """Not only the numeric columns: a negative amount breaks after its minus sign in a
    narrow cell or a phone's card unless the cell keeps it on one line."""
    with app.test_request_context():
        html = render_template_string(
            '{% import "_macros.html" as ui %}'
            '{{ ui.table(none, ["Membership", "Net benefit", "Note"], '
            '[["NASEN", net, "A long note"]], key=1) }}'
            '{{ ui.summary_list([("Net benefit", net), ("Note", "\u2212£5 off")]) }}',
            net=money_text(-57100),
        )
    assert '<td class="govuk-table__cell app-nowrap" data-key>\u2212£571.00</td>' in html
    assert '<td class="govuk-table__cell">A long note</td>' in html
    assert '<span class="app-nowrap">\u2212£571.00</span>' in html
    # Text that merely contains an amount is not an amount: it may wrap between words.
    assert '<dd class="govuk-summary-list__value">\u2212£5 off</dd>' in html
