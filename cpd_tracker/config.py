"""Configuration from environment variables, with safe defaults for the embedded mode.

``DATABASE_URL``          SQLAlchemy URL; a plain ``postgresql://`` URL uses psycopg 3.
                          Default: SQLite in the instance folder.
``SECRET_KEY``            Signs sessions, launch tokens and CSRF tokens, encrypts the tool's
                          private keys at rest, and derives calendar feed addresses. Required
                          unless demo or testing mode, where it is generated once and kept in
                          the instance folder.
``CPD_TRACKER_BASE_URL``  The tool's public URL (``https://cpd.example.org``); when unset, taken
                          from each request.
``CPD_TRACKER_PROXIES``   How many reverse proxies sit in front (sets ProxyFix); default 0.
``CPD_TRACKER_DEMO``      ``1`` turns demo mode on (the built-in demo LMS).
``CPD_TRACKER_OPEN_REGISTRATION``  ``0`` requires an invitation link for Dynamic Registration.
``SMTP_HOST``             The mail server reminders go through. Unset: in demo mode reminders are
                          printed to the console; otherwise ``reminders send`` refuses to run.
``SMTP_PORT``             Default 465 with ``SMTP_SSL``, 587 with STARTTLS, else 25.
``SMTP_USERNAME``, ``SMTP_PASSWORD``  Log in with these when set.
``SMTP_STARTTLS``         Upgrade the connection with STARTTLS; default on unless ``SMTP_SSL``.
``SMTP_SSL``              Connect with TLS from the start (port 465); default off.
``SMTP_TIMEOUT``          Seconds to wait for the mail server; default 10.
``MAIL_FROM``             The From address, e.g. ``SEND CPD Tracker <cpd@trust.org.uk>``.
``CPD_TRACKER_LOG_FORMAT``  ``text`` (default) or ``json``: one JSON object per log line
                          (``cpd_tracker/logging_setup.py``).
``CPD_TRACKER_METRICS_TOKEN``  Serves Prometheus metrics at ``/metrics`` to requests carrying
                          ``Authorization: Bearer <token>``; unset, ``/metrics`` is a 404.
``CPD_TRACKER_OUTBOUND_ALLOW_LOOPBACK``  ``1`` lets the tool fetch from loopback addresses
                          (127.0.0.1, ::1) outside demo and test mode: for a local interop
                          suite or benchmark only, never a public deployment (it reopens the
                          tool's own host to anyone who can start a registration).
``CPD_TRACKER_RETAIN_*``  How long ``cpd-tracker retention run`` keeps each kind of data (see
                          ``RETENTION`` below and ``services/retention.py``): whole days, or
                          years for leavers; each at least 1.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cpd_tracker.logging_setup import log_format


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


def _smtp_settings(env: Mapping[str, str], base_url: str | None) -> dict[str, Any]:
    """The mail server for reminders. TLS is on by default: a relay without it is opted into
    with ``SMTP_STARTTLS=0``, never fallen back to."""
    use_ssl = _flag(env.get("SMTP_SSL"), False)
    starttls = _flag(env.get("SMTP_STARTTLS"), not use_ssl)
    if use_ssl and starttls:
        raise ConfigError(
            "SMTP_SSL and SMTP_STARTTLS are both on: use SMTP_SSL=1 for port 465 (TLS from the "
            "start) or SMTP_STARTTLS=1 for port 587, not both."
        )
    try:
        port = int(env.get("SMTP_PORT") or (465 if use_ssl else 587 if starttls else 25))
        timeout = float(env.get("SMTP_TIMEOUT") or 10)
    except ValueError as exc:
        raise ConfigError(f"SMTP_PORT and SMTP_TIMEOUT must be numbers ({exc}).") from exc
    host = urlsplit(base_url).hostname if base_url else None
    return {
        "SMTP_HOST": (env.get("SMTP_HOST") or "").strip() or None,
        "SMTP_PORT": port,
        "SMTP_USERNAME": env.get("SMTP_USERNAME") or None,
        "SMTP_PASSWORD": env.get("SMTP_PASSWORD") or None,
        "SMTP_STARTTLS": starttls,
        "SMTP_SSL": use_ssl,
        "SMTP_TIMEOUT": timeout,
        "MAIL_FROM": env.get("MAIL_FROM") or f"SEND CPD Tracker <no-reply@{host or 'localhost'}>",
    }


def _hsts_seconds(env: Mapping[str, str], base_url: str | None) -> int:
    raw = env.get("CPD_TRACKER_HSTS_SECONDS")
    if raw is None or raw.strip() == "":
        return 365 * 24 * 3600 if (base_url or "").startswith("https://") else 0
    if not raw.strip().isascii() or not raw.strip().isdigit():
        raise ConfigError(f"CPD_TRACKER_HSTS_SECONDS must be a whole number of seconds ({raw!r}).")
    return int(raw)


def _session_lifetime(env: Mapping[str, str]) -> dt.timedelta:
    raw = env.get("CPD_TRACKER_SESSION_HOURS") or "10"
    try:
        hours = float(raw)
    except ValueError as exc:
        message = f"CPD_TRACKER_SESSION_HOURS must be a number of hours ({raw!r})."
        raise ConfigError(message) from exc
    if not 0.25 <= hours <= 24:
        raise ConfigError("CPD_TRACKER_SESSION_HOURS must be between 0.25 and 24.")
    return dt.timedelta(hours=hours)


#: ``cpd-tracker retention run``'s periods: config key -> (environment variable, default).
#: Days, except leavers (years after their leaving date). README "Data protection" lists them.
RETENTION: dict[str, tuple[str, int]] = {
    "RETAIN_IMPORTS_DAYS": ("CPD_TRACKER_RETAIN_IMPORTS_DAYS", 30),
    "RETAIN_UNAPPLIED_IMPORTS_DAYS": ("CPD_TRACKER_RETAIN_UNAPPLIED_IMPORTS_DAYS", 7),
    "RETAIN_REJECTED_EVIDENCE_DAYS": ("CPD_TRACKER_RETAIN_REJECTED_EVIDENCE_DAYS", 90),
    "RETAIN_EMAIL_DAYS": ("CPD_TRACKER_RETAIN_EMAIL_DAYS", 90),
    "RETAIN_LOGINS_DAYS": ("CPD_TRACKER_RETAIN_LOGINS_DAYS", 1),
    "RETAIN_OUTBOX_JOBS_DAYS": ("CPD_TRACKER_RETAIN_OUTBOX_JOBS_DAYS", 30),
    "RETAIN_FORM_SUBMISSIONS_DAYS": ("CPD_TRACKER_RETAIN_FORM_SUBMISSIONS_DAYS", 7),
    "RETAIN_ACCESS_LOG_DAYS": ("CPD_TRACKER_RETAIN_ACCESS_LOG_DAYS", 730),
    "RETAIN_LEAVERS_YEARS": ("CPD_TRACKER_RETAIN_LEAVERS_YEARS", 6),
}


def _retention(env: Mapping[str, str]) -> dict[str, int]:
    """The retention periods: whole numbers from 1 (a 0 would remove data the moment it is
    made: an erasure of every leaver, say, on a typo)."""
    periods: dict[str, int] = {}
    for key, (variable, default) in RETENTION.items():
        raw = (env.get(variable) or "").strip()
        if not raw:
            periods[key] = default
            continue
        unit = "years" if key.endswith("_YEARS") else "days"
        if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= 36500:
            raise ConfigError(
                f"{variable} must be a whole number of {unit} from 1 to 36500 ({raw!r})."
            )
        periods[key] = int(raw)
    return periods


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

    base_url = (env.get("CPD_TRACKER_BASE_URL") or "").rstrip("/") or None
    config: dict[str, Any] = {
        "DATABASE_URL": normalise_database_url(str(database_url)),
        "SECRET_KEY": secret,
        "BASE_URL": base_url,
        "PROXIES": int(env.get("CPD_TRACKER_PROXIES") or 0),
        "DEMO_MODE": demo,
        # Anyone who can reach the tool could otherwise create organisations: off unless the
        # operator turns it on knowingly.
        "OPEN_REGISTRATION": _flag(env.get("CPD_TRACKER_OPEN_REGISTRATION"), False),
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
        # A session ends a working day after its launch, cookie and launch token alike
        # (Flask's default cookie lived 31 days); CPD_TRACKER_SESSION_HOURS changes it.
        "SESSION_LIFETIME": _session_lifetime(env),
        # Strict-Transport-Security on https responses: a year by default when the tool's
        # public URL is https; CPD_TRACKER_HSTS_SECONDS=0 leaves it to the TLS proxy.
        "HSTS_SECONDS": _hsts_seconds(env, base_url),
        # Limits on login initiation, launch and registration (services/rate_limits.py).
        # The test suite switches them off where it launches in bulk from one address.
        "RATE_LIMITS": _flag(env.get("CPD_TRACKER_RATE_LIMITS"), not testing),
        "PERMANENT_SESSION_LIFETIME": _session_lifetime(env),
        "LTI_LEEWAY_SECONDS": 60,
        "HTTP_TIMEOUT": (3.05, 10.0),
        # Outbound requests (lti.outbound): one deadline for a whole request, a cap on what is
        # read, and how many may wait on LMSs at once in one process.
        "HTTP_DEADLINE": 15.0,
        "HTTP_MAX_BYTES": 10 * 1024 * 1024,
        "HTTP_MAX_IN_FLIGHT": 2,
        "OUTBOUND_ALLOW_LOOPBACK": _flag(env.get("CPD_TRACKER_OUTBOUND_ALLOW_LOOPBACK"), False),
        "TESTING": testing,
        "LOG_FORMAT": log_format(env),
        "METRICS_TOKEN": (env.get("CPD_TRACKER_METRICS_TOKEN") or "").strip() or None,
        **_smtp_settings(env, base_url),
        **_retention(env),
    }
    config.update(overrides)
    if "DATABASE_URL" in overrides:
        config["DATABASE_URL"] = normalise_database_url(str(overrides["DATABASE_URL"]))
    return config
