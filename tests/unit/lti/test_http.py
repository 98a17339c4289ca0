"""lti.http: the one outbound wrapper, exercised through the FakeHttp transport."""

from __future__ import annotations

import pytest
import requests

from lti.http import DEFAULT_TIMEOUT, DEFAULT_USER_AGENT, HttpError
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
