"""The server-rendered SVG line chart: well-formed, named and described for assistive
technology, hostile text escaped, lines told apart without colour, labels never overlapping."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET

import pytest

from cpd_tracker.charts import (
    EMPHASIS,
    LABEL_GAP,
    STYLES,
    Line,
    chart_key,
    describe,
    drawable,
    line_chart,
)

SVG = "{http://www.w3.org/2000/svg}"
MONTHS = [("Jan", "January 2026"), ("Feb", "February 2026"), ("Mar", "March 2026")]
HOSTILE = '<script>alert("x")</script> & "Co" </svg><b>'


def parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))  # noqa: S314 - our own output, parsed to check it


def chart(lines: list[Line], **options: object) -> ET.Element:
    return parse(
        line_chart(chart_id="c1", title="Staff trained", x_labels=MONTHS, lines=lines, **options)  # type: ignore[arg-type]
    )


def contrast(colour: str, background: str = "#ffffff") -> float:
    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(colour), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_chart_is_an_image_named_by_its_title_and_description() -> None:
    root = chart([Line("Autism awareness", [25, 50, 75])])
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("viewBox") == "0 0 960 380"
    assert root.get("width") == "100%"
    ids = root.get("aria-labelledby", "").split()
    assert ids == ["c1-title", "c1-desc"]
    title, desc = (root.find(f".//*[@id='{i}']") for i in ids)
    assert title is not None
    assert title.tag == f"{SVG}title"
    assert title.text == "Staff trained"
    assert desc is not None
    assert desc.tag == f"{SVG}desc"
    assert desc.text == (
        "Line chart of staff trained (%) by month, January 2026 to March 2026. "
        "Autism awareness: 25% in January 2026, 75% in March 2026."
    )


def test_axis_labels_and_title_are_drawn() -> None:
    texts = ["".join(t.itertext()) for t in chart([Line("A", [0, 50, 100])]).iter(f"{SVG}text")]
    assert "Staff trained" in texts
    assert {"0%", "25%", "50%", "75%", "100%"} <= set(texts)
    assert "Staff trained (%)" in texts
    assert "Month" in texts
    assert "Jan2026" in texts  # the first month carries its year
    assert "Feb" in texts


def test_hostile_text_is_escaped_everywhere() -> None:
    markup = line_chart(
        chart_id='x" onload="alert(1)',
        title=HOSTILE,
        x_labels=[(HOSTILE, HOSTILE)],
        lines=[Line(HOSTILE, [50])],
        shade_until=0,
        shade_label=HOSTILE,
    )
    assert "<script" not in markup
    assert "<b>" not in markup
    assert 'onload="' not in markup
    root = parse(markup)  # still well-formed XML
    assert root.find(f"{SVG}title") is not None
    assert root.find(f"{SVG}title").text == HOSTILE  # type: ignore[union-attr]
    assert root.get("aria-labelledby", "").startswith('x" onload="alert(1)-title')


def test_every_colour_reaches_aa_contrast_for_text() -> None:
    for colour, _, _ in (*STYLES, EMPHASIS):
        assert contrast(colour) >= 4.5, colour
        # Also over the shade behind reconstructed months.
        assert contrast(colour, "#f3f2f1") >= 4.5, colour


def test_lines_differ_in_colour_dash_and_marker() -> None:
    styles = [*STYLES, EMPHASIS]
    assert len({c for c, _, _ in styles}) == len(styles)
    assert len({m for _, _, m in styles}) == len(styles)
    # Consecutive lines never share a dash pattern, so neighbours differ without colour.
    dashes = [d for _, d, _ in STYLES]
    assert all(a != b for a, b in itertools.pairwise(dashes))


def test_each_line_is_marked_at_its_end_with_its_number_and_latest_figure() -> None:
    root = chart([Line("All training", [50, 60, 70], emphasis=True), Line("Autism", [10, 20, 30])])
    labels = ["".join(t.itertext()) for t in root.iter(f"{SVG}text") if t.get("x") == str(716 + 34)]
    assert sorted(labels) == ["1: 70%", "2: 30%"]


def test_direct_labels_never_overlap() -> None:
    lines = [Line(f"Training {i}", [80, 80, 80]) for i in range(8)]
    root = chart(lines)
    ys = sorted(
        float(t.get("y", "0")) for t in root.iter(f"{SVG}text") if t.get("x") == str(716 + 34)
    )
    assert len(ys) == 8
    assert all(b - a >= LABEL_GAP - 0.01 for a, b in itertools.pairwise(ys))


def test_the_key_gives_every_line_its_number_marker_full_name_and_latest_figure() -> None:
    name = "Supporting pupils with speech, language and communication needs"
    lines = [Line("All training", [50, 60, 70], emphasis=True), Line(name, [1, 2, None])]
    key = str(chart_key(lines))
    assert key.count('<li class="app-chart-key__item">') == 2
    assert "<strong>1. All training: 70%</strong>" in key
    assert f"2. {name}: 2%" in key  # never cut short
    # The same marker as at the line's end: the first plain style's square.
    assert "<rect" in key.split("</li>")[1]
    markup = str(line_chart(chart_id="c", title="t", x_labels=MONTHS, lines=lines))
    assert "…" not in markup
    assert f"{name}: 1% in January 2026, 2% in February 2026." in markup


def test_the_key_escapes_labels_and_is_empty_without_lines() -> None:
    key = str(chart_key([Line(HOSTILE, [1, 2, 3])]))
    assert "<script>" not in key
    assert "&lt;script&gt;" in key
    assert str(chart_key([])) == ""


def test_gaps_break_the_line_and_a_lone_point_is_a_marker() -> None:
    root = chart([Line("Gappy", [40, None, 60]), Line("Lone", [None, None, 10])])
    groups = root.findall(f"{SVG}g")
    assert len(groups) == 2
    assert groups[0].findall(f"{SVG}polyline") == []  # two lone points, no segment
    assert len(list(groups[0])) == 2
    assert groups[1].findall(f"{SVG}polyline") == []
    root = chart([Line("Whole", [40, 50, 60])])
    [polyline] = root.iter(f"{SVG}polyline")
    assert len(polyline.get("points", "").split()) == 3


def test_the_emphasised_line_is_drawn_last_and_thicker() -> None:
    root = chart([Line("Overall", [50, 50, 50], emphasis=True), Line("Other", [50, 50, 50])])
    widths = [p.get("stroke-width") for p in root.iter(f"{SVG}polyline")]
    assert widths == ["2.5", "4"]


def test_reconstructed_months_are_shaded_and_labelled() -> None:
    markup = str(
        line_chart(
            chart_id="c",
            title="t",
            x_labels=MONTHS,
            lines=[Line("A", [1, 2, 3])],
            shade_until=1,
            shade_label="Reconstructed from records",
        )
    )
    assert 'fill="#f3f2f1"' in markup
    assert "Reconstructed from records" in markup


def test_too_many_lines_keep_one_emphasis_and_one_per_style() -> None:
    lines = [Line("Overall", [1, 1, 1], emphasis=True)] + [
        Line(f"School {i}", [1, 1, 1]) for i in range(12)
    ]
    kept = drawable(lines)
    assert len(kept) == 1 + len(STYLES)
    assert kept[0].label == "Overall"
    markup = str(line_chart(chart_id="c", title="t", x_labels=MONTHS, lines=lines))
    assert "School 8" not in markup
    assert len(re.findall(r"<g class=\"app-chart__line\"", markup)) == 1 + len(STYLES)


def test_values_must_match_the_months() -> None:
    with pytest.raises(ValueError, match="one value per x label"):
        line_chart(chart_id="c", title="t", x_labels=MONTHS, lines=[Line("A", [1, 2])])


def test_describe_without_figures() -> None:
    assert describe([], []) == "No figures yet."
    assert describe(MONTHS, [Line("A", [None, None, None])]).endswith("A: no figures.")
    assert describe(MONTHS[:1], [Line("A", [40])]).endswith("A: 40% in January 2026.")
