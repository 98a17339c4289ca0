"""The query-string helpers: a number or choice out of range is a 400 with a message."""

from __future__ import annotations

import pytest
from flask import Flask
from werkzeug.exceptions import BadRequest

from cpd_tracker.params import MAX_ID, choice_arg, id_arg, init_params, int_arg, text_arg


@pytest.fixture
def bare() -> Flask:
    app = Flask(__name__)
    init_params(app)

    @app.get("/things/<int:thing_id>")
    def thing(thing_id: int) -> str:
        return str(thing_id)

    return app


def test_int_arg(bare: Flask) -> None:
    with bare.test_request_context("/?year=2025&bad=%C2%B2&big=2147483648"):
        assert int_arg("year", min=2000, max=2100) == 2025
        assert int_arg("missing", default=7) == 7
        with pytest.raises(BadRequest, match="The year must be a whole number from 2,000 to 2,100"):
            int_arg("big", min=2000, max=2100, label="The year")
        with pytest.raises(BadRequest, match="The bad value must be a whole number"):
            int_arg("bad")


@pytest.mark.parametrize("value", ["0", "-1", "\u00b2", str(MAX_ID + 1), "1.5", "abc"])
def test_id_arg_refuses_what_no_row_can_have(bare: Flask, value: str) -> None:
    with (
        bare.test_request_context("/", query_string={"school": value}),
        pytest.raises(BadRequest, match="The school filter must be the number of one"),
    ):
        id_arg("school")


def test_id_arg(bare: Flask) -> None:
    with bare.test_request_context(f"/?school={MAX_ID}&empty="):
        assert id_arg("school") == MAX_ID
        assert id_arg("empty") is None
        assert id_arg("missing") is None


def test_choice_and_text_args(bare: Flask) -> None:
    with bare.test_request_context("/?basis=pupils&months=5&q=%20autism%20"):
        assert choice_arg("basis", ["pupils", "staff"]) == "pupils"
        assert choice_arg("months", ["6", "12"], strict=False, default="12") == "12"
        with pytest.raises(BadRequest, match="Show 6 or 12"):
            choice_arg("months", ["6", "12"], message="Show 6 or 12")
        assert text_arg("q") == "autism"
        assert text_arg("q", max_length=3) == "aut"


def test_control_characters_in_a_query_are_refused(bare: Flask) -> None:
    client = bare.test_client()
    assert client.get("/things/1?q=a%00b").status_code == 400
    assert client.get("/things/1?q=a%0bb").status_code == 400
    assert client.get("/things/1?q=ab").status_code == 200


def test_ids_in_urls_stop_at_the_largest_id(bare: Flask) -> None:
    client = bare.test_client()
    assert client.get(f"/things/{MAX_ID}").get_data(as_text=True) == str(MAX_ID)
    assert client.get(f"/things/{MAX_ID + 1}").status_code == 404
    assert client.get("/things/99999999999999999999").status_code == 404
