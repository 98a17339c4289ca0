"""lti.context: the frozen LaunchContext."""

from __future__ import annotations

import dataclasses

import pytest

from lti.context import LaunchContext
from lti.roles import Roles


def minimal(**kw: object) -> LaunchContext:
    fields: dict[str, object] = {
        "issuer": "https://lms.example",
        "client_id": "c",
        "deployment_id": "1",
        "message_type": "LtiResourceLinkRequest",
        "sub": "u1",
        "roles": Roles(),
        "target_link_uri": "https://tool.example.org/launch",
        **kw,
    }
    return LaunchContext(**fields)  # type: ignore[arg-type]


def test_defaults_are_empty_and_read_only() -> None:
    context = minimal()
    assert dict(context.custom) == {}
    assert dict(context.claims) == {}
    with pytest.raises(TypeError):
        context.custom["x"] = 1  # type: ignore[index]


def test_the_context_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        minimal().sub = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("fields", "shown"),
    [
        ({"name": "Ada Lovelace", "given_name": "A", "family_name": "L"}, "Ada Lovelace"),
        ({"given_name": "Ada", "family_name": "Lovelace"}, "Ada Lovelace"),
        ({"family_name": "Lovelace"}, "Lovelace"),
        ({}, None),
    ],
)
def test_display_name(fields: dict[str, str], shown: str | None) -> None:
    assert minimal(**fields).display_name == shown


def test_anonymous() -> None:
    assert minimal(sub=None).is_anonymous
    assert not minimal().is_anonymous
