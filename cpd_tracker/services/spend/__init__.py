"""Training spend: providers, memberships, purchases (``records``), the spend report
(``report``) and the purchases CSV import (``imports``). The money rules themselves are pure
functions in ``cpd_tracker/rules/money.py``."""

from cpd_tracker.services.spend.records import (
    SUPPLY_CODES,
    MembershipDetails,
    PurchaseDetails,
    RuleDetails,
    SpendError,
    SpendService,
)
from cpd_tracker.services.spend.report import (
    BASIS_LABELS,
    FUNDING_LABELS,
    Scope,
    SpendReport,
    SpendReportService,
    Table,
)

__all__ = [
    "BASIS_LABELS",
    "FUNDING_LABELS",
    "SUPPLY_CODES",
    "MembershipDetails",
    "PurchaseDetails",
    "RuleDetails",
    "Scope",
    "SpendError",
    "SpendReport",
    "SpendReportService",
    "SpendService",
    "Table",
]
