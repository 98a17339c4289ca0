"""Certificate files: what a file is comes from its bytes, names are made safe, and the store
keeps each organisation's files apart under random keys."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from flask import Flask

from cpd_tracker.storage import (
    JPEG,
    MAX_EVIDENCE_BYTES,
    PDF,
    PNG,
    WEBP,
    EvidenceFileError,
    EvidenceMissing,
    EvidenceStore,
    check_upload,
    evidence_root,
    safe_file_name,
    sniff,
)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"%PDF-1.7\n...", PDF),
        (b"\x89PNG\r\n\x1a\n\x00\x00", PNG),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", JPEG),
        (b"\xff\xd8\xff\xe1\x00\x10Exif", JPEG),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", WEBP),
        (b"RIFF\x10\x00\x00\x00WAVEfmt ", None),
        (b"RIFF", None),
        (b"GIF89a", None),
        (b"<html><body>%PDF-</body></html>", None),
        (b" %PDF-1.4", None),
        (b"MZ\x90\x00", None),
        (b"PK\x03\x04", None),
        (b"", None),
    ],
)
def test_sniff_by_magic_bytes(data: bytes, expected: object) -> None:
    assert sniff(data) is expected


def test_check_upload_messages_say_what_to_do() -> None:
    assert check_upload(b"%PDF-1.4") is PDF
    with pytest.raises(EvidenceFileError, match="empty"):
        check_upload(b"")
    with pytest.raises(EvidenceFileError, match="smaller than 5 MB"):
        check_upload(b"%PDF-" + b"0" * MAX_EVIDENCE_BYTES)
    with pytest.raises(EvidenceFileError, match="a PDF, or a photo"):
        check_upload(b"<script>")
    assert check_upload(b"%PDF-" + b"0" * (MAX_EVIDENCE_BYTES - 5)) is PDF


@pytest.mark.parametrize(
    ("submitted", "file_type", "expected"),
    [
        ("certificate.pdf", PDF, "certificate.pdf"),
        ("scan.pdf", PNG, "scan.png"),
        ("photo.JPEG", JPEG, "photo.jpg"),
        ("../../etc/passwd", PDF, "passwd.pdf"),
        ("C:\\Users\\Lena\\My certificate.pdf", PDF, "My certificate.pdf"),
        ("/home/lena/cert.pdf", PDF, "cert.pdf"),
        ("..pdf", PDF, "certificate.pdf"),
        (".hidden.pdf", PDF, "hidden.pdf"),
        ('evil"; filename="x.html', PDF, "evil; filename=x.pdf"),
        ("line\r\nbreak\x00.pdf", PDF, "linebreak.pdf"),
        ("tab\tand   spaces  .pdf", PDF, "taband spaces.pdf"),
        ("Zertifikat fu\u0308r Lena.pdf", PDF, "Zertifikat f\u00fcr Lena.pdf"),
        ("no-extension", PDF, "no-extension.pdf"),
        ("Mr. Smith's certificate", PDF, "Mr. Smith's certificate.pdf"),
        ("", PNG, "certificate.png"),
        (None, JPEG, "certificate.jpg"),
        ("a" * 300 + ".pdf", PDF, "a" * 120 + ".pdf"),
        ("<>:*?|.pdf", PDF, "certificate.pdf"),
    ],
)
def test_safe_file_name(submitted: str | None, file_type: object, expected: str) -> None:
    assert safe_file_name(submitted, file_type) == expected  # type: ignore[arg-type]


def test_store_round_trip_keeps_organisations_apart(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path / "evidence")
    key = store.save(7, b"%PDF-1.4 seven")
    other = store.save(8, b"%PDF-1.4 eight")
    assert key != other
    assert len(key) == 32
    assert (tmp_path / "evidence" / "7" / key).read_bytes() == b"%PDF-1.4 seven"
    assert store.open(7, key) == b"%PDF-1.4 seven"
    with pytest.raises(EvidenceMissing):
        store.open(8, key)  # the right key in the wrong organisation finds nothing
    mode = (tmp_path / "evidence" / "7" / key).stat().st_mode
    assert stat.S_IMODE(mode) == 0o600
    assert not [p for p in (tmp_path / "evidence" / "7").iterdir() if p.name.startswith(".")]

    store.delete(7, key)
    with pytest.raises(EvidenceMissing):
        store.open(7, key)
    store.delete(7, key)  # deleting twice is harmless


@pytest.mark.parametrize(
    "key",
    ["", "../8/" + "a" * 32, "A" * 32, "a" * 31, "a" * 33, "/etc/passwd", "a" * 30 + "/."],
)
def test_store_refuses_keys_that_could_leave_its_folder(tmp_path: Path, key: str) -> None:
    store = EvidenceStore(tmp_path)
    with pytest.raises(EvidenceMissing):
        store.open(1, key)
    with pytest.raises(EvidenceMissing):
        store.delete(1, key)


def test_store_refuses_impossible_organisations(tmp_path: Path) -> None:
    with pytest.raises(EvidenceMissing):
        EvidenceStore(tmp_path).open(0, "a" * 32)


def test_a_failed_write_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        EvidenceStore(tmp_path).save(1, b"%PDF-")
    assert list((tmp_path / "1").iterdir()) == []


def test_evidence_root_defaults_to_the_instance_folder(app: Flask, tmp_path: Path) -> None:
    with app.app_context():
        assert evidence_root() == Path(app.instance_path) / "evidence"
        static = Path(app.static_folder or "")
        assert not evidence_root().is_relative_to(static)
        app.config["EVIDENCE_DIR"] = str(tmp_path / "elsewhere")
        assert evidence_root() == tmp_path / "elsewhere"
