"""Certificates for external training, kept on disk outside the web root.

Files live at ``<EVIDENCE_DIR>/<organisation id>/<random key>`` (by default the instance folder's
``evidence/``), never under ``static/``: the only way back to one is the access-checked download
in ``records/routes.py``. The key is random, so a file name says nothing about whose it is, and
it is checked against a strict pattern before it touches a path.

What a file *is* is decided by its first bytes, never by the browser's ``Content-Type`` or the
file name: a PNG called ``certificate.pdf`` is stored and served as a PNG, and an HTML page or a
program called ``certificate.pdf`` is refused. Served back only as an attachment, with the
sniffed type and ``nosniff``, so a browser never renders an upload as a page of this tool.
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
import unicodedata
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path, PurePosixPath, PureWindowsPath

from flask import Response, current_app, send_file

#: The largest certificate accepted: a phone photo or a scanned page fits easily.
MAX_EVIDENCE_BYTES = 5 * 1024 * 1024
MAX_EVIDENCE_LABEL = "5 MB"

_KEY = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class FileType:
    content_type: str
    extension: str
    label: str


PDF = FileType("application/pdf", ".pdf", "PDF")
PNG = FileType("image/png", ".png", "PNG image")
JPEG = FileType("image/jpeg", ".jpg", "JPEG image")
WEBP = FileType("image/webp", ".webp", "WebP image")

#: PDF, and the photo formats phones and scanners produce. GIF, SVG (a script container),
#: HEIC (which browsers cannot show; iOS converts it to JPEG when uploading) and office
#: documents (macro carriers) are refused.
ALLOWED_TYPES = (PDF, PNG, JPEG, WEBP)
ALLOWED_LABEL = "a PDF, or a photo or scan saved as JPEG, PNG or WebP"


class EvidenceFileError(ValueError):
    """A file the tool will not keep; the message says what to do instead."""


class EvidenceMissing(LookupError):
    """The key names no stored file (deleted, or never written)."""


def sniff(data: bytes) -> FileType | None:
    """The type ``data`` really is, by its magic bytes; None when it is none we accept."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    return None


def check_upload(data: bytes, what: str = "certificate") -> FileType:
    """The file's type, or ``EvidenceFileError`` with a message a teacher can act on. ``what``
    names the file in the messages ("certificate", "document")."""
    if not data:
        raise EvidenceFileError(f"The selected file is empty. Choose the {what} file again.")
    if len(data) > MAX_EVIDENCE_BYTES:
        raise EvidenceFileError(
            f"The {what} must be smaller than {MAX_EVIDENCE_LABEL}. Choose a smaller "
            f"file, or a photo of the {what}."
        )
    found = sniff(data)
    if found is None:
        raise EvidenceFileError(
            f"The {what} must be {ALLOWED_LABEL}. The file you chose is none of these, "
            "whatever its name says."
        )
    return found


def download_response(data: bytes, content_type: str, file_name: str) -> Response:
    """A stored file served back: only as an attachment, with its sniffed type and
    ``nosniff``, never cached, so a browser never renders an upload as a page of this tool."""
    response = send_file(
        BytesIO(data),
        mimetype=content_type,
        as_attachment=True,
        download_name=file_name,
        etag=False,
        conditional=False,
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


_UNSAFE = re.compile(r"[\x00-\x1f\x7f\"\\/:*?<>|]")
_EXTENSION = re.compile(r"(.*)\.[A-Za-z0-9]{1,5}", re.DOTALL)


def safe_file_name(submitted: str | None, file_type: FileType) -> str:
    """A name to show and to offer on download: no folders, no control or quoting characters,
    and the extension of what the file really is (``scan.pdf`` that is a PNG becomes
    ``scan.png``, so it opens in the right program)."""
    raw = unicodedata.normalize("NFC", submitted or "")
    # Browsers on Windows used to send the whole path; take the last part in either style.
    raw = PureWindowsPath(PurePosixPath(raw).name).name
    cleaned = _UNSAFE.sub("", raw)
    with_extension = _EXTENSION.fullmatch(cleaned)
    stem = with_extension.group(1) if with_extension else cleaned
    stem = re.sub(r"\s+", " ", stem).strip(" .")[:120].strip(" .")
    return (stem or "certificate") + file_type.extension


class EvidenceStore:
    """Certificate files on disk, one folder per organisation."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, organisation_id: int, key: str) -> Path:
        if not _KEY.fullmatch(key) or organisation_id <= 0:
            raise EvidenceMissing(key)
        return self.root / str(organisation_id) / key

    def save(self, organisation_id: int, data: bytes) -> str:
        """Write ``data`` and return its key. Written to a temporary name and renamed, so a
        half-written file never stands under a key."""
        key = secrets.token_hex(16)
        path = self._path(organisation_id, key)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return key

    def open(self, organisation_id: int, key: str) -> bytes:
        try:
            return self._path(organisation_id, key).read_bytes()
        except FileNotFoundError as exc:
            raise EvidenceMissing(key) from exc

    def delete(self, organisation_id: int, key: str) -> None:
        self._path(organisation_id, key).unlink(missing_ok=True)


def evidence_root() -> Path:
    """``EVIDENCE_DIR`` if configured, else ``<instance folder>/evidence``."""
    configured = current_app.config.get("EVIDENCE_DIR")
    if configured:
        return Path(configured)
    return Path(current_app.instance_path) / "evidence"
