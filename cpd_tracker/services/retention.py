"""Retention rules (issue 15, finding 4): what the tool stops keeping, and when.

``cpd-tracker retention run [--dry-run]`` applies every rule; the periods are the operator's
(``CPD_TRACKER_RETAIN_*``, ``config.RETENTION``) and the README's "Data protection" section
lists them for a school's DPO. Each rule:

=====================  ============================================================  ========
rule                   what goes                                                     default
=====================  ============================================================  ========
import-uploads         an applied import's uploaded CSV (the row), after applied      30 days
unapplied-imports      an import checked but never applied, after uploaded            7 days
rejected-evidence      the certificate file of rejected evidence (the record stays)  90 days
email-bodies           the text of a sent e-mail (who, subject and when stay: the     90 days
                       reminder must not be sent again)
login-states           LTI logins in flight, after they expired                       1 day
outbox-jobs            grade and roster jobs done or given up, after they finished   30 days
form-submissions       the once-only keys of forms acted on                           7 days
access-log             entries of the data-access log                                 2 years
leavers                a person whose leaving date is past, erased (``erasure``),     6 years
                       unless a legal hold applies (skipped and reported)
=====================  ============================================================  ========

The cutoffs are pure (``cutoffs``, ``years_before``: testable without a database). The service
reads its clock as each rule starts, removes in batches (``BATCH`` rows a statement, walking
the key upwards so a batch is never read twice), and flushes: the command commits each rule on
its own (one transaction per rule) and the service writes one audit entry per rule run, with
the counts and the cutoff only (no personal data). A dry run counts the same rows and changes
nothing.

Rejected evidence files are deleted inside the rule's transaction, before it commits: if the
commit fails the record still names a file that is gone (its download is a 404, logged), and
the next run clears it; the other order could leave a file on disk that nothing names.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Select, delete, func, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from cpd_tracker.dates import local_date
from cpd_tracker.models import (
    DataAccessEntry,
    Evidence,
    EvidenceStatus,
    FormSubmission,
    ImportUpload,
    JobStatus,
    LoginState,
    OutgoingEmail,
    Person,
    ServiceJob,
)
from cpd_tracker.services.audit import AuditService
from cpd_tracker.storage import EvidenceMissing, EvidenceStore

log = logging.getLogger(__name__)

#: Rows removed per statement: well under every database's bound-parameter limit.
BATCH = 500


@dataclass(frozen=True)
class RetentionPeriods:
    """How long each kind of data is kept: days, except leavers (years after leaving)."""

    imports_days: int = 30
    unapplied_imports_days: int = 7
    rejected_evidence_days: int = 90
    email_days: int = 90
    logins_days: int = 1
    outbox_jobs_days: int = 30
    form_submissions_days: int = 7
    access_log_days: int = 730
    leavers_years: int = 6

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> RetentionPeriods:
        """From the app's ``RETAIN_*`` keys (``config.RETENTION``)."""
        return cls(
            imports_days=config["RETAIN_IMPORTS_DAYS"],
            unapplied_imports_days=config["RETAIN_UNAPPLIED_IMPORTS_DAYS"],
            rejected_evidence_days=config["RETAIN_REJECTED_EVIDENCE_DAYS"],
            email_days=config["RETAIN_EMAIL_DAYS"],
            logins_days=config["RETAIN_LOGINS_DAYS"],
            outbox_jobs_days=config["RETAIN_OUTBOX_JOBS_DAYS"],
            form_submissions_days=config["RETAIN_FORM_SUBMISSIONS_DAYS"],
            access_log_days=config["RETAIN_ACCESS_LOG_DAYS"],
            leavers_years=config["RETAIN_LEAVERS_YEARS"],
        )


#: Rule names in the order they run, with what each removes (the command's output).
RULES: dict[str, str] = {
    "import-uploads": "applied import uploads",
    "unapplied-imports": "import uploads never applied",
    "rejected-evidence": "rejected evidence files",
    "email-bodies": "sent e-mail bodies",
    "login-states": "expired LTI logins",
    "outbox-jobs": "finished LMS outbox jobs",
    "form-submissions": "form submission keys",
    "access-log": "data-access log entries",
    "leavers": "leavers erased",
}

_PERIOD_DAYS: dict[str, str] = {
    "import-uploads": "imports_days",
    "unapplied-imports": "unapplied_imports_days",
    "rejected-evidence": "rejected_evidence_days",
    "email-bodies": "email_days",
    "login-states": "logins_days",
    "outbox-jobs": "outbox_jobs_days",
    "form-submissions": "form_submissions_days",
    "access-log": "access_log_days",
}


def cutoffs(periods: RetentionPeriods, now: dt.datetime) -> dict[str, dt.datetime]:
    """Each rule's moment: what its clock (applied, created, rejected, sent, expired,
    finished) puts strictly before it goes; at or after it stays."""
    return {
        rule: now - dt.timedelta(days=getattr(periods, attribute))
        for rule, attribute in _PERIOD_DAYS.items()
    }


def leavers_cutoff(periods: RetentionPeriods, today: dt.date) -> dt.date:
    """A leaver whose leaving date is strictly before this day is erased (today, N years ago)."""
    return years_before(today, periods.leavers_years)


def years_before(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` earlier; 29 February becomes the 28th in a common year."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


class Eraser(Protocol):
    """What the leavers rule needs of ``services/erasure.py``'s ``ErasureService``: why a
    person may not be erased now (a legal hold, already erased), and the erasure itself
    (``actor`` None: the system)."""

    def refusal(self, person: Person, today: dt.date) -> str | None: ...

    def erase(self, person: Person, actor: Person | None, reason: str) -> Any: ...


@dataclass
class RuleResult:
    """One rule's run (or dry run): how many rows are past the cutoff, and how many went."""

    name: str
    label: str
    cutoff: dt.datetime | dt.date
    #: Past the cutoff when the rule started (what a dry run reports as would-go).
    due: int
    #: Removed (0 in a dry run).
    removed: int = 0
    #: Leavers kept, with why (a legal hold): person id, reason.
    skipped: list[tuple[int, str]] = field(default_factory=list)

    @property
    def cutoff_label(self) -> str:
        if isinstance(self.cutoff, dt.datetime):
            return f"{self.cutoff:%Y-%m-%d %H:%M} UTC"
        return self.cutoff.isoformat()


Progress = Callable[[int], None]


@dataclass(frozen=True)
class _Spec:
    """A row rule: the rows past ``cutoff`` (``past``), walked by ``key``, and how they go."""

    key: InstrumentedAttribute[Any]
    past: Callable[[dt.datetime], ColumnElement[bool]]
    remove: Callable[[list[Any]], int]


class RetentionService:
    def __init__(
        self,
        session: Session,
        *,
        periods: RetentionPeriods,
        now: Callable[[], dt.datetime],
        audit: AuditService,
        evidence: EvidenceStore,
        eraser: Eraser,
        batch: int = BATCH,
    ) -> None:
        self.session = session
        self.periods = periods
        self.now = now
        self.audit = audit
        self.evidence = evidence
        self.eraser = eraser
        self.batch = batch
        self._specs: dict[str, _Spec] = {
            "import-uploads": _Spec(
                ImportUpload.id,
                lambda cutoff: ImportUpload.applied_at < cutoff,
                self._delete(ImportUpload, ImportUpload.id),
            ),
            "unapplied-imports": _Spec(
                ImportUpload.id,
                lambda cutoff: (
                    ImportUpload.applied_at.is_(None) & (ImportUpload.created_at < cutoff)
                ),
                self._delete(ImportUpload, ImportUpload.id),
            ),
            "rejected-evidence": _Spec(
                Evidence.id,
                lambda cutoff: (
                    (Evidence.status == EvidenceStatus.REJECTED)
                    & Evidence.file_key.is_not(None)
                    & (Evidence.reviewed_at < cutoff)
                ),
                self._remove_evidence_files,
            ),
            "email-bodies": _Spec(
                OutgoingEmail.id,
                lambda cutoff: (
                    OutgoingEmail.sent_at.is_not(None)
                    & (OutgoingEmail.sent_at < cutoff)
                    & (OutgoingEmail.body_text != "")
                ),
                self._blank_email_bodies,
            ),
            "login-states": _Spec(
                LoginState.state,
                lambda cutoff: LoginState.expires_at < cutoff,
                self._delete(LoginState, LoginState.state),
            ),
            "outbox-jobs": _Spec(
                ServiceJob.id,
                lambda cutoff: (
                    ServiceJob.status.in_([JobStatus.DONE, JobStatus.FAILED])
                    & (ServiceJob.finished_at < cutoff)
                ),
                self._delete(ServiceJob, ServiceJob.id),
            ),
            "form-submissions": _Spec(
                FormSubmission.id,
                lambda cutoff: FormSubmission.created_at < cutoff,
                self._delete(FormSubmission, FormSubmission.id),
            ),
            "access-log": _Spec(
                DataAccessEntry.id,
                lambda cutoff: DataAccessEntry.created_at < cutoff,
                self._delete(DataAccessEntry, DataAccessEntry.id),
            ),
        }

    def rules(self) -> list[str]:
        return list(RULES)

    def _leavers(self, cutoff: dt.date) -> Select[Any]:
        return (
            select(Person)
            .where(
                Person.leaving_date.is_not(None),
                Person.leaving_date < cutoff,
                Person.erased_at.is_(None),
            )
            .order_by(Person.id)
        )

    def _walk_leavers(self, cutoff: dt.date) -> Iterator[list[Person]]:
        last = 0
        while True:
            batch = list(
                self.session.scalars(
                    self._leavers(cutoff).where(Person.id > last).limit(self.batch)
                )
            )
            if not batch:
                return
            yield batch
            last = batch[-1].id

    def _plan_leavers(self) -> RuleResult:
        """Leavers past the period, and which of them a legal hold keeps (read only)."""
        today = local_date(self.now())
        cutoff = leavers_cutoff(self.periods, today)
        result = RuleResult(name="leavers", label=RULES["leavers"], cutoff=cutoff, due=0)
        for batch in self._walk_leavers(cutoff):
            for person in batch:
                result.due += 1
                held = self.eraser.refusal(person, today)
                if held is not None:
                    result.skipped.append((person.id, held))
        return result

    def _apply_leavers(self, progress: Progress | None) -> RuleResult:
        today = local_date(self.now())
        cutoff = leavers_cutoff(self.periods, today)
        result = RuleResult(name="leavers", label=RULES["leavers"], cutoff=cutoff, due=0)
        reason = (
            f"Retention: left more than {self.periods.leavers_years} years ago "
            f"(leaving date before {cutoff.isoformat()})"
        )
        for batch in self._walk_leavers(cutoff):
            for person in batch:
                result.due += 1
                held = self.eraser.refusal(person, today)
                if held is not None:
                    result.skipped.append((person.id, held))
                    continue
                self.eraser.erase(person, None, reason)
                result.removed += 1
            self.session.flush()
            if progress is not None:
                progress(len(batch))
        return result

    def _cutoff(self, name: str) -> dt.datetime:
        return cutoffs(self.periods, self.now())[name]

    def _ids(self, spec: _Spec, cutoff: dt.datetime) -> Select[Any]:
        return select(spec.key).where(spec.past(cutoff)).order_by(spec.key)

    def plan(self, name: str) -> RuleResult:
        """What the rule would remove now: its cutoff and the count past it (leavers: and
        those a legal hold keeps)."""
        if name == "leavers":
            return self._plan_leavers()
        return self._counted(name, self._specs[name], self._cutoff(name))

    def _counted(self, name: str, spec: _Spec, cutoff: dt.datetime) -> RuleResult:
        due = self.session.scalar(
            select(func.count()).select_from(self._ids(spec, cutoff).subquery())
        )
        return RuleResult(name=name, label=RULES[name], cutoff=cutoff, due=int(due or 0))

    def apply(self, name: str, progress: Progress | None = None) -> RuleResult:
        """Remove what is past the rule's cutoff, a batch at a time; flushed, not committed
        (the caller commits the rule as one transaction). Audited once, counts only."""
        result = self._apply_leavers(progress) if name == "leavers" else self._apply(name, progress)
        self.session.flush()
        details: dict[str, Any] = {
            "cutoff": result.cutoff.isoformat(),
            "due": result.due,
            "removed": result.removed,
        }
        if name == "leavers":
            details["kept_under_legal_hold"] = len(result.skipped)
        self.audit.record(
            "retention.applied",
            organisation_id=None,
            entity_type="retention_rule",
            entity_id=name,
            **details,
        )
        return result

    def _apply(self, name: str, progress: Progress | None) -> RuleResult:
        spec = self._specs[name]
        cutoff = self._cutoff(name)
        result = self._counted(name, spec, cutoff)
        ids = self._ids(spec, cutoff)
        last: Any = None
        while True:
            query = ids if last is None else ids.where(spec.key > last)
            chosen = list(self.session.scalars(query.limit(self.batch)))
            if not chosen:
                break
            result.removed += spec.remove(chosen)
            last = chosen[-1]
            if progress is not None:
                progress(len(chosen))
        return result

    # --- How rows go -----------------------------------------------------------------------

    def _delete(
        self, model: type[Any], key: InstrumentedAttribute[Any]
    ) -> Callable[[list[Any]], int]:
        def remove(chosen: list[Any]) -> int:
            outcome = self.session.execute(
                delete(model).where(key.in_(chosen)).execution_options(synchronize_session=False)
            )
            return int(getattr(outcome, "rowcount", 0) or 0)

        return remove

    def _remove_evidence_files(self, chosen: list[int]) -> int:
        rows = self.session.execute(
            select(Evidence.id, Evidence.organisation_id, Evidence.file_key).where(
                Evidence.id.in_(chosen)
            )
        ).all()
        for _evidence_id, organisation_id, key in rows:
            try:
                self.evidence.delete(organisation_id, str(key))
            except EvidenceMissing:  # not a key the store makes: it names no file
                log.warning("Evidence %s: file key is not a stored file's key", _evidence_id)
        outcome = self.session.execute(
            update(Evidence)
            .where(Evidence.id.in_(chosen))
            .values(file_key=None, file_name=None, content_type=None, file_size=None)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(outcome, "rowcount", 0) or 0)

    def _blank_email_bodies(self, chosen: list[int]) -> int:
        outcome = self.session.execute(
            update(OutgoingEmail)
            .where(OutgoingEmail.id.in_(chosen))
            .values(body_text="")
            .execution_options(synchronize_session=False)
        )
        return int(getattr(outcome, "rowcount", 0) or 0)
