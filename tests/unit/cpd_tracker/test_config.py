"""Configuration from the environment, with safe defaults for the embedded mode."""

from __future__ import annotations

from pathlib import Path

import pytest

from cpd_tracker.config import ConfigError, load_config, normalise_database_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_plain_postgres_urls_use_psycopg3(url: str, expected: str) -> None:
    assert normalise_database_url(url) == expected


def test_secret_key_is_required_outside_demo_and_tests(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        load_config(tmp_path, environ={})


def test_demo_generates_a_secret_once_and_keeps_it(tmp_path: Path) -> None:
    first = load_config(tmp_path, {"DEMO_MODE": True}, environ={})
    second = load_config(tmp_path, environ={})
    assert first["SECRET_KEY"] == second["SECRET_KEY"]
    assert len(first["SECRET_KEY"]) >= 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_embedded_default_is_sqlite_in_the_instance_folder(tmp_path: Path) -> None:
    config = load_config(tmp_path, environ={"SECRET_KEY": "s"})
    assert config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'cpd_tracker.sqlite3'}"
    assert config["BASE_URL"] is None
    assert config["PROXIES"] == 0
    assert config["DEMO_MODE"] is False


def test_environment_settings(tmp_path: Path) -> None:
    config = load_config(
        tmp_path,
        environ={
            "SECRET_KEY": "s",
            "DATABASE_URL": "postgresql://app@db/cpd",
            "CPD_TRACKER_BASE_URL": "https://cpd.trust.org.uk/",
            "CPD_TRACKER_PROXIES": "1",
            "CPD_TRACKER_DEMO": "yes",
            "CPD_TRACKER_OPEN_REGISTRATION": "0",
        },
    )
    assert config["DATABASE_URL"] == "postgresql+psycopg://app@db/cpd"
    assert config["BASE_URL"] == "https://cpd.trust.org.uk"
    assert config["PROXIES"] == 1
    assert config["DEMO_MODE"] is True
    assert config["OPEN_REGISTRATION"] is False


def test_iframe_cookie_settings(tmp_path: Path) -> None:
    config = load_config(tmp_path, environ={"SECRET_KEY": "s"})
    assert config["SESSION_COOKIE_SAMESITE"] == "None"
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_PARTITIONED"] is True
