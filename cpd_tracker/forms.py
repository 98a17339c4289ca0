"""The base form: CSRF bound to the signed-in launch, and the launch token carried along.

WTForms' session CSRF needs a cookie session, which an LMS iframe may refuse; here the CSRF
token is an HMAC-signed, time-limited value bound to the launch's random ``sid`` (or, before
anyone is signed in, to a value the flow supplies), so it works with or without cookies.

Each token also carries a random nonce, so every form the tool renders has its own token: the
create forms use it as the form's one-time key (``cpd_tracker.once``), so the same form sent
twice creates once.

Every form also refuses text no column can hold (a NUL, another control character, a lone
surrogate) as that field's error, whatever its own validators say (issue 14, finding 7).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from flask import current_app, g
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from wtforms import Form, HiddenField
from wtforms.csrf.core import CSRF
from wtforms.fields import Field
from wtforms.form import BaseForm as WTFBaseForm
from wtforms.validators import ValidationError

from cpd_tracker.rules.numbers import MAX_ID, whole_number
from lti.claims import has_control_characters

CSRF_MAX_AGE = 4 * 60 * 60
#: Control characters a typed text may hold (a text area's lines and tabs): left out of the check.
_TEXT_CONTROLS = str.maketrans("", "", "\t\n\r")


def unstorable(text: str) -> bool:
    """A character no text column should hold: a NUL (PostgreSQL refuses it), any other
    control character but a tab or line break, or a lone surrogate (not UTF-8 at all); the
    check LTI claims get, with a text area's tabs and line breaks allowed."""
    return has_control_characters(text.translate(_TEXT_CONTROLS))


def form_id(value: object) -> int | None:
    """A chosen id, as a select's ``coerce``: None for the placeholder and for anything no row
    can have ("²", "-1", a number past ``MAX_ID``), so the field refuses it with its own
    message instead of the database failing on it."""
    return whole_number(value, low=1, high=MAX_ID)


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
        return self._serializer().dumps([csrf_binding(), secrets.token_urlsafe(12)])

    def validate_csrf_token(self, form: WTFBaseForm, field: Field) -> None:
        try:
            signed = self._serializer().loads(field.data or "", max_age=CSRF_MAX_AGE)
        except BadSignature as exc:
            # ValidationError, not ValueError: WTForms 3 lets any other exception escape
            # validate(), which would make every stale form a 500.
            raise ValidationError(
                "This form has expired or was not sent by this tool. Reload the page and try again."
            ) from exc
        # [binding, nonce]; a bare binding is a token issued before nonces (up to 4 hours).
        bound = signed[0] if isinstance(signed, list) and len(signed) == 2 else signed
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

    def validate(self, extra_validators: Mapping[str, Sequence[Any]] | None = None) -> bool:
        """The fields' own checks, and for every form one more: no text typed or pasted into
        it holds a character the database cannot store (a NUL failed the request on
        PostgreSQL), so such a value is the field's error, not a 500."""
        valid = super().validate(extra_validators)
        for field in self:
            if isinstance(field.data, str) and unstorable(field.data):
                field.errors = [
                    *field.errors,
                    f"{field.label.text} holds a character this tool cannot store (a control "
                    "character, often from pasting). Type it again.",
                ]
                valid = False
        return valid
