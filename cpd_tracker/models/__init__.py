"""Typed models on one ``Base``, one module per aggregate."""

from cpd_tracker.models.access import Invitation, RateCounter
from cpd_tracker.models.audit import AuditEntry
from cpd_tracker.models.base import Base
from cpd_tracker.models.calendar import CalendarFeed
from cpd_tracker.models.catalogue import (
    Delivery,
    Module,
    ModulePage,
    Question,
    QuestionOption,
    Tier,
)
from cpd_tracker.models.completion import (
    Attempt,
    Completion,
    CompletionMethod,
    Evidence,
    EvidenceStatus,
    InsetSession,
)
from cpd_tracker.models.data_access import DataAccessEntry
from cpd_tracker.models.link_request import IdentityLinkRequest, LinkOutcome
from cpd_tracker.models.lti_services import (
    CourseMembership,
    DeepLinkRequest,
    JobKind,
    JobStatus,
    LineItemBinding,
    ResourceLink,
    ServiceJob,
)
from cpd_tracker.models.lti_state import LoginState, ToolKey
from cpd_tracker.models.organisation import (
    Organisation,
    OrganisationKind,
    School,
    SchoolCensus,
    SchoolType,
)
from cpd_tracker.models.outbox import OutgoingEmail
from cpd_tracker.models.person import (
    Permission,
    PermissionKind,
    PermissionSource,
    Person,
    StaffRole,
    StaffRoleKind,
)
from cpd_tracker.models.platform import Course, Deployment, PlatformRegistration
from cpd_tracker.models.requirement import DueRule, Exemption, Extension, RecertifyFrom, Requirement
from cpd_tracker.models.senco import (
    QualificationFunding,
    QualificationResult,
    SchoolHead,
    SencoAppointment,
    SencoDocument,
    SencoPriorService,
    SencoProvider,
    SencoQualification,
    SencoQualificationKind,
)
from cpd_tracker.models.snapshot import CoverageSnapshot
from cpd_tracker.models.spend import (
    DiscountRule,
    FundingSource,
    IncludedTraining,
    Membership,
    Provider,
    Purchase,
    PurchaseDelegate,
)
from cpd_tracker.models.status import ReportStatus, ReportStatusPerson, ReportStatusSchool
from cpd_tracker.models.submission import FormSubmission
from cpd_tracker.models.training_request import RequestStatus, TrainingRequest
from cpd_tracker.models.upload import ImportUpload

__all__ = [
    "Attempt",
    "AuditEntry",
    "Base",
    "CalendarFeed",
    "Completion",
    "CompletionMethod",
    "Course",
    "CourseMembership",
    "CoverageSnapshot",
    "DataAccessEntry",
    "DeepLinkRequest",
    "Delivery",
    "Deployment",
    "DiscountRule",
    "DueRule",
    "Evidence",
    "EvidenceStatus",
    "Exemption",
    "Extension",
    "FormSubmission",
    "FundingSource",
    "IdentityLinkRequest",
    "ImportUpload",
    "IncludedTraining",
    "InsetSession",
    "Invitation",
    "JobKind",
    "JobStatus",
    "LineItemBinding",
    "LinkOutcome",
    "LoginState",
    "Membership",
    "Module",
    "ModulePage",
    "Organisation",
    "OrganisationKind",
    "OutgoingEmail",
    "Permission",
    "PermissionKind",
    "PermissionSource",
    "Person",
    "PlatformRegistration",
    "Provider",
    "Purchase",
    "PurchaseDelegate",
    "QualificationFunding",
    "QualificationResult",
    "Question",
    "QuestionOption",
    "RateCounter",
    "RecertifyFrom",
    "ReportStatus",
    "ReportStatusPerson",
    "ReportStatusSchool",
    "RequestStatus",
    "Requirement",
    "ResourceLink",
    "School",
    "SchoolCensus",
    "SchoolHead",
    "SchoolType",
    "SencoAppointment",
    "SencoDocument",
    "SencoPriorService",
    "SencoProvider",
    "SencoQualification",
    "SencoQualificationKind",
    "ServiceJob",
    "StaffRole",
    "StaffRoleKind",
    "Tier",
    "ToolKey",
    "TrainingRequest",
]
