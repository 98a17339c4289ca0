"""Forms of the import pages: upload a CSV file, then apply it."""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import FileStorage
from wtforms import FileField, SelectField
from wtforms.fields import Field
from wtforms.form import BaseForm as WTFBaseForm
from wtforms.validators import InputRequired, StopValidation

from cpd_tracker.forms import BaseForm
from cpd_tracker.services.imports import MAX_FILE_BYTES

MAX_MB = MAX_FILE_BYTES // 1024 // 1024


def file_name_of(storage: FileStorage) -> str:
    """The name the browser gave, without any folder (old browsers send the whole path)."""
    return (storage.filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()


class CsvFile:
    """A CSV file, at most ``MAX_FILE_BYTES``, not empty; its bytes end up in ``field.content``.

    The messages are GOV.UK's for file uploads ("Select a ...", "The selected file must ...").
    """

    def __call__(self, form: WTFBaseForm, field: Field) -> None:
        storage = field.data
        if not isinstance(storage, FileStorage) or not file_name_of(storage):
            raise StopValidation("Select a CSV file")
        name = file_name_of(storage).lower()
        if name.endswith((".xlsx", ".xls", ".ods")):
            raise StopValidation(
                "The selected file must be a CSV file: in Excel, use Save As and choose "
                "'CSV UTF-8 (Comma delimited)'"
            )
        if not name.endswith((".csv", ".txt")):
            raise StopValidation("The selected file must be a CSV file")
        content = storage.stream.read(MAX_FILE_BYTES + 1)
        if len(content) > MAX_FILE_BYTES:
            raise StopValidation(f"The selected file must be smaller than {MAX_MB}MB")
        if not content.strip():
            raise StopValidation("The selected file is empty")
        field.content = content  # type: ignore[attr-defined]


class UploadForm(BaseForm):
    school_id = SelectField(
        "Which school is this file for?",
        coerce=int,
        validators=[InputRequired(message="Select the school this file is for")],
    )
    file = FileField(
        "Upload a CSV file",
        description=f"A CSV file, up to {MAX_MB}MB.",
        validators=[CsvFile()],
    )

    @property
    def content(self) -> bytes:
        data: bytes = getattr(self.file, "content", b"")
        return data

    @property
    def file_name(self) -> str:
        storage: Any = self.file.data
        return file_name_of(storage) if isinstance(storage, FileStorage) else ""


class ApplyForm(BaseForm):
    """The Apply button: a CSRF token and nothing else."""
