"""The people a TestPlatform can launch as, with the roles each LMS really sends them.

Moodle (mod/lti/locallib.php, lti_get_ims_role): ``membership#Instructor`` when the user can
manage activities in the course, else ``membership#Learner``; site admins also get system and
institution ``Administrator``. A non-editing teacher cannot manage activities, so Moodle sends a
TA ``Learner``. ``login_hint`` is the Moodle user id, equal to ``sub``.

Canvas ("Canvas Roles" in the Canvas developer docs): teacher ``membership#Instructor``, TA
``membership#Instructor`` plus ``membership/Instructor#TeachingAssistant``, institution roles for
account admins in every course (even where they are students), ``system/person#User`` for
everyone. ``login_hint`` is opaque and differs from ``sub``.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Literal

from lti import roles as r

Dialect = Literal["moodle", "canvas"]
UserKind = Literal[
    "learner", "instructor", "ta", "admin", "admin_as_learner", "designer", "mentor", "anonymous"
]
USER_KINDS: tuple[UserKind, ...] = (
    "learner",
    "instructor",
    "ta",
    "admin",
    "admin_as_learner",
    "designer",
    "mentor",
    "anonymous",
)

INSTITUTION_STUDENT = r.INSTITUTION + "Student"
INSTITUTION_INSTRUCTOR = r.INSTITUTION + "Instructor"
SYSTEM_NONE = r.SYSTEM + "None"

_MOODLE_ADMIN = (r.SYSTEM_ADMINISTRATOR, r.INSTITUTION_ADMINISTRATOR)
_MOODLE_ROLES: dict[UserKind, tuple[str, ...]] = {
    "learner": (r.LEARNER,),
    "instructor": (r.INSTRUCTOR,),
    "ta": (r.LEARNER,),  # a non-editing teacher: no moodle/course:manageactivities
    "admin": (r.INSTRUCTOR, *_MOODLE_ADMIN),
    "admin_as_learner": (r.INSTRUCTOR, *_MOODLE_ADMIN),  # a site admin holds every capability
    "designer": (r.INSTRUCTOR,),
    "mentor": (r.LEARNER,),
    "anonymous": (),
}
_MOODLE_IDS: dict[UserKind, str] = {
    "admin": "2",
    "instructor": "3",
    "learner": "4",
    "ta": "5",
    "admin_as_learner": "6",
    "designer": "7",
    "mentor": "8",
    "anonymous": "1",  # Moodle's guest user
}

_CANVAS_ROLES: dict[UserKind, tuple[str, ...]] = {
    "learner": (r.LEARNER, INSTITUTION_STUDENT, r.SYSTEM_USER),
    "instructor": (r.INSTRUCTOR, INSTITUTION_INSTRUCTOR, r.SYSTEM_USER),
    "ta": (r.INSTRUCTOR, r.TEACHING_ASSISTANT, INSTITUTION_INSTRUCTOR, r.SYSTEM_USER),
    "admin": (r.INSTITUTION_ADMINISTRATOR, r.SYSTEM_USER),
    "admin_as_learner": (
        r.LEARNER,
        r.INSTITUTION_ADMINISTRATOR,
        INSTITUTION_STUDENT,
        r.SYSTEM_USER,
    ),
    "designer": (r.CONTENT_DEVELOPER, r.SYSTEM_USER),
    "mentor": (r.MENTOR, r.SYSTEM_USER),
    "anonymous": (SYSTEM_NONE,),
}

_NAMES: dict[UserKind, tuple[str, str]] = {
    "learner": ("Lena", "Learner"),
    "instructor": ("Ian", "Instructor"),
    "ta": ("Tara", "Assistant"),
    "admin": ("Ada", "Admin"),
    "admin_as_learner": ("Alan", "Adminstudent"),
    "designer": ("Dee", "Designer"),
    "mentor": ("Morag", "Mentor"),
    "anonymous": ("", ""),
}


@dataclass(frozen=True)
class PlatformUser:
    kind: UserKind
    sub: str | None
    login_hint: str
    given_name: str
    family_name: str
    email: str
    roles: tuple[str, ...]
    #: Canvas's LTI 1.1 user id, sent as ``lti11_legacy_user_id``.
    legacy_id: str

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"


def platform_user(dialect: Dialect, issuer: str, kind: UserKind) -> PlatformUser:
    given, family = _NAMES[kind]
    email = f"{given.lower()}.{family.lower()}@school.example.org"
    legacy = hashlib.sha1(f"{issuer}|{kind}|legacy".encode()).hexdigest()  # noqa: S324
    if dialect == "moodle":
        user_id = _MOODLE_IDS[kind]
        return PlatformUser(
            kind=kind,
            sub=None if kind == "anonymous" else user_id,
            login_hint=user_id,
            given_name=given,
            family_name=family,
            email=email,
            roles=_MOODLE_ROLES[kind],
            legacy_id=legacy,
        )
    sub = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{issuer}/users/{kind}"))
    return PlatformUser(
        kind=kind,
        sub=None if kind == "anonymous" else sub,
        # Opaque, and never the sub: tools that treat it as a user id break on Canvas.
        login_hint=hashlib.sha1(f"{issuer}|{kind}|hint".encode()).hexdigest(),  # noqa: S324
        given_name=given,
        family_name=family,
        email=email,
        roles=_CANVAS_ROLES[kind],
        legacy_id=legacy,
    )
