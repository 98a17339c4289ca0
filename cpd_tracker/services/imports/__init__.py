"""Staff and completion imports from a school MIS's CSV exports: parse, plan, apply.

``csvfile`` reads the file, ``staff`` and ``completions`` hold the pure rules (parse each row,
then plan against a snapshot of the organisation), ``service`` loads snapshots and applies a
plan all or nothing.
"""

from cpd_tracker.services.imports.completions import (
    COMPLETION_TEMPLATE_HEADINGS,
    CompletionPlan,
    parse_completions_csv,
)
from cpd_tracker.services.imports.csvfile import MAX_FILE_BYTES, MAX_ROWS, ParsedFile, Problem
from cpd_tracker.services.imports.service import (
    AlreadyApplied,
    ImportConflict,
    ImportKind,
    ImportRefused,
    ImportResult,
    ImportService,
    Plan,
    Submitted,
)
from cpd_tracker.services.imports.staff import (
    STAFF_TEMPLATE_HEADINGS,
    KnownSchool,
    StaffPlan,
    parse_staff_csv,
)

__all__ = [
    "COMPLETION_TEMPLATE_HEADINGS",
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "STAFF_TEMPLATE_HEADINGS",
    "AlreadyApplied",
    "CompletionPlan",
    "ImportConflict",
    "ImportKind",
    "ImportRefused",
    "ImportResult",
    "ImportService",
    "KnownSchool",
    "ParsedFile",
    "Plan",
    "Problem",
    "StaffPlan",
    "Submitted",
    "parse_completions_csv",
    "parse_staff_csv",
]
