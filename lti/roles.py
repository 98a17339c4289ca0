"""The ``roles`` claim, read once (LTI Core 1.3 §5.3.7 and Appendix A.2, role vocabularies).

Three vocabularies: system (A.2.1), institution (A.2.2) and context (A.2.3, "membership"), with
context sub-roles written ``membership/{Principal}#{Sub}`` (A.2.3.1). Short context names such
as ``Learner`` are deprecated but allowed ("conforming implementations MAY recognize the simple
names"), and the certification suite sends one, so they are normalised to the full URI.

Platform facts this module has to live with:

* Canvas sends a teaching assistant ``membership#Instructor`` *and*
  ``membership/Instructor#TeachingAssistant`` (Canvas docs, "Canvas Roles", LIS 2.0 table); an
  older Canvas spelt the sub-role path in lower case. A TA is therefore not an instructor here.
* Canvas sends institution roles (``institution/person#Administrator``) in every course, even
  where the person is only a student, and ``system/person#User`` to everyone: callers decide on
  context roles first (:attr:`Roles.has_context_roles`).
* Moodle sends site admins ``system/person#Administrator`` and
  ``institution/person#Administrator`` alongside their course role.

Unknown roles are kept in :attr:`Roles.all` and ignored by the properties.
"""

from __future__ import annotations

from dataclasses import dataclass

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
CONTEXT = LIS + "membership#"
CONTEXT_SUB = LIS + "membership/"
INSTITUTION = LIS + "institution/person#"
SYSTEM = LIS + "system/person#"
#: Deprecated in 1.3 (A.2.1/A.2.2 notes): the "person" vocabulary without system/institution.
DEPRECATED_PERSON = LIS + "person#"
#: LTI's own system vocabulary (A.2.4), e.g. Canvas's student view ``TestUser``.
LTI_SYSTEM = "http://purl.imsglobal.org/vocab/lti/system/person#"

LEARNER = CONTEXT + "Learner"
INSTRUCTOR = CONTEXT + "Instructor"
CONTEXT_ADMINISTRATOR = CONTEXT + "Administrator"
CONTENT_DEVELOPER = CONTEXT + "ContentDeveloper"
MENTOR = CONTEXT + "Mentor"
TEACHING_ASSISTANT = CONTEXT_SUB + "Instructor#TeachingAssistant"
INSTITUTION_ADMINISTRATOR = INSTITUTION + "Administrator"
SYSTEM_ADMINISTRATOR = SYSTEM + "Administrator"
SYSTEM_SYSADMIN = SYSTEM + "SysAdmin"
SYSTEM_USER = SYSTEM + "User"

#: Context role names (A.2.3, plus LIS's TeachingAssistant principal role) that may arrive short.
SHORT_CONTEXT_ROLES = frozenset(
    {
        "Administrator",
        "ContentDeveloper",
        "Instructor",
        "Learner",
        "Mentor",
        "Manager",
        "Member",
        "Officer",
        "TeachingAssistant",
    }
)

#: LTI 1.1 URNs still sent by a few platforms in 1.3 launches; mapped onto the 1.3 URIs.
_LEGACY_PREFIXES = (
    ("urn:lti:role:ims/lis/", "context"),
    ("urn:lti:instrole:ims/lis/", INSTITUTION),
    ("urn:lti:sysrole:ims/lis/", SYSTEM),
)

_INSTRUCTOR_LIKE = frozenset({"instructor", "administrator", "contentdeveloper"})
_TA_SUBROLE_PREFIX = "teachingassistant"  # TeachingAssistant, ...Section, ...Offering, ...


def normalise(role: str) -> str:
    """The full 1.3 URI for a short or legacy role; any other string unchanged."""
    role = role.strip()
    if role in SHORT_CONTEXT_ROLES:
        return CONTEXT + role
    for prefix, target in _LEGACY_PREFIXES:
        if role.startswith(prefix):
            name = role[len(prefix) :]
            if target != "context":
                return target + name
            principal, _, sub = name.partition("/")
            return f"{CONTEXT_SUB}{principal}#{sub}" if sub else CONTEXT + principal
    return role


def _context_parts(role: str) -> tuple[str, str | None] | None:
    """(principal, sub-role) in lower case for a context role, else None."""
    if role.startswith(CONTEXT):
        return role[len(CONTEXT) :].lower(), None
    if role.startswith(CONTEXT_SUB):
        principal, sep, sub = role[len(CONTEXT_SUB) :].partition("#")
        if sep:
            return principal.lower(), sub.lower()
    return None


@dataclass(frozen=True)
class Roles:
    """A launch's roles, normalised and sorted into the three vocabularies."""

    all: tuple[str, ...] = ()
    context: tuple[str, ...] = ()
    institution: tuple[str, ...] = ()
    system: tuple[str, ...] = ()

    @classmethod
    def parse(cls, raw: object) -> Roles:
        """Read the roles claim; anything but a list of strings yields what can be salvaged."""
        if not isinstance(raw, list | tuple):
            return cls()
        seen: dict[str, None] = {}
        for item in raw:
            if isinstance(item, str) and item.strip():
                seen.setdefault(normalise(item), None)
        roles = tuple(seen)
        return cls(
            all=roles,
            context=tuple(r for r in roles if _context_parts(r) is not None),
            # The deprecated "person" vocabulary was shared by both; Administrator there is
            # far more often an institution admin than a system one.
            institution=tuple(r for r in roles if r.startswith((INSTITUTION, DEPRECATED_PERSON))),
            system=tuple(r for r in roles if r.startswith((SYSTEM, LTI_SYSTEM))),
        )

    def _parts(self) -> list[tuple[str, str | None]]:
        return [p for p in map(_context_parts, self.context) if p is not None]

    @property
    def has_context_roles(self) -> bool:
        return bool(self.context)

    @property
    def is_teaching_assistant(self) -> bool:
        return any(
            principal == "teachingassistant"
            or (principal == "instructor" and (sub or "").startswith(_TA_SUBROLE_PREFIX))
            for principal, sub in self._parts()
        )

    @property
    def is_instructor(self) -> bool:
        """Teaches or administers this context; a teaching assistant is not an instructor."""
        if self.is_teaching_assistant:
            return False
        return any(principal in _INSTRUCTOR_LIKE for principal, _ in self._parts())

    @property
    def is_learner(self) -> bool:
        return any(principal == "learner" for principal, _ in self._parts())

    @property
    def is_mentor(self) -> bool:
        return any(principal == "mentor" for principal, _ in self._parts())

    @property
    def is_institution_admin(self) -> bool:
        admins = (INSTITUTION_ADMINISTRATOR, DEPRECATED_PERSON + "Administrator")
        return any(r in admins for r in self.institution)

    @property
    def is_system_admin(self) -> bool:
        return any(r in (SYSTEM_ADMINISTRATOR, SYSTEM_SYSADMIN) for r in self.system)
