"""The real Moodle of the interop suite and the tool beside it, as processes.

* :class:`MoodleKit` runs ``../shared/moodle/start.sh`` / ``stop.sh`` (stock Moodle 4.5.6 over
  HTTPS, see that folder's README) in the suite's own ``--dir``, ``--db`` and ports, and reads
  Moodle's database with psycopg.
* :class:`ToolServer` is the tool in production mode: ``cpd-tracker serve`` (gunicorn) on a
  fresh PostgreSQL database, on plain http on loopback, behind start.sh's TLS front
  (``--proxy-tool``) on ``https://localhost:PORT`` while Moodle is on ``https://127.0.0.1:PORT``:
  two sites, so the tool is third party in Moodle's frame.
* :class:`StandInFront` takes over the tool's TLS front while Moodle's nginx (which serves both)
  is stopped, so the tool stays reachable when Moodle is down.

Nothing here asserts; the tests in this folder do.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg
import requests
from psycopg.rows import dict_row
from sqlalchemy import Engine, create_engine

from cpd_tracker.config import normalise_database_url

REPO = Path(__file__).resolve().parents[3]
#: In CI the repository is a fresh clone with ``shared/`` beside it.
KIT = Path(os.environ.get("CPD_MOODLE_KIT") or REPO.parent / "shared" / "moodle")
ARTIFACTS = REPO / "artifacts" / "interop" / "moodle"

PG = {
    "host": os.environ.get("PGHOST", "127.0.0.1"),
    "port": os.environ.get("PGPORT", "5432"),
    "user": os.environ.get("PGUSER", "postgres"),
    "password": os.environ.get("PGPASSWORD", ""),
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_dsn(database: str) -> str:
    parts = [f"host={PG['host']}", f"port={PG['port']}", f"user={PG['user']}"]
    if PG["password"]:
        parts.append(f"password={PG['password']}")
    return " ".join([*parts, f"dbname={database}"])


def postgres_problem() -> str | None:
    try:
        with psycopg.connect(_pg_dsn("postgres"), connect_timeout=5):
            return None
    except psycopg.Error as exc:
        return f"PostgreSQL is not reachable as {PG['user']}@{PG['host']}:{PG['port']}: {exc}"


def kit_problem() -> str | None:
    """Why the real-Moodle suite cannot run here, or None."""
    if not (KIT / "start.sh").is_file():
        return f"the Moodle kit is missing ({KIT / 'start.sh'} not found)"
    if os.geteuid() != 0:
        missing = [p for p in ("php8.2", "php-fpm8.2", "nginx") if not _which(p)]
        if missing:
            return (
                f"{', '.join(missing)} not installed and not root: start.sh cannot install "
                "PHP and nginx (run as root, or install them)"
            )
    return postgres_problem()


def _which(program: str) -> str | None:
    return shutil.which(program, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")


# ------------------------------------------------------------------ Moodle


@dataclass
class MoodleKit:
    """One Moodle site in its own work dir, started with ``--course`` and a tool front."""

    dir: Path
    db: str
    port: int
    tool_port: int
    proxy_tool: str
    log: Path
    env: dict[str, str] = field(default_factory=dict)

    def start(self, *, fresh: bool = False) -> dict[str, str]:
        args = [
            "bash",
            str(KIT / "start.sh"),
            "--dir",
            str(self.dir),
            "--db",
            self.db,
            "--port",
            str(self.port),
            "--course",
            "--proxy-tool",
            self.proxy_tool,
            "--tool-port",
            str(self.tool_port),
        ]
        if fresh:
            args.append("--fresh")
        with self.log.open("a") as log:
            log.write(f"\n$ {' '.join(args)}\n")
            log.flush()
            done = subprocess.run(
                args, stdout=subprocess.PIPE, stderr=log, text=True, timeout=900, check=False
            )
        if done.returncode != 0:
            tail = "\n".join(self.log.read_text().splitlines()[-25:])
            raise RuntimeError(f"start.sh failed ({done.returncode}):\n{tail}")
        self.env = dict(re.findall(r"^export (\w+)=['\"]?(.*?)['\"]?$", done.stdout, re.M))
        return self.env

    def stop(self) -> None:
        with self.log.open("a") as log:
            subprocess.run(
                ["bash", str(KIT / "stop.sh"), "--dir", str(self.dir)],
                stdout=log,
                stderr=log,
                timeout=120,
                check=True,
            )

    @property
    def url(self) -> str:
        return self.env["MOODLE_URL"]

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with (
            psycopg.connect(_pg_dsn(self.db), autocommit=True) as conn,
            conn.cursor(row_factory=dict_row) as cur,
        ):
            cur.execute(sql, params)  # type: ignore[arg-type]
            return list(cur.fetchall())

    def php(self, script: str, *args: str) -> str:
        root = self.env["MOODLE_ROOT"]
        done = subprocess.run(
            ["php8.2", f"{root}/{script}", *args],
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )
        return done.stdout


# ------------------------------------------------------------------ the tool


@dataclass
class ToolServer:
    """``cpd-tracker serve`` on its own PostgreSQL database, and its command line."""

    port: int
    base_url: str
    ca_bundle: str
    log: Path
    database: str = field(default_factory=lambda: f"cpd_interop_{os.getpid()}")
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    process: subprocess.Popen[bytes] | None = None
    _engine: Engine | None = None

    def engine(self) -> Engine:
        """The tool's database, for the tests to read what the tool did."""
        if self._engine is None:
            self._engine = create_engine(normalise_database_url(self.database_url))
        return self._engine

    @property
    def database_url(self) -> str:
        auth = PG["user"] + (f":{PG['password']}" if PG["password"] else "")
        return f"postgresql://{auth}@{PG['host']}:{PG['port']}/{self.database}"

    def environ(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DATABASE_URL=self.database_url,
            SECRET_KEY=self.secret_key,
            CPD_TRACKER_PROXIES="1",
            CPD_TRACKER_BASE_URL=self.base_url,
            # Registration by invitation only: the suite registers with an `org invite` link.
            CPD_TRACKER_OPEN_REGISTRATION="0",
            # Moodle is on loopback here; in production the tool only calls public addresses.
            CPD_TRACKER_OUTBOUND_ALLOW_LOOPBACK="1",
            REQUESTS_CA_BUNDLE=self.ca_bundle,
            SSL_CERT_FILE=self.ca_bundle,
        )
        for name in ("CPD_TRACKER_DEMO", "TEST_DATABASE_URL", "FLASK_APP"):
            env.pop(name, None)
        return env

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [_cpd_tracker(), *args],
            env=self.environ(),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        with self.log.open("a") as log:
            log.write(f"\n$ cpd-tracker {' '.join(args)}  -> {done.returncode}\n")
            log.write(done.stdout + done.stderr)
        if check and done.returncode != 0:
            raise RuntimeError(
                f"cpd-tracker {' '.join(args)} failed ({done.returncode}):\n"
                f"{done.stdout}\n{done.stderr}"
            )
        return done

    def create_database(self) -> None:
        with psycopg.connect(_pg_dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.database}"')
            conn.execute(f'CREATE DATABASE "{self.database}"')

    def drop_database(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
        with psycopg.connect(_pg_dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')

    def serve(self) -> None:
        out = self.log.open("ab")
        self.process = subprocess.Popen(
            [
                _cpd_tracker(),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                "2",
            ],
            env=self.environ(),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        out.close()
        for _ in range(240):
            if self.process.poll() is not None:
                code = self.process.returncode
                raise RuntimeError(f"cpd-tracker serve exited ({code}); see {self.log}")
            try:
                if requests.get(f"http://127.0.0.1:{self.port}/lti/config", timeout=30).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"cpd-tracker serve did not answer on port {self.port}; {self.log}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        # gunicorn's arbiter and its workers are in the session we started.
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)


def _cpd_tracker() -> str:
    beside = Path(sys.executable).parent / "cpd-tracker"
    return str(beside) if beside.exists() else (shutil.which("cpd-tracker") or "cpd-tracker")


# ------------------------------------------------------------------ stand-in TLS front

_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "content-length",
}


class StandInFront:
    """``https://localhost:PORT`` -> the tool's plain http port, with the ``X-Forwarded-*``
    headers start.sh's nginx front sends, on the kit's own certificate. Used only while the
    kit's nginx (Moodle and the tool front in one) is stopped."""

    def __init__(self, port: int, upstream_port: int, cert: Path, key: Path) -> None:
        self.port = port
        upstream = upstream_port

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                headers.update(
                    {
                        "X-Forwarded-For": self.client_address[0],
                        "X-Forwarded-Proto": "https",
                        "X-Forwarded-Host": self.headers.get("Host", f"localhost:{port}"),
                        "X-Forwarded-Port": str(port),
                    }
                )
                conn = http.client.HTTPConnection("127.0.0.1", upstream, timeout=120)
                try:
                    conn.request(self.command, self.path, body=body, headers=headers)
                    answer = conn.getresponse()
                    data = answer.read()
                    self.send_response(answer.status, answer.reason)
                    for name, value in answer.getheaders():
                        if name.lower() not in _HOP_BY_HOP:
                            self.send_header(name, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(data)
                finally:
                    conn.close()

            do_GET = do_POST = do_HEAD = _forward

            def log_message(self, fmt: str, *args: Any) -> None:
                return

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> StandInFront:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
