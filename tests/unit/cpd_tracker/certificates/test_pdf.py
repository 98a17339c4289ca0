"""The PDFs drawn from plain values, read back with pypdf."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from pypdf import PdfReader

from cpd_tracker.certificates.pdf import certificate_pdf, portfolio_pdf
from cpd_tracker.models import CompletionMethod, Person
from cpd_tracker.services.certificates import CertificateFacts
from cpd_tracker.services.cpd_record import CpdRecord, RecordLine, by_academic_year


def _read(data: bytes) -> tuple[str, PdfReader]:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(p.extract_text() for p in reader.pages).split()), reader


FACTS = CertificateFacts(
    reference="CPD-1-000042",
    person_name="Łucja Nowak-O'Brien",
    organisation_name="Riverside Learning Trust",
    training="Autism awareness",
    completed_on=dt.date(2026, 3, 9),
    cpd_hours=Decimal("1.50"),
    provider=None,
    how="Online module in this tool",
    vouched="Passed the knowledge check in this tool",
    issued_on=dt.date(2026, 12, 7),
)


def test_a_certificate_reads_back_with_its_metadata() -> None:
    text, reader = _read(certificate_pdf(FACTS))
    assert "Autism awareness" in text
    assert "9 March 2026" in text
    assert "CPD hours 1.5" in text
    assert "Provider Not recorded" in text
    assert "Issued on 7 December 2026" in text
    assert reader.metadata is not None
    assert reader.metadata.title == "Certificate of completion: Autism awareness"
    assert reader.metadata.author == "Riverside Learning Trust"
    assert len(reader.pages) == 1


def test_fonts_are_embedded_so_names_print_as_written() -> None:
    data = certificate_pdf(FACTS)
    text, _ = _read(data)
    assert b"FontFile2" in data  # the TrueType font travels with the file
    assert "Łucja Nowak-O'Brien" in text


def test_a_portfolio_with_nothing_says_so() -> None:
    record = CpdRecord(Person(name="New Starter"), [])
    text, _ = _read(
        portfolio_pdf(record, organisation_name="Trust", issued_on=dt.date(2026, 12, 7))
    )
    assert "CPD portfolio: New Starter" in text
    assert "0 completions, 0 CPD hours" in text
    assert "No training recorded yet." in text


def test_a_long_portfolio_runs_onto_more_pages_with_its_header_repeated() -> None:
    lines = [
        RecordLine(
            completed_on=dt.date(2025, 9, 1) + dt.timedelta(days=i),
            training=f"Session {i}",
            method=CompletionMethod.RECORDED,
            provider="nasen",
            cpd_hours=Decimal("1"),
        )
        for i in range(120)
    ]
    record = CpdRecord(Person(name="Busy Teacher"), by_academic_year(lines))
    text, reader = _read(
        portfolio_pdf(record, organisation_name="Trust", issued_on=dt.date(2026, 12, 7))
    )
    assert len(reader.pages) > 1
    assert all("Training" in page.extract_text() for page in reader.pages)
    assert "Total for 2025/26 120" in text
