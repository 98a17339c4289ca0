"""The purchases import: a finance system's export of training purchases, as CSV, with the same
preview, row errors and all-or-nothing apply as the staff import (``services/imports``), whose
CSV reading (``csvfile``) and upload table (``ImportUpload``, kind "purchases") it reuses.

Parsing is pure (``parse_purchases_csv``). Checking runs every row through
``SpendService.save_purchase`` inside a savepoint that is then rolled back, so the preview
applies exactly the rules the purchase form applies (suggested discounts, an override needing a
reason, included places used up in file order); applying does the same without the rollback,
and any row failing then rolls the whole import back.

A row whose reference is already on a purchase of the organisation is skipped, so a file
imported twice adds nothing the second time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cpd_tracker.models import FundingSource, ImportUpload, Module, Purchase, School
from cpd_tracker.rules.money import parse_pounds
from cpd_tracker.rules.numbers import whole_number
from cpd_tracker.services.audit import AuditService
from cpd_tracker.services.imports.completions import Catalogue, KnownModule
from cpd_tracker.services.imports.csvfile import (
    Column,
    FileProblem,
    ParsedFile,
    Problem,
    Record,
    parse_date,
    read_table,
)
from cpd_tracker.services.spend.records import (
    SUPPLY_CODES,
    PurchaseDetails,
    SpendError,
    SpendService,
)

KIND = "purchases"
CENTRAL = "Trust central"

PURCHASE_COLUMNS = (
    Column("school_urn", "School URN", ("URN", "School", "Cost centre URN")),
    Column("provider", "Provider", ("Supplier", "Supplier name", "Vendor")),
    Column("module", "Module", ("Module slug", "Module title", "Training")),
    Column("course_title", "Course title", ("Course", "Description", "Item description")),
    Column("purchased_on", "Date", ("Purchase date", "Invoice date", "Transaction date")),
    Column("delivered_on", "Delivered", ("Delivery date", "Date delivered", "Course date")),
    Column("delegates", "Delegates", ("Places", "Quantity", "Qty")),
    Column("list_price", "List price per delegate", ("List price", "Unit price", "Price")),
    Column("vat_rate", "VAT rate", ("VAT", "VAT code", "Tax code")),
    Column("discount", "Discount", ("Discount amount",)),
    Column("discount_reason", "Discount reason", ("Reason",)),
    Column("supply", "Supply cover", ("Supply", "Supply cost")),
    Column("supply_code", "Supply code", ("Supply finance code",)),
    Column("travel", "Travel", ("Travel cost", "Expenses")),
    Column("funding", "Funding source", ("Funding", "Fund")),
    Column("finance_code", "Finance code", ("Account code", "Nominal code", "CCFR code")),
    Column("nominal_code", "Trust nominal code", ("Trust code", "Ledger code", "GL code")),
    Column("notional_sen", "Notional SEN", ("SEN", "Notional SEN budget")),
    Column("reference", "Reference", ("Invoice number", "PO number", "Transaction reference")),
)
PURCHASE_TEMPLATE_HEADINGS = tuple(c.heading for c in PURCHASE_COLUMNS)

_FUNDING = {
    "school": FundingSource.SCHOOL_BUDGET,
    "schoolbudget": FundingSource.SCHOOL_BUDGET,
    "trust": FundingSource.TRUST_CENTRAL,
    "trustcentral": FundingSource.TRUST_CENTRAL,
    "central": FundingSource.TRUST_CENTRAL,
    "grant": FundingSource.GRANT,
    "npq": FundingSource.NPQ_SCHOLARSHIP,
    "npqscholarship": FundingSource.NPQ_SCHOLARSHIP,
    "scholarship": FundingSource.NPQ_SCHOLARSHIP,
}
#: VAT rate column: prices are ex VAT; an empty cell means not stated (counted as nil).
_VAT = {
    "20": Decimal(20),
    "20%": Decimal(20),
    "s": Decimal(20),
    "standard": Decimal(20),
    "0": Decimal(0),
    "0%": Decimal(0),
    "z": Decimal(0),
    "zero": Decimal(0),
    "e": Decimal(0),
    "exempt": Decimal(0),
}
_YES = {"yes", "y", "true", "1", "x"}
_NO = {"no", "n", "false", "0", ""}


@dataclass(frozen=True)
class PurchaseRow:
    row: int
    school_urn: str | None
    provider: str
    module: str | None
    course_title: str
    purchased_on: dt.date
    delegates: int
    list_price_pence: int
    discount_pence: int | None
    discount_reason: str
    supply_pence: int
    supply_code: str | None
    travel_pence: int
    funding: FundingSource | None
    finance_code: str
    notional_sen: bool
    reference: str
    delivered_on: dt.date | None = None
    vat_rate: Decimal | None = None
    nominal_code: str = ""


def parse_purchases_csv(data: bytes) -> ParsedFile[PurchaseRow]:
    try:
        table = read_table(
            data,
            PURCHASE_COLUMNS,
            required=("provider", "purchased_on", "list_price"),
            one_of=(("module", "course_title"),),
            what="purchase rows",
        )
    except FileProblem as exc:
        return ParsedFile(errors=[Problem(None, str(exc))])
    parsed: ParsedFile[PurchaseRow] = ParsedFile(
        ignored_columns=table.ignored_columns, data_rows=len(table.records)
    )
    for record in table.records:
        row, problems = _row(record)
        parsed.errors.extend(Problem(record.row, p) for p in problems)
        if row is not None:
            parsed.rows.append(row)
    return parsed


def _money(record: Record, name: str, what: str, problems: list[str]) -> int | None:
    value = record.get(name)
    if not value:
        return None
    try:
        return parse_pounds(value, what)
    except ValueError as exc:
        problems.append(f"{str(exc)[0].lower()}{str(exc)[1:]} (found '{value}')")
        return None


def _row(record: Record) -> tuple[PurchaseRow | None, list[str]]:
    problems: list[str] = []
    if record.overflow:
        problems.append(
            f"has {record.overflow} more value(s) than there are column headings (a value "
            "containing a comma must be in double quotes)"
        )
    provider = record.get("provider")
    if not provider:
        problems.append("provider is empty")
    elif len(provider) > 200:
        problems.append("provider is longer than 200 characters")
    module, title = record.get("module") or None, record.get("course_title")
    if module is None and not title:
        problems.append("give the module (as in the catalogue) or the course title")
    if len(title) > 200:
        problems.append("course title is longer than 200 characters")
    purchased: dt.date | None = None
    if not record.get("purchased_on"):
        problems.append("date is empty: write it as dd/mm/yyyy")
    else:
        try:
            purchased = parse_date(record.get("purchased_on"))
        except ValueError as exc:
            problems.append(f"date {exc}")
    delivered: dt.date | None = None
    if record.get("delivered_on"):
        try:
            delivered = parse_date(record.get("delivered_on"))
        except ValueError as exc:
            problems.append(f"delivery date {exc}")
    vat_text = record.get("vat_rate").strip().lower()
    vat_rate = _VAT.get(vat_text.replace(" ", "")) if vat_text else None
    if vat_text and vat_rate is None:
        problems.append(
            f"VAT rate '{record.get('vat_rate')}' must be 20% (standard), 0% (exempt or "
            "zero-rated) or empty (not stated)"
        )
    delegates = 1
    if record.get("delegates"):
        text = record.get("delegates")
        number = whole_number(text, low=1, high=1000)
        if number is None:
            problems.append(f"delegates '{text}' must be a whole number from 1 to 1000")
        else:
            delegates = number
    price = _money(record, "list_price", "The list price", problems)
    if price is None and not record.get("list_price"):
        problems.append("list price is empty")
    discount = _money(record, "discount", "The discount", problems)
    supply = _money(record, "supply", "The supply cover", problems) or 0
    travel = _money(record, "travel", "Travel", problems) or 0
    supply_code = record.get("supply_code").upper() or None
    if supply_code is not None and supply_code not in SUPPLY_CODES:
        problems.append(f"supply code '{supply_code}' must be E02 or E26")
    funding: FundingSource | None = None
    if record.get("funding"):
        key = "".join(ch for ch in record.get("funding").lower() if ch.isalnum())
        funding = _FUNDING.get(key)
        if funding is None:
            problems.append(
                f"funding source '{record.get('funding')}' must be school budget, trust "
                "central, grant or NPQ scholarship"
            )
    sen = record.get("notional_sen").lower()
    if sen not in _YES | _NO:
        problems.append(f"notional SEN '{record.get('notional_sen')}' must be yes or no")
    finance_code = (record.get("finance_code") or "E09").upper()
    if len(finance_code) > 10:
        problems.append("finance code is longer than 10 characters")
    nominal_code = record.get("nominal_code")
    if len(nominal_code) > 30:
        problems.append("trust nominal code is longer than 30 characters")
    reference = record.get("reference")
    if len(reference) > 100:
        problems.append("reference is longer than 100 characters")
    if problems or purchased is None or price is None:
        return None, problems
    return (
        PurchaseRow(
            row=record.row,
            school_urn=record.get("school_urn") or None,
            provider=provider,
            module=module,
            course_title=title,
            purchased_on=purchased,
            delegates=delegates,
            list_price_pence=price,
            discount_pence=discount,
            discount_reason=record.get("discount_reason"),
            supply_pence=supply,
            supply_code=supply_code,
            travel_pence=travel,
            funding=funding,
            finance_code=finance_code,
            notional_sen=sen in _YES,
            reference=reference,
            delivered_on=delivered,
            vat_rate=vat_rate,
            nominal_code=nominal_code,
        ),
        [],
    )


@dataclass(frozen=True)
class PlannedPurchase:
    row: PurchaseRow
    school: str
    title: str
    discount_pence: int
    net_pence: int
    skipped: bool = False

    @property
    def describe(self) -> str:
        return "Already imported (same reference): skipped" if self.skipped else "New purchase"


@dataclass
class PurchasePlan:
    organisation_id: int
    school_id: int | None
    parsed: ParsedFile[PurchaseRow]
    changes: list[PlannedPurchase] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)

    kind = KIND

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def counts(self) -> dict[str, int]:
        skipped = sum(1 for c in self.changes if c.skipped)
        return {"added": len(self.changes) - skipped, "skipped": skipped}


class AlreadyApplied(Exception):
    pass


class PurchaseImportService:
    def __init__(
        self,
        session: Session,
        audit: AuditService,
        clock: Callable[[], dt.datetime],
        records: SpendService,
    ) -> None:
        self.session = session
        self.audit = audit
        self.clock = clock
        self.records = records

    def submit(
        self,
        organisation_id: int,
        school_id: int | None,
        file_name: str,
        content: bytes,
        uploaded_by_id: int | None,
    ) -> tuple[PurchasePlan, ImportUpload | None]:
        """Check a file; keep it for preview and apply only when it has no problems."""
        plan = self.check(organisation_id, school_id, content, uploaded_by_id)
        if not plan.ok:
            return plan, None
        upload = ImportUpload(
            organisation_id=organisation_id,
            kind=KIND,
            school_id=school_id,
            file_name=file_name[:255],
            content=content,
            uploaded_by_id=uploaded_by_id,
            created_at=self.clock(),
        )
        self.session.add(upload)
        self.session.flush()
        self.audit.record(
            "import.uploaded",
            organisation_id=organisation_id,
            entity_type="import_upload",
            entity_id=upload.id,
            kind=KIND,
            file_name=upload.file_name,
            school_id=school_id,
            rows=plan.parsed.data_rows,
            sha256=hashlib.sha256(content).hexdigest(),
        )
        return plan, upload

    def upload(self, organisation_id: int, upload_id: int) -> ImportUpload | None:
        return self.session.scalar(
            select(ImportUpload).where(
                ImportUpload.id == upload_id,
                ImportUpload.organisation_id == organisation_id,
                ImportUpload.kind == KIND,
            )
        )

    def check(
        self, organisation_id: int, school_id: int | None, content: bytes, by: int | None
    ) -> PurchasePlan:
        """Every row through the purchase rules, then rolled back: nothing is written."""
        savepoint = self.session.begin_nested()
        try:
            return self._run(organisation_id, school_id, content, by)
        finally:
            savepoint.rollback()

    def apply(self, upload: ImportUpload, by: int | None) -> PurchasePlan:
        """Write every row, or none (the plan's errors say why)."""
        if upload.applied_at is not None:
            raise AlreadyApplied
        claimed = self.session.execute(
            update(ImportUpload)
            .where(ImportUpload.id == upload.id, ImportUpload.applied_at.is_(None))
            .values(applied_at=self.clock())
            .execution_options(synchronize_session=False)
        )
        self.session.refresh(upload, ["applied_at"])
        if getattr(claimed, "rowcount", 0) != 1:
            raise AlreadyApplied
        savepoint = self.session.begin_nested()
        plan = self._run(upload.organisation_id, upload.school_id, upload.content, by)
        if not plan.ok:
            savepoint.rollback()
            return plan
        savepoint.commit()
        self.audit.record(
            "import.applied",
            organisation_id=upload.organisation_id,
            entity_type="import_upload",
            entity_id=upload.id,
            kind=KIND,
            file_name=upload.file_name,
            school_id=upload.school_id,
            rows=plan.parsed.data_rows,
            counts=plan.counts,
        )
        self.session.flush()
        return plan

    def import_file(
        self, organisation_id: int, school_id: int | None, content: bytes, file_name: str
    ) -> PurchasePlan:
        """The command line's import: every row written, or none (no upload is kept)."""
        savepoint = self.session.begin_nested()
        plan = self._run(organisation_id, school_id, content, None)
        if not plan.ok:
            savepoint.rollback()
            return plan
        savepoint.commit()
        self.audit.record(
            "import.applied",
            organisation_id=organisation_id,
            entity_type="import_upload",
            kind=KIND,
            file_name=file_name,
            school_id=school_id,
            rows=plan.parsed.data_rows,
            counts=plan.counts,
        )
        self.session.flush()
        return plan

    def _run(
        self, organisation_id: int, school_id: int | None, content: bytes, by: int | None
    ) -> PurchasePlan:
        parsed = parse_purchases_csv(content)
        plan = PurchasePlan(organisation_id, school_id, parsed, errors=list(parsed.errors))
        if any(p.row is None for p in parsed.errors):
            return plan
        schools = {
            s.urn: s
            for s in self.session.scalars(
                select(School).where(School.organisation_id == organisation_id)
            )
        }
        catalogue = Catalogue(
            KnownModule(m.id, m.slug, m.title, m.cpd_hours)
            for m in self.session.scalars(
                select(Module).where(Module.organisation_id == organisation_id)
            )
        )
        references = set(
            self.session.scalars(
                select(Purchase.reference).where(
                    Purchase.organisation_id == organisation_id, Purchase.reference != ""
                )
            )
        )
        seen: set[str] = set()
        for row in parsed.rows:
            problems: list[str] = []
            school = schools.get(row.school_urn) if row.school_urn else None
            if row.school_urn and school is None:
                problems.append(f"school URN {row.school_urn} is not a school of your organisation")
            if school_id is not None:
                if school is None and not row.school_urn:
                    school = next((s for s in schools.values() if s.id == school_id), None)
                elif school is not None and school.id != school_id:
                    problems.append(
                        f"school URN {row.school_urn} is not the school you are importing for"
                    )
            module: KnownModule | None = None
            if row.module:
                found = catalogue.find(row.module)
                if isinstance(found, str):
                    problems.append(found)
                else:
                    module = found
            if row.reference and row.reference in references | seen:
                plan.changes.append(PlannedPurchase(row, "", "", 0, 0, skipped=True))
                continue
            if problems:
                plan.errors.extend(Problem(row.row, p) for p in problems)
                continue
            funding = row.funding or (
                FundingSource.SCHOOL_BUDGET if school is not None else FundingSource.TRUST_CENTRAL
            )
            details = PurchaseDetails(
                school_id=None if school is None else school.id,
                provider_id=self.records.provider_named(organisation_id, row.provider).id,
                module_id=None if module is None else module.id,
                course_title=row.course_title,
                purchased_on=row.purchased_on,
                delegates=row.delegates,
                list_price_pence=row.list_price_pence,
                discount_pence=row.discount_pence,
                discount_reason=row.discount_reason,
                supply_pence=row.supply_pence,
                supply_code=row.supply_code,
                travel_pence=row.travel_pence,
                funding_source=funding,
                finance_code=row.finance_code,
                notional_sen=row.notional_sen,
                reference=row.reference,
                delivered_on=row.delivered_on,
                vat_rate=row.vat_rate,
                nominal_code=row.nominal_code,
            )
            try:
                purchase = self.records.save_purchase(
                    organisation_id, details, None, recorded_by_id=by, source="import"
                )
            except SpendError as exc:
                message = str(exc)
                if exc.field == "discount_reason":
                    message += " in the Discount reason column"
                plan.errors.append(Problem(row.row, message[0].lower() + message[1:]))
                continue
            if row.reference:
                seen.add(row.reference)
            plan.changes.append(
                PlannedPurchase(
                    row,
                    CENTRAL if school is None else school.name,
                    module.title if module else row.course_title,
                    purchase.discount_pence,
                    purchase.net_pence,
                )
            )
        plan.errors.sort(key=lambda p: p.row or 0)
        return plan
