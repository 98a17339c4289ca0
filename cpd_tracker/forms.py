"""The base form: CSRF bound to the signed-in launch, and the launch token carried along.

WTForms' session CSRF needs a cookie session, which an LMS iframe may refuse; here the CSRF
token is an HMAC-signed, time-limited value bound to the launch's random ``sid`` (or, before
anyone is signed in, to a value the flow supplies), so it works with or without cookies.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from wtforms import Form, HiddenField
from wtforms.csrf.core import CSRF
from wtforms.fields import Field
from wtforms.form import BaseForm as WTFBaseForm
from wtforms.validators import ValidationError

CSRF_MAX_AGE = 4 * 60 * 60


def csrf_binding() -> str:
    explicit = g.get("csrf_binding")
    if explicit:
        return str(explicit)
    if current_user.is_authenticated:
        return f"launch:{current_user.launch.sid}"
    return "anonymous"


class SignedCSRF(CSRF):
    def _serializer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="csrf")

    def generate_csrf_token(self, csrf_token_field: Field) -> str:
        return self._serializer().dumps(csrf_binding())

    def validate_csrf_token(self, form: WTFBaseForm, field: Field) -> None:
        try:
            bound = self._serializer().loads(field.data or "", max_age=CSRF_MAX_AGE)
        except BadSignature as exc:
            # ValidationError, not ValueError: WTForms 3 lets any other exception escape
            # validate(), which would make every stale form a 500.
            raise ValidationError(
                "This form has expired or was not sent by this tool. Reload the page and try again."
            ) from exc
        if bound != csrf_binding():
            raise ValidationError(
                "This form belongs to another session. Reload the page and try again."
            )


class BaseForm(Form):
    class Meta:
        csrf = True
        csrf_class = SignedCSRF
        locales = ("en_GB", "en")

    lt = HiddenField()

    def __init__(self, formdata: Any = None, **kwargs: Any) -> None:
        super().__init__(formdata, **kwargs)
        self.lt.data = g.get("launch_token") or ""
