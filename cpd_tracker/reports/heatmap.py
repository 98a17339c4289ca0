"""The dashboards' grids, built as markup in Python: the school's staff x requirement heatmap
(a page of staff, up to 6,000 cells), its gap lists and hours table (hundreds of rows with
links), and the trust's
schools x requirements matrix (1,800 linked figures). Through Jinja's macros and ``url_for``
per cell they cost more than every query of the page together.

Each cell names its status twice: a two-letter code on screen (with a legend above the table)
and the full word for screen readers; colour is the third cue, never the only one.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape as _escape

from markupsafe import Markup

from cpd_tracker.services.coverage import GapLine, SchoolReport, StaffLine, TrustReport
from cpd_tracker.templating import ROLE_LABELS, STATUS_LABELS, date_uk, hours, tool_url

#: Status -> the code shown in a cell.
CODES = {
    "overdue": "OD",
    "expired": "EX",
    "due_soon": "DS",
    "due": "DU",
    "extended": "XT",
    "not_yet_due": "NY",
    "expiring_soon": "ES",
    "compliant": "OK",
    "exempt": "XM",
    "left": "LF",
}


# Every dynamic part below goes through _html() (or is a number, or a constant of ours):
# the standard library's escape of & < > " ', as markupsafe's, without making a Markup of
# each of the page's thousand or so names, titles and links.
def _html(text: str) -> str:
    return _escape(text, quote=True)


_CELLS = {
    status: Markup(  # noqa: S704
        f'<td class="app-heat app-heat--{status}"><span aria-hidden="true">{code}</span>'
        f'<span class="govuk-visually-hidden">{STATUS_LABELS[status]}</span></td>'
    )
    for status, code in CODES.items()
}
_NOT_REQUIRED = Markup(
    '<td class="app-heat"><span aria-hidden="true">&ndash;</span>'
    '<span class="govuk-visually-hidden">Not required</span></td>'
)
_PLACEHOLDER = 987654321
#: ``ui.status_tag`` (templates/_macros.html) as constants, for lists of many rows.
_TAG_COLOURS = {
    "not_yet_due": "grey",
    "due": None,
    "due_soon": "yellow",
    "overdue": "red",
    "compliant": "green",
    "expiring_soon": "orange",
    "expired": "red",
    "exempt": "grey",
    "extended": "purple",
    "left": "grey",
}
STATUS_TAGS = {
    status: Markup(  # noqa: S704 - constants of ours
        f'<strong class="govuk-tag{f" govuk-tag--{colour}" if colour else ""}">'
        f"{STATUS_LABELS[status]}</strong>"
    )
    for status, colour in _TAG_COLOURS.items()
}


def person_url(school_id: int) -> Callable[[int], str]:
    """The staff page's URL for a person at the school, built once (``url_for`` per row
    is a measurable share of a large page)."""
    pattern = tool_url("staff.person", school_id=school_id, person_id=_PLACEHOLDER)
    # Only the path segment: the launch token in the query string may contain any digits.
    segment = f"/{_PLACEHOLDER}"
    return lambda person_id: pattern.replace(segment, f"/{person_id}", 1)


def heatmap_rows(report: SchoolReport) -> list[Markup]:
    """One ``<tr>`` per member of staff on the report's page (the status filter is SQL's)."""
    url = person_url(report.school.id)
    rows = []
    for member in report.staff:
        cells = report.cells.get(member.person_id, {})
        roles = ", ".join(ROLE_LABELS.get(r, r) for r in member.roles)
        href = _html(url(member.person_id))
        head = (
            f'<th scope="row" class="govuk-table__header app-heatmap__name">'
            f'<a class="govuk-link" href="{href}">{_html(member.name)}</a>'
            f'<span class="app-heatmap__roles">{_html(roles)}</span></th>'
        )
        body = "".join(
            _CELLS[cells[c.id]] if c.id in cells else _NOT_REQUIRED for c in report.columns
        )
        rows.append(Markup(f'<tr class="govuk-table__row">{head}{body}</tr>'))  # noqa: S704
    return rows


def _name_cell(href: str, name: str) -> str:
    return (
        f'<th scope="row" class="govuk-table__header"><a class="govuk-link" href="{href}">'
        f"{_html(name)}</a></th>"
    )


#: The heading of a gap list's date column, by the line's attribute (templates/reports/school.html).
_DATED = {"due_on": "Due", "expires_on": "Valid until"}


def gap_rows(lines: list[GapLine], url: Callable[[int], str], dated: str) -> Markup:
    """A gap list's ``<tr>`` rows: the person (linked), the training, the status and the
    date named by ``dated`` ("due_on" or "expires_on")."""
    rows = []
    for line in lines:
        day = getattr(line, dated)
        rows.append(
            f'<tr class="govuk-table__row">{_name_cell(_html(url(line.person_id)), line.name)}'
            f'<td class="govuk-table__cell" data-label="Training">{_html(line.title)}</td>'
            f'<td class="govuk-table__cell" data-key data-label="Status">'
            f"{STATUS_TAGS[line.status]}</td>"
            f'<td class="govuk-table__cell app-nowrap" data-label="{_DATED[dated]}">'
            f"{date_uk(day)}</td></tr>"
        )
    return Markup("".join(rows))  # noqa: S704 - every dynamic part escaped above


def hours_rows(report: SchoolReport) -> Markup:
    """The CPD hours table's ``<tr>`` rows, one per member of staff on the report's page."""
    rows = []
    for member in report.staff:
        roles = ", ".join(ROLE_LABELS.get(r, r) for r in member.roles)
        rows.append(
            f'<tr class="govuk-table__row"><th scope="row" class="govuk-table__header">'
            f"{_html(member.name)}</th>"
            f'<td class="govuk-table__cell">{_html(roles)}</td>'
            f'<td class="govuk-table__cell govuk-table__cell--numeric">'
            f"{hours(report.hours.get(member.person_id, 0))}</td></tr>"
        )
    return Markup("".join(rows))  # noqa: S704 - every dynamic part escaped above


def staff_links(members: list[StaffLine], url: Callable[[int], str]) -> Markup:
    """Names linked to their staff pages, separated by commas."""
    links = (
        f'<a class="govuk-link" href="{_html(url(m.person_id))}">{_html(m.name)}</a>'
        for m in members
    )
    return Markup(", ".join(links))  # noqa: S704 - every dynamic part escaped above


def _band(percent: int) -> str:
    return "high" if percent >= 90 else ("mid" if percent >= 50 else "low")


def matrix_rows(report: TrustReport) -> list[Markup]:
    """The trust's schools x requirements matrix: each figure links to the people behind it
    (the drill-down URL is built once and extended per cell, not ``url_for`` 1,800 times)."""
    f = report.filters
    base = tool_url("reports.people", phase=f.phase, role=f.role)
    joiner = "&" if "?" in base else "?"
    rows = []
    for school in report.shown:
        cells: list[str] = []
        for column in report.columns:
            counts = report.cells.get((school.id, column.id))
            if counts is None or not counts.expected:
                cells.append(_NOT_REQUIRED)
                continue
            percent = counts.percent or 0
            href = f"{base}{joiner}school={school.id}&column={column.id}"
            cells.append(
                f'<td class="app-heat app-cov--{_band(percent)}"><a class="govuk-link" '
                f'href="{_html(href)}">{percent}<span class="govuk-visually-hidden">% of '
                f"{counts.expected}</span></a></td>"
            )
        head = (
            f'<th scope="row" class="govuk-table__header app-heatmap__name">'
            f"{_html(school.name)}</th>"
        )
        row = f'<tr class="govuk-table__row">{head}{"".join(cells)}</tr>'
        rows.append(Markup(row))  # noqa: S704
    return rows
