"""Configuration from environment variables, with safe defaults for the embedded mode.

``DATABASE_URL``          SQLAlchemy URL; a plain ``postgresql://`` URL uses psycopg 3.
                          Default: SQLite in the instance folder.
``SECRET_KEY``            Signs sessions, launch tokens and CSRF tokens, and encrypts the tool's
                          private keys at rest. Required unless demo or testing mode, where it is
                          generated once and kept in the instance folder.
``CPD_TRACKER_BASE_URL``  The tool's public URL (``https://cpd.example.org``); when unset, taken
                          from each request.
``CPD_TRACKER_PROXIES``   How many reverse proxies sit in front (sets ProxyFix); default 0.
``CPD_TRACKER_DEMO``      ``1`` turns demo mode on (the built-in demo LMS).
``CPD_TRACKER_OPEN_REGISTRATION``  ``0`` requires an invitation link for Dynamic Registration.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any


class ConfigError(RuntimeError):
    """The environment does not describe a runnable app; the message says what to set."""


def normalise_database_url(url: str) -> str:
    """Make a plain ``postgresql://`` URL use psycopg 3 (SQLAlchemy's default is psycopg2)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key(instance_path: Path, generate: bool) -> str:
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    if not generate:
        raise ConfigError(
            "SECRET_KEY is not set. Set it to a long random value, for example the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`."
        )
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def load_config(
    instance_path: Path,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Build the Flask config: defaults, then the environment, then ``overrides``."""
    env = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    testing = bool(overrides.get("TESTING", False))
    demo = bool(overrides.get("DEMO_MODE", _flag(env.get("CPD_TRACKER_DEMO"), False)))

    database_url = overrides.get("DATABASE_URL") or env.get("DATABASE_URL")
    if not database_url:
        instance_path.mkdir(parents=True, exist_ok=True)
        database_url = f"sqlite:///{instance_path / 'cpd_tracker.sqlite3'}"

    secret = overrides.get("SECRET_KEY") or env.get("SECRET_KEY")
    if not secret:
        secret = _secret_key(instance_path, generate=demo or testing)

    config: dict[str, Any] = {
        "DATABASE_URL": normalise_database_url(str(database_url)),
        "SECRET_KEY": secret,
        "BASE_URL": (env.get("CPD_TRACKER_BASE_URL") or "").rstrip("/") or None,
        "PROXIES": int(env.get("CPD_TRACKER_PROXIES") or 0),
        "DEMO_MODE": demo,
        "OPEN_REGISTRATION": _flag(env.get("CPD_TRACKER_OPEN_REGISTRATION"), True),
        # Inside an LMS iframe the session cookie is third party: it must be SameSite=None;
        # Secure; Partitioned (CHIPS) or browsers drop it. Chrome and Firefox accept Secure
        # cookies on http://localhost and 127.0.0.1, so the demo works without TLS.
        "SESSION_COOKIE_SAMESITE": "None",
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_PARTITIONED": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_NAME": "cpd_session",
        "REMEMBER_COOKIE_SAMESITE": "None",
        "REMEMBER_COOKIE_SECURE": True,
        # A launch body is an id_token and a state: anything bigger is refused before parsing.
        "MAX_CONTENT_LENGTH": 512 * 1024,
        "MAX_FORM_MEMORY_SIZE": 512 * 1024,
        "LAUNCH_TOKEN_MAX_AGE": 60 * 60,
        "LTI_LEEWAY_SECONDS": 60,
        "HTTP_TIMEOUT": (3.05, 10.0),
        "TESTING": testing,
    }
    config.update(overrides)
    if "DATABASE_URL" in overrides:
        config["DATABASE_URL"] = normalise_database_url(str(overrides["DATABASE_URL"]))
    return config
