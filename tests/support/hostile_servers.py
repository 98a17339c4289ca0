"""Loopback HTTP(S) servers that misbehave on purpose, for the outbound guard's tests and benchmark.

    with HostileServer(never) as server:          # accepts, reads the request, never answers
        client.get(server.url)
    HostileServer(drip_body(0.05))                # headers, then one byte of body at a time
    HostileServer(huge(50 * MB, declared=False))  # 50 MB without a Content-Length
    HostileServer(answer(302, headers={"Location": "http://10.0.0.1/"}))
    HostileServer([answer(200, keep_alive=True), never])  # one behaviour per request, in order

Each connection is served on its own thread; ``close()`` (or leaving the ``with``) stops every
one of them, so a test never leaves a thread or socket behind. Only 127.0.0.1 (or ``::1``).
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable, Sequence
from types import TracebackType

MB = 1024 * 1024

#: One request's handling: write to the connection (the request has been read); return True
#: to keep the connection open for another request.
Behaviour = Callable[[socket.socket, threading.Event], bool]


def answer(
    status: int = 200,
    body: bytes | str = b"",
    *,
    headers: dict[str, str] | None = None,
    keep_alive: bool = False,
) -> Behaviour:
    payload = body.encode() if isinstance(body, str) else body

    def run(conn: socket.socket, _stopping: threading.Event) -> bool:
        lines = [f"HTTP/1.1 {status} Answer", f"Content-Length: {len(payload)}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        lines.append("Connection: " + ("keep-alive" if keep_alive else "close"))
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + payload)
        return keep_alive

    return run


def never(_conn: socket.socket, stopping: threading.Event) -> bool:
    """Hold the connection open and say nothing, until the server stops."""
    stopping.wait()
    return False


def drip_body(interval: float) -> Behaviour:
    """Valid headers promising a large body, then one byte every ``interval`` seconds."""

    def run(conn: socket.socket, stopping: threading.Event) -> bool:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n")
        while not stopping.wait(interval):
            conn.sendall(b"x")
        return False

    return run


def drip_headers(interval: float) -> Behaviour:
    """A status line, then one endless header line, a byte every ``interval`` seconds."""

    def run(conn: socket.socket, stopping: threading.Event) -> bool:
        conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        while not stopping.wait(interval):
            conn.sendall(b"x")
        return False

    return run


def huge(size: int, *, declared: bool) -> Behaviour:
    """``size`` bytes of body, with or without a Content-Length saying so."""

    def run(conn: socket.socket, stopping: threading.Event) -> bool:
        head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        head += f"Content-Length: {size}\r\n" if declared else "Connection: close\r\n"
        conn.sendall((head + "\r\n").encode())
        chunk, sent = b"x" * 65536, 0
        while sent < size and not stopping.is_set():
            conn.sendall(chunk)
            sent += len(chunk)
        return False

    return run


class HostileServer:
    def __init__(
        self,
        behaviour: Behaviour | Sequence[Behaviour],
        *,
        tls: ssl.SSLContext | None = None,
        ipv6: bool = False,
    ) -> None:
        self._behaviours = [behaviour] if callable(behaviour) else list(behaviour)
        self._tls = tls
        self.host = "::1" if ipv6 else "127.0.0.1"
        self._listener = socket.socket(socket.AF_INET6 if ipv6 else socket.AF_INET)
        self._listener.bind((self.host, 0))
        self._listener.listen(64)
        self._listener.settimeout(0.05)
        self.port: int = self._listener.getsockname()[1]
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        #: Connections accepted, and the raw request heads read (in order).
        self.connections = 0
        self.requests: list[bytes] = []
        self._served = 0
        accept = threading.Thread(target=self._accept, name="hostile-accept", daemon=True)
        self._threads.append(accept)
        accept.start()

    @property
    def url(self) -> str:
        scheme = "https" if self._tls else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            with self._lock:
                self.connections += 1
                self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(10)
            if self._tls is not None:
                conn = self._tls.wrap_socket(conn, server_side=True)
            keep = True
            while keep and not self.stopping.is_set():
                head = _read_head(conn)
                if head is None:
                    return
                with self._lock:
                    self.requests.append(head)
                    behaviour = self._behaviours[min(self._served, len(self._behaviours) - 1)]
                    self._served += 1
                keep = behaviour(conn, self.stopping)
        except OSError:  # the client went away (refused the answer, cut it off): expected
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self.stopping.set()
        self._listener.close()
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(10)

    def __enter__(self) -> HostileServer:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self.close()


def _read_head(conn: socket.socket) -> bytes | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    return data
