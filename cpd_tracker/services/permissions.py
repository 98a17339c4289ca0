"""Which tool permissions a person's LMS roles suggest. A pure function of the roles.

Course (membership) roles decide first, because Canvas sends institution roles such as
``institution/person#Administrator`` in every course, even where that person is only a student
(LTI.md, "Canvas as a platform"). Institution and system administrators become trust leaders
only when they launch with no course role, or when they are system administrators (Moodle sends
``system/person#Administrator`` to site administrators only). Unknown and empty roles land as
staff members.
"""

from __future__ import annotations

from dataclasses import dataclass

from cpd_tracker.models import PermissionKind
from lti.roles import Roles


@dataclass(frozen=True)
class Suggestion:
    kinds: frozenset[PermissionKind]
    #: The LMS names this person its (system or institution) administrator: they may link a
    #: course to a school, which the LMS's custom parameter would otherwise say.
    lms_admin: bool = False

    @property
    def landing(self) -> PermissionKind:
        for kind in (PermissionKind.TRUST_LEADER, PermissionKind.CPD_LEAD):
            if kind in self.kinds:
                return kind
        return PermissionKind.STAFF


def suggest_permissions(roles: Roles) -> Suggestion:
    kinds = {PermissionKind.STAFF}
    if roles.has_context_roles:
        if roles.is_instructor and not roles.is_teaching_assistant:
            kinds.add(PermissionKind.CPD_LEAD)
    elif roles.is_institution_admin:
        kinds.add(PermissionKind.TRUST_LEADER)
    if roles.is_system_admin:
        kinds.add(PermissionKind.TRUST_LEADER)
    return Suggestion(
        frozenset(kinds), lms_admin=roles.is_system_admin or roles.is_institution_admin
    )
