"""lti.roles: reading the roles claim as Moodle, Canvas and the certification suite send it."""

from __future__ import annotations

import pytest

from lti import roles as r
from lti.roles import Roles, normalise
from tests.support.platform import TestPlatform
from tests.support.platform_users import USER_KINDS

TA_LOWER = "http://purl.imsglobal.org/vocab/lis/v2/membership/instructor#TeachingAssistant"


@pytest.mark.parametrize("raw", [None, "Instructor", 5, {"a": 1}, b"Learner"])
def test_anything_but_a_list_is_no_roles(raw: object) -> None:
    assert Roles.parse(raw) == Roles()


def test_non_strings_and_blanks_are_dropped() -> None:
    roles = Roles.parse([r.LEARNER, 5, None, "", "  ", {"x": 1}])
    assert roles.all == (r.LEARNER,)


def test_duplicates_are_dropped_in_order() -> None:
    assert Roles.parse(["Learner", r.LEARNER, r.SYSTEM_USER]).all == (r.LEARNER, r.SYSTEM_USER)


@pytest.mark.parametrize(
    ("short", "full"),
    [
        ("Learner", r.LEARNER),
        ("Instructor", r.INSTRUCTOR),
        ("Administrator", r.CONTEXT_ADMINISTRATOR),
        ("ContentDeveloper", r.CONTENT_DEVELOPER),
        ("Mentor", r.MENTOR),
        ("TeachingAssistant", r.CONTEXT + "TeachingAssistant"),
        (" Learner ", r.LEARNER),
    ],
)
def test_short_context_roles_are_normalised(short: str, full: str) -> None:
    assert normalise(short) == full


@pytest.mark.parametrize(
    ("legacy", "full"),
    [
        ("urn:lti:role:ims/lis/Instructor", r.INSTRUCTOR),
        ("urn:lti:role:ims/lis/Instructor/TeachingAssistant", r.TEACHING_ASSISTANT),
        ("urn:lti:instrole:ims/lis/Administrator", r.INSTITUTION_ADMINISTRATOR),
        ("urn:lti:sysrole:ims/lis/SysAdmin", r.SYSTEM_SYSADMIN),
    ],
)
def test_lti_1_1_urns_are_normalised(legacy: str, full: str) -> None:
    assert normalise(legacy) == full


def test_unknown_roles_are_kept_and_ignored() -> None:
    unknown = "http://example.org/roles#Wizard"
    roles = Roles.parse([unknown, "Superuser"])
    assert roles.all == (unknown, "Superuser")
    assert roles.context == roles.institution == roles.system == ()
    assert not roles.is_instructor
    assert not roles.is_learner
    assert not roles.is_teaching_assistant
    assert not roles.is_institution_admin
    assert not roles.is_system_admin


def test_roles_are_sorted_into_vocabularies() -> None:
    roles = Roles.parse(
        [
            r.INSTRUCTOR,
            r.TEACHING_ASSISTANT,
            r.INSTITUTION_ADMINISTRATOR,
            r.DEPRECATED_PERSON + "Administrator",
            r.SYSTEM_USER,
            r.LTI_SYSTEM + "TestUser",
        ]
    )
    assert roles.context == (r.INSTRUCTOR, r.TEACHING_ASSISTANT)
    assert roles.institution == (r.INSTITUTION_ADMINISTRATOR, r.DEPRECATED_PERSON + "Administrator")
    assert roles.system == (r.SYSTEM_USER, r.LTI_SYSTEM + "TestUser")


@pytest.mark.parametrize(
    ("raw", "instructor", "ta", "learner"),
    [
        ([r.INSTRUCTOR], True, False, False),
        ([r.CONTEXT_ADMINISTRATOR], True, False, False),
        ([r.CONTENT_DEVELOPER], True, False, False),
        ([r.CONTEXT_SUB + "Instructor#PrimaryInstructor"], True, False, False),
        ([r.INSTRUCTOR, r.TEACHING_ASSISTANT], False, True, False),
        ([r.INSTRUCTOR, TA_LOWER], False, True, False),
        ([r.CONTEXT_SUB + "Instructor#TeachingAssistantSection"], False, True, False),
        (["TeachingAssistant"], False, True, False),
        ([r.LEARNER], False, False, True),
        ([r.CONTEXT_SUB + "Learner#NonCreditLearner"], False, False, True),
        ([r.MENTOR], False, False, False),
        ([r.CONTEXT_SUB + "Instructor"], False, False, False),  # no sub-role: not a role
        ([], False, False, False),
    ],
)
def test_context_role_properties(raw: list[str], instructor: bool, ta: bool, learner: bool) -> None:
    roles = Roles.parse(raw)
    assert roles.is_instructor is instructor
    assert roles.is_teaching_assistant is ta
    assert roles.is_learner is learner


def test_mentor() -> None:
    assert Roles.parse([r.MENTOR]).is_mentor
    assert not Roles.parse([r.LEARNER]).is_mentor


@pytest.mark.parametrize(
    ("raw", "institution", "system"),
    [
        ([r.INSTITUTION_ADMINISTRATOR], True, False),
        ([r.DEPRECATED_PERSON + "Administrator"], True, False),
        ([r.SYSTEM_ADMINISTRATOR], False, True),
        ([r.SYSTEM_SYSADMIN], False, True),
        ([r.SYSTEM_USER, r.INSTITUTION + "Student"], False, False),
        ([r.CONTEXT_ADMINISTRATOR], False, False),
    ],
)
def test_admin_properties(raw: list[str], institution: bool, system: bool) -> None:
    roles = Roles.parse(raw)
    assert roles.is_institution_admin is institution
    assert roles.is_system_admin is system


EXPECTED = {
    # dialect, user: (instructor, ta, learner, institution admin, system admin, context roles)
    ("moodle", "learner"): (False, False, True, False, False, True),
    ("moodle", "instructor"): (True, False, False, False, False, True),
    ("moodle", "ta"): (False, False, True, False, False, True),
    ("moodle", "admin"): (True, False, False, True, True, True),
    ("moodle", "admin_as_learner"): (True, False, False, True, True, True),
    ("moodle", "designer"): (True, False, False, False, False, True),
    ("moodle", "mentor"): (False, False, True, False, False, True),
    ("moodle", "anonymous"): (False, False, False, False, False, False),
    ("canvas", "learner"): (False, False, True, False, False, True),
    ("canvas", "instructor"): (True, False, False, False, False, True),
    ("canvas", "ta"): (False, True, False, False, False, True),
    ("canvas", "admin"): (False, False, False, True, False, False),
    ("canvas", "admin_as_learner"): (False, False, True, True, False, True),
    ("canvas", "designer"): (True, False, False, False, False, True),
    ("canvas", "mentor"): (False, False, False, False, False, True),
    ("canvas", "anonymous"): (False, False, False, False, False, False),
}


@pytest.mark.parametrize("dialect", ["moodle", "canvas"])
@pytest.mark.parametrize("user", USER_KINDS)
def test_what_each_platform_user_is(dialect: str, user: str) -> None:
    platform = TestPlatform(dialect)  # type: ignore[arg-type]
    roles = Roles.parse(list(platform.user(user).roles))  # type: ignore[arg-type]
    assert (
        roles.is_instructor,
        roles.is_teaching_assistant,
        roles.is_learner,
        roles.is_institution_admin,
        roles.is_system_admin,
        roles.has_context_roles,
    ) == EXPECTED[(dialect, user)]
