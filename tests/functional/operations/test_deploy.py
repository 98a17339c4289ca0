"""The deployment examples in ``deploy/`` (issue 18, item 4): the nginx site passes Debian's
``nginx -t``, the systemd units pass ``systemd-analyze verify``, and the environment file names
every setting, holds no secret and loads as a working configuration.

Without nginx or systemd-analyze on the machine the checks that need them are skipped with the
reason (CI installs nginx: ``.ci/run``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cpd_tracker import PROJECT_ROOT
from cpd_tracker.config import load_config
from cpd_tracker.worker_cli import JOBS, env_name, plan
from tests.e2e.servers import make_certs

DEPLOY = PROJECT_ROOT / "deploy"
SITE = DEPLOY / "nginx-cpd-tracker.conf"
LOG_FORMAT = DEPLOY / "nginx-log-format.conf"
ENV_FILE = DEPLOY / "cpd-tracker.env"
UNITS = ("cpd-tracker-web.service", "cpd-tracker-worker.service")
INSTALLED_COMMAND = "/opt/cpd-tracker/.venv/bin/cpd-tracker"
SECRETS = ("SECRET_KEY", "SMTP_PASSWORD", "CPD_TRACKER_METRICS_TOKEN")


def _nginx() -> str:
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/sbin/nginx") if Path(p).exists()), None
    )
    if found is None:
        pytest.skip("nginx is not installed (apt-get install nginx-light); .ci/run installs it")
    return found


def _nginx_test(site_text: str, folder: Path) -> subprocess.CompletedProcess[str]:
    """``nginx -t`` on Debian's nginx with the example site, its certificates and log paths
    pointed at ``folder`` (a test run is not root and has no certificate for the host)."""
    certs = make_certs(folder)
    for directive, path in (("ssl_certificate", certs.cert), ("ssl_certificate_key", certs.key)):
        site_text = re.sub(rf"{directive}\s+\S+;", f"{directive} {path};", site_text)
    site_text = site_text.replace("/var/log/nginx/", f"{folder}/")
    (folder / "site.conf").write_text(site_text)
    temp = "\n".join(
        f"  {kind}_temp_path {folder}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (folder / "nginx.conf").write_text(
        f"pid {folder}/nginx.pid;\n"
        f"error_log {folder}/error.log;\n"
        "events {}\n"
        "http {\n"
        "  include /etc/nginx/mime.types;\n"
        f"  access_log {folder}/access.log;\n"
        f"{temp}\n"
        f"  include {LOG_FORMAT};\n"
        f"  include {folder}/site.conf;\n"
        "}\n"
    )
    return subprocess.run(
        [
            _nginx(),
            "-t",
            "-p",
            str(folder),
            "-e",
            str(folder / "startup-error.log"),
            "-c",
            str(folder / "nginx.conf"),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_the_nginx_site_passes_nginx_t(tmp_path: Path) -> None:
    done = _nginx_test(SITE.read_text(), tmp_path)
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr
    # The check can fail: the same harness refuses a broken site.
    (tmp_path / "broken").mkdir()
    broken = _nginx_test(SITE.read_text().replace("proxy_read_timeout", "proxy_reed"), tmp_path)
    assert broken.returncode != 0


def _directives(text: str, name: str) -> list[str]:
    return re.findall(rf"^\s*{name}\s+([^;]+);", text, flags=re.MULTILINE)


def _bytes(size: str) -> int:
    units = {"k": 1024, "m": 1024 * 1024, "g": 1024**3}
    size = size.strip().lower()
    return int(size[:-1]) * units[size[-1]] if size[-1] in units else int(size)


def test_the_site_lets_through_the_largest_upload_the_tool_takes_and_no_more() -> None:
    from cpd_tracker.imports.routes import UPLOAD_BODY_LIMIT as STAFF_CSV
    from cpd_tracker.records.routes import UPLOAD_REQUEST_LIMIT as CERTIFICATE
    from cpd_tracker.senco.routes import UPLOAD_REQUEST_LIMIT as SENCO_DOCUMENT
    from cpd_tracker.spend.imports import UPLOAD_BODY_LIMIT as SPEND_CSV

    largest = max(STAFF_CSV, CERTIFICATE, SENCO_DOCUMENT, SPEND_CSV)
    [limit] = _directives(SITE.read_text(), "client_max_body_size")
    # Big enough for every upload, and within 1 MB of it: nginx turns away nothing the tool
    # would take, and takes in nothing much bigger than the tool will read.
    assert largest <= _bytes(limit) <= largest + 1024 * 1024


def test_the_site_forwards_what_proxyfix_and_the_logs_read() -> None:
    site = SITE.read_text()
    headers = dict(
        h.split(None, 1) for h in _directives(site, "proxy_set_header") if " " in h.strip()
    )
    assert headers["X-Forwarded-Proto"] == "$scheme"
    assert headers["X-Forwarded-For"] == "$remote_addr"  # one value: CPD_TRACKER_PROXIES=1
    assert headers["X-Forwarded-Host"] == "$host"
    assert headers["X-Request-Id"] == "$request_id"
    assert "listen 443 ssl" in site
    assert "return 301 https://" in site
    # The proxy waits longer than the tool waits for an LMS (HTTP_DEADLINE).
    config = load_config(Path("/nonexistent"), {"TESTING": True, "SECRET_KEY": "x"}, {})
    [read_timeout] = _directives(site, "proxy_read_timeout")
    assert int(read_timeout.rstrip("s")) > config["HTTP_DEADLINE"]
    # Access lines without the query string (launch tokens, invitations).
    log_format = "\n".join(
        line for line in LOG_FORMAT.read_text().splitlines() if not line.startswith("#")
    )
    assert "$uri" in log_format
    assert "$request_uri" not in log_format
    assert "$args" not in log_format
    assert "$http_referer" not in log_format


# ---------------------------------------------------------------- systemd


def test_the_systemd_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian: the systemd package)")
    beside = Path(sys.executable).parent / "cpd-tracker"
    command = beside if beside.exists() else Path(shutil.which("cpd-tracker") or beside)
    if not command.exists():
        pytest.skip("the cpd-tracker command is not installed in this environment")
    for unit in UNITS:
        text = (DEPLOY / unit).read_text()
        assert INSTALLED_COMMAND in text
        # verify checks that ExecStart's program exists: point it at this install's command.
        (tmp_path / unit).write_text(text.replace(INSTALLED_COMMAND, str(command)))
    assert _verify(analyze, tmp_path, UNITS) == []
    # The check can fail: a unit systemd would not understand is reported.
    broken = tmp_path / "broken"
    broken.mkdir()
    web = (tmp_path / UNITS[0]).read_text().replace("KillMode=mixed", "KillMode=gently")
    (broken / UNITS[0]).write_text(web)
    assert _verify(analyze, broken, UNITS[:1])


def _verify(analyze: str, folder: Path, units: tuple[str, ...]) -> list[str]:
    """What ``systemd-analyze verify`` says about the units (nothing when they are right)."""
    done = subprocess.run(
        [analyze, "verify", *(str(folder / unit) for unit in units)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    said = [line for line in (done.stdout + done.stderr).splitlines() if "cpd-tracker" in line]
    return said if said or done.returncode == 0 else [f"exit {done.returncode}"]


def test_the_units_run_serve_and_worker_with_the_environment_file() -> None:
    web = (DEPLOY / "cpd-tracker-web.service").read_text()
    worker = (DEPLOY / "cpd-tracker-worker.service").read_text()
    for text in (web, worker):
        assert "EnvironmentFile=/etc/cpd-tracker/cpd-tracker.env" in text
        assert "User=cpd-tracker" in text
    assert re.search(r"^ExecStart=\S+ serve ", web, flags=re.MULTILINE)
    assert re.search(r"^ExecStart=\S+ worker$", worker, flags=re.MULTILINE)
    # Metrics pooled by the web service's workers only (README: Health, logs and metrics).
    assert "PROMETHEUS_MULTIPROC_DIR=/run/cpd-tracker-metrics" in web
    assert "RuntimeDirectory=cpd-tracker-metrics" in web
    assert "UnsetEnvironment=PROMETHEUS_MULTIPROC_DIR" in worker


# ---------------------------------------------------------------- the environment file


def _env_file() -> dict[str, str]:
    """The template as systemd's EnvironmentFile reads it (quotes around a value dropped)."""
    values = {}
    for line in ENV_FILE.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, _, value = line.partition("=")
        values[name.strip()] = value.strip().removeprefix('"').removesuffix('"')
    return values


def _settings_in_code() -> set[str]:
    source = (PROJECT_ROOT / "cpd_tracker" / "config.py").read_text()
    names = set(
        re.findall(r'"((?:CPD_TRACKER|SMTP)_[A-Z_]+|DATABASE_URL|SECRET_KEY|MAIL_FROM)"', source)
    )
    return names | {env_name(spec.name) for spec in JOBS}


def test_the_environment_file_names_every_setting_and_holds_no_secret() -> None:
    values = _env_file()
    missing = _settings_in_code() - set(values)
    assert not missing, f"not in deploy/cpd-tracker.env: {sorted(missing)}"
    for name in SECRETS:
        assert values[name] == "", name
    assert values["DATABASE_URL"] == ""
    assert values["CPD_TRACKER_PROXIES"] == "1"
    assert values["CPD_TRACKER_OPEN_REGISTRATION"] == "0"
    assert values["CPD_TRACKER_DEMO"] == "0"
    assert values["CPD_TRACKER_OUTBOUND_ALLOW_LOOPBACK"] == "0"
    assert "PROMETHEUS_MULTIPROC_DIR" not in values  # the web unit sets it, for itself only


def test_the_environment_file_once_filled_in_is_a_working_configuration(tmp_path: Path) -> None:
    filled = {
        **_env_file(),
        "DATABASE_URL": "postgresql://cpd@db.internal/cpd_tracker",
        "SECRET_KEY": "a-long-random-value",
    }
    config = load_config(tmp_path, environ=filled)
    assert config["BASE_URL"] == "https://cpd.trust.org.uk"
    assert config["PROXIES"] == 1
    assert config["RATE_LIMITS"] is True
    assert config["SMTP_PORT"] == 587  # empty: the STARTTLS port
    assert config["HSTS_SECONDS"] == 365 * 24 * 3600
    planned = {p.spec.name: p for p in plan(config, filled)}
    assert set(planned) == {spec.name for spec in JOBS}
    assert all(p.schedule is not None for p in planned.values())


def test_the_environment_file_can_be_sourced_by_a_shell() -> None:
    """The README's `set -a; . cpd-tracker.env` for commands run by hand gives the same values."""
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash")
    done = subprocess.run(
        [bash, "-c", f'set -eu; set -a; . "{ENV_FILE}"; set +a; env -0'],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    sourced = dict(item.split("=", 1) for item in done.stdout.split("\0") if "=" in item)
    for name, value in _env_file().items():
        assert sourced.get(name) == value, name
