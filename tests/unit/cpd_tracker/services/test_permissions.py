"""LMS roles to tool permissions: course roles decide first (Canvas sends institution roles
everywhere), system administrators lead the trust, unknown and empty roles are staff."""

from __future__ import annotations

import pytest

from cpd_tracker.models import PermissionKind as K
from cpd_tracker.services.permissions import suggest_permissions
from lti import roles as r
from lti.roles import Roles

INSTITUTION_STUDENT = r.INSTITUTION + "Student"


@pytest.mark.parametrize(
    ("raw", "kinds", "landing"),
    [
        ([r.LEARNER], {K.STAFF}, K.STAFF),
        (["Learner"], {K.STAFF}, K.STAFF),
        ([r.INSTRUCTOR], {K.STAFF, K.CPD_LEAD}, K.CPD_LEAD),
        (["Instructor"], {K.STAFF, K.CPD_LEAD}, K.CPD_LEAD),
        ([r.INSTRUCTOR, r.TEACHING_ASSISTANT], {K.STAFF}, K.STAFF),
        ([r.INSTITUTION_ADMINISTRATOR, r.SYSTEM_USER], {K.STAFF, K.TRUST_LEADER}, K.TRUST_LEADER),
        # Canvas: an account admin enrolled as a student in this course is a student here.
        ([r.LEARNER, r.INSTITUTION_ADMINISTRATOR, INSTITUTION_STUDENT], {K.STAFF}, K.STAFF),
        # Moodle: site administrators get system Administrator in every course.
        (
            [r.INSTRUCTOR, r.SYSTEM_ADMINISTRATOR, r.INSTITUTION_ADMINISTRATOR],
            {K.STAFF, K.CPD_LEAD, K.TRUST_LEADER},
            K.TRUST_LEADER,
        ),
        (["http://example.org/unknown#Role"], {K.STAFF}, K.STAFF),
        ([], {K.STAFF}, K.STAFF),
    ],
)
def test_suggestions(raw: list[str], kinds: set[K], landing: K) -> None:
    suggestion = suggest_permissions(Roles.parse(raw))
    assert suggestion.kinds == frozenset(kinds)
    assert suggestion.landing is landing
