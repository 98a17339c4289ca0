"""PDFs drawn with ReportLab: a certificate of completion and a CPD portfolio.

Plain A4, the tool's own look (no GOV.UK brand or fonts): Bitstream Vera, which ReportLab
ships, embedded so names such as "Siân Ó Dálaigh" print as written. Built from plain values
(``CertificateFacts``, ``CpdRecord``), so the rendering needs no database.
"""

from __future__ import annotations

import datetime as dt
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from cpd_tracker.services.certificates import CertificateFacts
from cpd_tracker.services.cpd_record import CpdRecord
from cpd_tracker.templating import date_uk, hours

#: The tool's teal (the header colour of its pages), dark enough for text on white.
INK = colors.HexColor("#0b0c0c")
ACCENT = colors.HexColor("#0f5e63")
RULE = colors.HexColor("#b1b4b6")

_FONTS = {"regular": "Vera", "bold": "VeraBd"}


def _register_fonts() -> None:
    for name in _FONTS.values():
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, f"{name}.ttf"))


def _style(
    size: float, *, bold: bool = False, colour: Any = INK, space: float = 4
) -> ParagraphStyle:
    return ParagraphStyle(
        f"s{size}{bold}",
        fontName=_FONTS["bold" if bold else "regular"],
        fontSize=size,
        leading=size * 1.3,
        textColor=colour,
        spaceAfter=space,
    )


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    # Paragraph reads a little markup: every value is escaped, so a name is only ever text.
    return Paragraph(escape(text), style)


def _document(buffer: BytesIO, *, title: str, author: str, subject: str) -> SimpleDocTemplate:
    _register_fonts()
    return SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=title,
        author=author,
        subject=subject,
        creator="SEND CPD Tracker",
    )


def certificate_pdf(facts: CertificateFacts) -> bytes:
    buffer = BytesIO()
    doc = _document(
        buffer,
        title=f"Certificate of completion: {facts.training}",
        author=facts.organisation_name,
        subject=f"{facts.person_name}, {date_uk(facts.completed_on)}",
    )
    small, body = _style(10, colour=ACCENT), _style(12)
    rows = [
        ("Completed on", date_uk(facts.completed_on)),
        ("CPD hours", hours(facts.cpd_hours) or "0"),
        ("Provider", facts.provider or "Not recorded"),
        *(
            [("Provider's certificate expires on", date_uk(facts.certificate_expires_on))]
            if facts.certificate_expires_on
            else []
        ),
        ("How", facts.how),
        ("Vouched for", facts.vouched),
        ("Certificate number", facts.reference),
        ("Issued on", date_uk(facts.issued_on)),
    ]
    table = Table(
        [[_p(k, _style(11, bold=True)), _p(v, _style(11))] for k, v in rows],
        colWidths=[45 * mm, None],
    )
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, -1), 0.5, RULE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    doc.build(
        [
            _p(facts.organisation_name, small),
            _p("Certificate of completion", _style(26, bold=True, colour=ACCENT, space=18)),
            _p("This is to certify that", body),
            _p(facts.person_name, _style(22, bold=True, space=12)),
            _p("has completed", body),
            _p(facts.training, _style(18, bold=True, space=18)),
            table,
            Spacer(1, 12 * mm),
            _p(
                f"Issued by SEND CPD Tracker for {facts.organisation_name}. The certificate "
                f"number finds this record in the organisation's training records.",
                _style(9, colour=ACCENT),
            ),
        ]
    )
    return buffer.getvalue()


def portfolio_pdf(record: CpdRecord, *, organisation_name: str, issued_on: dt.date) -> bytes:
    buffer = BytesIO()
    name = record.person.display_name
    doc = _document(
        buffer,
        title=f"CPD portfolio: {name}",
        author=organisation_name,
        subject=f"CPD record produced {date_uk(issued_on)}",
    )
    cell, head = _style(9), _style(9, bold=True)
    story: list[Any] = [
        _p(organisation_name, _style(10, colour=ACCENT)),
        _p(f"CPD portfolio: {name}", _style(22, bold=True, colour=ACCENT, space=10)),
        _p(
            f"Produced on {date_uk(issued_on)}. {record.count} completion"
            f"{'' if record.count == 1 else 's'}, {hours(record.total_hours) or '0'} CPD hours "
            "in all. English schools count CPD by academic year, September to August.",
            _style(11, space=10),
        ),
    ]
    if not record.years:
        story.append(_p("No training recorded yet.", _style(11)))
    for year in record.years:
        story.append(_p(f"{year.label} (September to August)", _style(14, bold=True, space=6)))
        data = [[_p(h, head) for h in ("Date", "Training", "How", "Provider", "Hours")]]
        for line in year.lines:
            data.append(
                [
                    _p(date_uk(line.completed_on), cell),
                    _p(
                        line.training
                        + (
                            f" (provider's certificate expires on "
                            f"{date_uk(line.certificate_expires_on)})"
                            if line.certificate_expires_on
                            else ""
                        ),
                        cell,
                    ),
                    _p(line.method_label, cell),
                    _p(line.provider or "", cell),
                    _p(hours(line.cpd_hours) or "0", cell),
                ]
            )
        data.append(
            [
                _p("", head),
                _p(f"Total for {year.label}", head),
                _p("", head),
                _p("", head),
                _p(hours(year.total_hours) or "0", head),
            ]
        )
        table = Table(
            data,
            colWidths=[26 * mm, 62 * mm, 34 * mm, 33 * mm, 15 * mm],
            repeatRows=1,
        )
        table.setStyle(
            TableStyle(
                [
                    ("LINEBELOW", (0, 0), (-1, -1), 0.5, RULE),
                    ("LINEBELOW", (0, 0), (-1, 0), 1, INK),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.extend([table, Spacer(1, 8 * mm)])
    doc.build(story)
    return buffer.getvalue()
