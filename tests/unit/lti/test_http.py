"""lti.http: the one outbound wrapper, through the FakeHttp transport and then, for the guard,
against real (misbehaving) servers on loopback."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from lti.http import (
    DEFAULT_TIMEOUT,
    DEFAULT_USER_AGENT,
    DeadlineExceeded,
    HttpClient,
    HttpError,
    OutboundBusy,
    OutboundRefused,
    ResponseTooLarge,
)
from lti.outbound import OutboundPolicy
from tests.support.hostile_servers import (
    MB,
    Behaviour,
    HostileServer,
    answer,
    drip_body,
    drip_headers,
    huge,
    never,
)
from tests.support.http import FakeHttp

URL = "https://lms.example/api"


def test_get_sends_user_agent_and_timeout() -> None:
    http = FakeHttp()
    http.add(URL, json={"ok": True})

    assert http.get(URL).json() == {"ok": True}
    call = http.calls(URL)[0]
    assert call.headers["User-Agent"] == DEFAULT_USER_AGENT
    assert call.timeout == DEFAULT_TIMEOUT


def test_post_records_the_body_and_headers_can_be_added() -> None:
    http = FakeHttp()
    http.add(URL, method="POST", status=201, body="made")

    response = http.post(URL, data={"a": "1"}, headers={"Authorization": "Bearer t"})

    assert response.status_code == 201
    assert response.text == "made"
    call = http.calls(URL, "POST")[0]
    assert call.body == b"a=1"
    assert call.headers["Authorization"] == "Bearer t"
    assert http.count(URL, "GET") == 0


def test_a_non_2xx_answer_is_an_http_error_with_the_response() -> None:
    http = FakeHttp()
    http.add(URL, status=422, json={"errors": ["bad"]})
    with pytest.raises(HttpError) as caught:
        http.get(URL)
    assert caught.value.status == 422
    assert caught.value.response is not None
    assert caught.value.response.json() == {"errors": ["bad"]}


def test_raise_for_status_can_be_turned_off() -> None:
    http = FakeHttp()
    assert http.get(URL, raise_for_status=False).status_code == 404


@pytest.mark.parametrize(
    ("error", "words"),
    [(requests.Timeout("slow"), "did not answer in time"), (None, "could not be reached")],
)
def test_transport_failures_are_http_errors(error: Exception | None, words: str) -> None:
    http = FakeHttp()
    http.fail(URL, error)
    with pytest.raises(HttpError, match=words) as caught:
        http.get(URL)
    assert caught.value.status is None
    assert caught.value.url == URL


def test_urls_match_however_they_are_written() -> None:
    http = FakeHttp()
    http.add("https://LMS.example", body="root")
    assert http.get("https://lms.example/").text == "root"
    assert http.count("https://lms.example") == 1


# --- the guard, against real sockets on loopback ----------------------------------------------
#
# Servers from tests.support.hostile_servers; policies with short deadlines so that a host
# that never answers costs a test a fraction of a second. Assertions are about what happened
# (which error, whether the server was contacted), never about how long it took.

LOOPBACK = OutboundPolicy(allow_loopback=True)


def quick(**changes: Any) -> OutboundPolicy:
    return replace(LOOPBACK, total_deadline=0.5, **changes)


def test_the_default_policy_refuses_loopback_without_connecting() -> None:
    with HostileServer(answer(200, "secret")) as server:
        with pytest.raises(OutboundRefused, match="not on the public internet") as caught:
            HttpClient().get(server.url + "/")
        assert server.connections == 0
    assert "secret" not in str(caught.value)
    assert not caught.value.retryable


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:9/",
        "https://127.0.0.1/",
        "http://[::1]:9/",
        "http://10.0.0.1/",
        "https://169.254.169.254/latest/meta-data/",
        "http://[::ffff:127.0.0.1]:9/",
        "http://0.0.0.0:9/",
    ],
)
def test_addresses_off_the_public_internet_are_refused(url: str) -> None:
    with pytest.raises(OutboundRefused):
        HttpClient().get(url)


def test_a_name_resolving_inside_is_refused() -> None:
    policy = OutboundPolicy(resolver=lambda host, port: ["127.0.0.1"])
    with pytest.raises(OutboundRefused):
        HttpClient(policy=policy).get("https://lms.attacker.example/")


def test_allowed_loopback_is_fetched_with_user_agent() -> None:
    with HostileServer(answer(200, '{"ok": true}')) as server:
        response = HttpClient(policy=LOOPBACK).get(server.url + "/x")
        head = server.requests[0]
    assert response.json() == {"ok": True}
    assert DEFAULT_USER_AGENT.encode() in head


def test_the_connection_goes_to_the_address_checked_not_a_second_lookup() -> None:
    """DNS rebinding: the name answers once with an allowed address; connecting must not ask
    again (a second answer could be anything). ``.test`` names do not resolve at all, so the
    request only succeeds if the connection used the checked address."""
    answers = iter([["127.0.0.1"], ["10.0.0.1"]])
    lookups: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        lookups.append(host)
        return next(answers)

    with HostileServer(answer(200, "pinned")) as server:
        client = HttpClient(policy=replace(LOOPBACK, resolver=resolver))
        response = client.get(f"http://rebind.test:{server.port}/")
        head = server.requests[0]
    assert response.text == "pinned"
    assert lookups == ["rebind.test"]
    assert f"Host: rebind.test:{server.port}".encode() in head


def test_tls_checks_the_certificate_for_the_name_while_connecting_to_the_address(
    tmp_path: Path,
) -> None:
    cert = _certificate(tmp_path, "lms.test")
    names: list[str | None] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert.cert_file, cert.key_file)
    context.sni_callback = lambda sock, name, ctx: names.append(name)  # type: ignore[assignment,misc]
    policy = replace(LOOPBACK, resolver=lambda host, port: ["127.0.0.1"])
    with HostileServer(answer(200, "over tls"), tls=context) as server:
        client = HttpClient(policy=policy)
        good = client.get(f"https://lms.test:{server.port}/", verify=str(cert.cert_file))
        with pytest.raises(HttpError, match="certificate was not accepted"):
            client.get(f"https://other.test:{server.port}/", verify=str(cert.cert_file))
    assert good.text == "over tls"
    assert names[0] == "lms.test"


def test_a_host_that_never_answers_is_cut_off_at_the_deadline() -> None:
    with (
        HostileServer(never) as server,
        pytest.raises(DeadlineExceeded, match="did not answer in time") as caught,
    ):
        HttpClient(policy=quick(), timeout=(5, 30)).get(server.url)
    assert caught.value.retryable


@pytest.mark.parametrize("behaviour", [drip_body(0.02), drip_headers(0.02)])
def test_a_slow_drip_is_cut_off_at_the_deadline_not_by_each_read(behaviour: Behaviour) -> None:
    with HostileServer(behaviour) as server, pytest.raises(DeadlineExceeded):
        HttpClient(policy=quick(), timeout=(5, 30)).get(server.url)


def test_a_connection_kept_alive_is_still_under_the_next_requests_deadline() -> None:
    with HostileServer([answer(200, "first", keep_alive=True), never]) as server:
        client = HttpClient(policy=quick(), timeout=(5, 30))
        assert client.get(server.url).text == "first"
        with pytest.raises(DeadlineExceeded):
            client.get(server.url)
        assert server.connections == 1


@pytest.mark.parametrize("declared", [True, False])
def test_an_answer_over_the_cap_is_refused(declared: bool) -> None:
    with HostileServer(huge(50 * MB, declared=declared)) as server:
        client = HttpClient(policy=replace(LOOPBACK, max_bytes=MB))
        with pytest.raises(ResponseTooLarge, match="larger than 1 MB") as caught:
            client.get(server.url)
    assert not caught.value.retryable


def test_an_answer_up_to_the_cap_is_read_whole() -> None:
    with HostileServer(huge(MB, declared=False)) as server:
        response = HttpClient(policy=replace(LOOPBACK, max_bytes=MB)).get(server.url)
    assert len(response.content) == MB


def test_redirects_are_not_followed_by_default() -> None:
    with HostileServer(answer(200, "inside")) as target:
        redirect = answer(302, headers={"Location": target.url + "/"})
        with HostileServer(redirect) as server:
            client = HttpClient(policy=LOOPBACK)
            with pytest.raises(HttpError, match="a redirect, which the tool does not follow"):
                client.get(server.url)
            assert client.get(server.url, raise_for_status=False).status_code == 302
        assert target.connections == 0


@pytest.mark.parametrize(
    "location", ["http://10.0.0.1/", "http://169.254.169.254/latest/meta-data/"]
)
def test_each_redirect_hop_is_checked_when_redirects_are_asked_for(location: str) -> None:
    with (
        HostileServer(answer(302, headers={"Location": location})) as server,
        pytest.raises(OutboundRefused),
    ):
        HttpClient(policy=LOOPBACK).get(server.url, allow_redirects=True)


def test_allowed_redirects_are_followed_up_to_the_limit() -> None:
    with HostileServer(answer(200, "landed")) as target:
        hop = answer(302, headers={"Location": target.url + "/"})
        with HostileServer(hop) as server:
            landed = HttpClient(policy=LOOPBACK).get(server.url, allow_redirects=True)
        assert landed.text == "landed"
    with (
        HostileServer(answer(302, headers={"Location": "/again"})) as loop,
        pytest.raises(HttpError, match="redirected too many times"),
    ):
        HttpClient(policy=LOOPBACK).get(loop.url, allow_redirects=True)


def test_calls_beyond_the_in_flight_bound_fail_as_busy_without_connecting() -> None:
    policy = replace(LOOPBACK, max_in_flight=1, acquire_timeout=0.01, total_deadline=30)
    client = HttpClient(policy=policy)
    outcome: list[BaseException] = []
    with HostileServer(never) as slow, HostileServer(answer(200, "fast")) as fast:

        def hang() -> None:
            try:
                client.get(slow.url)
            except HttpError as exc:
                outcome.append(exc)

        first = threading.Thread(target=hang)
        first.start()
        for _ in range(500):  # until the first call is in flight (bounded)
            if slow.requests:
                break
            time.sleep(0.01)
        with pytest.raises(OutboundBusy, match="try again in a minute") as caught:
            client.get(fast.url)
        assert fast.connections == 0
        slow.close()  # the slow host hangs up: the first call ends, its slot frees
        first.join(10)
        assert client.get(fast.url).text == "fast"
    assert caught.value.retryable
    assert len(outcome) == 1


def test_proxy_settings_from_the_environment_are_not_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://10.9.9.9:3128")
    monkeypatch.setenv("http_proxy", "http://10.9.9.9:3128")
    with HostileServer(answer(200, "direct")) as server:
        assert HttpClient(policy=LOOPBACK).get(server.url).text == "direct"


def test_transport_failures_name_no_exception_class() -> None:
    with HostileServer(answer(200)) as server:
        port = server.port
    with pytest.raises(HttpError) as caught:
        HttpClient(policy=LOOPBACK).get(f"http://127.0.0.1:{port}/")
    assert str(caught.value) == f"http://127.0.0.1:{port}/ could not be reached"


def test_an_unknown_host_name_says_so() -> None:
    policy = replace(LOOPBACK, resolver=_no_such_name)
    with pytest.raises(HttpError, match="its host name was not found"):
        HttpClient(policy=policy).get("https://lms.invalid/")


def _no_such_name(host: str, port: int) -> list[str]:
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


@dataclass(frozen=True)
class _Cert:
    cert_file: Path
    key_file: Path


def _certificate(folder: Path, name: str) -> _Cert:
    """A self-signed certificate for ``name``, trusted by passing it as ``verify``."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    out = _Cert(folder / "cert.pem", folder / "key.pem")
    out.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    out.key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return out
