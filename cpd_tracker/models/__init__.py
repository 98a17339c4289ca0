"""Typed models on one ``Base``, one module per aggregate."""

from cpd_tracker.models.audit import AuditEntry
from cpd_tracker.models.base import Base
from cpd_tracker.models.lti_state import LoginState, ToolKey
from cpd_tracker.models.organisation import Organisation, OrganisationKind, School
from cpd_tracker.models.person import (
    Permission,
    PermissionKind,
    PermissionSource,
    Person,
    StaffRole,
    StaffRoleKind,
)
from cpd_tracker.models.platform import Course, Deployment, PlatformRegistration

__all__ = [
    "AuditEntry",
    "Base",
    "Course",
    "Deployment",
    "LoginState",
    "Organisation",
    "OrganisationKind",
    "Permission",
    "PermissionKind",
    "PermissionSource",
    "Person",
    "PlatformRegistration",
    "School",
    "StaffRole",
    "StaffRoleKind",
    "ToolKey",
]
