"""Documents kept with a SENCO qualification record: an offer of a place, a scholarship
letter, the outcome. Stored like training certificates (``cpd_tracker.storage``: type decided
by the file's first bytes, random keys, one folder per organisation, outside the web root).

Access is the SENCO page's: routes reach here after ``own_school``, and a document is found
only through a qualification of someone appointed SENCO at that school.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cpd_tracker.models import School, SencoDocument, SencoQualification
from cpd_tracker.services.audit import AuditService
from cpd_tracker.storage import EvidenceStore, FileType, safe_file_name

#: Documents a qualification record may hold; more is a sign of a mistake, not a need.
MAX_DOCUMENTS = 20


class SencoDocumentError(ValueError):
    """A document the tool will not keep; the message says what to do instead."""


class SencoDocumentService:
    def __init__(self, session: Session, audit: AuditService, store: EvidenceStore) -> None:
        self.session = session
        self.audit = audit
        self.store = store

    def of(self, qualification: SencoQualification) -> list[SencoDocument]:
        return list(
            self.session.scalars(
                select(SencoDocument)
                .where(
                    SencoDocument.qualification_id == qualification.id,
                    SencoDocument.organisation_id == qualification.organisation_id,
                )
                .order_by(SencoDocument.created_at, SencoDocument.id)
            )
        )

    def by_qualification(self, qualification_ids: list[int]) -> dict[int, list[SencoDocument]]:
        found: dict[int, list[SencoDocument]] = {q: [] for q in qualification_ids}
        if not qualification_ids:
            return found
        for row in self.session.scalars(
            select(SencoDocument)
            .where(SencoDocument.qualification_id.in_(qualification_ids))
            .order_by(SencoDocument.created_at, SencoDocument.id)
        ):
            found[row.qualification_id].append(row)
        return found

    def add(
        self,
        school: School,
        qualification: SencoQualification,
        data: bytes,
        file_type: FileType,
        submitted_name: str | None,
    ) -> SencoDocument:
        if len(self.of(qualification)) >= MAX_DOCUMENTS:
            raise SencoDocumentError(
                f"This record already has {MAX_DOCUMENTS} documents. Keep the ones that matter."
            )
        key = self.store.save(school.organisation_id, data)
        row = SencoDocument(
            organisation_id=school.organisation_id,
            qualification_id=qualification.id,
            file_name=safe_file_name(submitted_name or "document", file_type),
            content_type=file_type.content_type,
            size=len(data),
            storage_key=key,
            uploaded_by_id=self.audit.actor.person_id,
        )
        self.session.add(row)
        self.session.flush()
        self.audit.record(
            "senco.document_added",
            organisation_id=school.organisation_id,
            entity_type="senco_document",
            entity_id=row.id,
            school_id=school.id,
            qualification_id=qualification.id,
            person_id=qualification.person_id,
            file_name=row.file_name,
            size=row.size,
        )
        return row

    def get(self, qualification: SencoQualification, document_id: int) -> SencoDocument | None:
        return self.session.scalar(
            select(SencoDocument).where(
                SencoDocument.id == document_id,
                SencoDocument.qualification_id == qualification.id,
                SencoDocument.organisation_id == qualification.organisation_id,
            )
        )

    def read(self, document: SencoDocument) -> bytes:
        return self.store.open(document.organisation_id, document.storage_key)
