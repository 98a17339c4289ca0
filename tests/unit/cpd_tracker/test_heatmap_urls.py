"""The heatmap builds each person's link from one URL pattern: only the path's id changes."""

from __future__ import annotations

import pytest

from cpd_tracker.reports import heatmap


def test_a_launch_token_with_the_placeholders_digits_is_left_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def fake_url(endpoint: str, **values: object) -> str:
        assert endpoint == "staff.person"
        return f"/schools/{values['school_id']}/staff/{values['person_id']}?lt=ab987654321cd"

    monkeypatch.setattr(heatmap, "tool_url", fake_url)
    assert heatmap.person_url(3)(42) == "/schools/3/staff/42?lt=ab987654321cd"
