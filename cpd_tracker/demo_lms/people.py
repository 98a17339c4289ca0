"""The demo trust: its schools, courses and staff, and who the demo LMS can launch as.

Names are invented; URNs sit in a range DfE does not use (9900xx) so they cannot be mistaken
for real schools.
"""

from __future__ import annotations

from dataclasses import dataclass

from lti.roles import INSTRUCTOR, LEARNER

INSTITUTION_ADMIN = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"
INSTITUTION_STAFF = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Staff"

TRUST_NAME = "Oakfield Learning Trust"
SCHOOLS = (
    ("990001", "Oakfield Primary School", "primary"),
    ("990002", "Riverside Academy", "secondary"),
    ("990003", "Hillcrest Infant School", "primary"),
)
#: One staff CPD course per school, as the LMS knows them: (context id, title, label, URN).
COURSES = (
    ("demo-course-oakfield", "Oakfield Primary: staff CPD", "OAK-CPD", "990001"),
    ("demo-course-riverside", "Riverside Academy: staff CPD", "RIV-CPD", "990002"),
    ("demo-course-hillcrest", "Hillcrest Infants: staff CPD", "HIL-CPD", "990003"),
)

GIVEN = (
    "Amira",
    "Ben",
    "Chloe",
    "Dev",
    "Ellie",
    "Femi",
    "Grace",
    "Harry",
    "Isla",
    "Jamal",
    "Katie",
    "Liam",
    "Maya",
    "Noah",
    "Olivia",
    "Priya",
    "Rhys",
    "Sofia",
    "Tom",
    "Zara",
)
FAMILY = (
    "Ahmed",
    "Brown",
    "Clarke",
    "Davies",
    "Evans",
    "Foster",
    "Green",
    "Hughes",
    "Iqbal",
    "Jones",
    "Khan",
    "Lewis",
    "Morgan",
    "Nowak",
    "Owen",
    "Patel",
    "Quinn",
    "Roberts",
    "Singh",
    "Taylor",
    "Walker",
    "Young",
)
#: Pupils on roll, by URN (the spend report shares trust costs by them).
PUPILS = {"990001": 412, "990002": 1_046, "990003": 238}
#: Staff on each school's list, by URN, in proportion to its pupils as English schools staff
#: them: a primary has about one adult (teachers, TAs, support staff, leaders) per 11 pupils,
#: a secondary about one per 12 to 13 (DfE school workforce census, rounded).
STAFF = {"990001": 38, "990002": 82, "990003": 22}
#: Governors on each school's board who are on the staff list (the governor requirement's
#: audience); not counted as staff.
GOVERNORS_PER_SCHOOL = 2
#: Roles cycled through each school's staff list, by phase: a primary has about as many
#: teaching assistants as teachers, a secondary mostly teachers.
ROLE_CYCLES = {
    "primary": (
        "teacher",
        "teaching_assistant",
        "teacher",
        "teaching_assistant",
        "support_staff",
        "teacher",
        "teaching_assistant",
        "leader",
        "teacher",
        "support_staff",
    ),
    "secondary": (
        "teacher",
        "teacher",
        "teaching_assistant",
        "teacher",
        "support_staff",
        "teacher",
        "teacher",
        "support_staff",
        "teacher",
        "leader",
    ),
}


@dataclass(frozen=True)
class DemoUser:
    """Someone the demo LMS can launch as."""

    key: str
    sub: str
    given_name: str
    family_name: str
    email: str
    roles: tuple[str, ...]
    context_id: str | None
    description: str
    label: str

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"


LAUNCHABLE = (
    DemoUser(
        "teacher",
        "demo-oakfield-1",
        "Amira",
        "Ahmed",
        "amira.ahmed@oakfield.example",
        (LEARNER,),
        "demo-course-oakfield",
        "a teacher at Oakfield Primary, opening the staff CPD course",
        "teacher",
    ),
    DemoUser(
        "cpd-lead",
        "demo-riverside-lead",
        "Rhys",
        "Morgan",
        "rhys.morgan@riverside.example",
        (INSTRUCTOR,),
        "demo-course-riverside",
        "the CPD lead (course teacher) of Riverside Academy's staff CPD course",
        "CPD lead",
    ),
    DemoUser(
        "trust-leader",
        "demo-trust-leader",
        "Grace",
        "Khan",
        "grace.khan@oakfield.example",
        (INSTITUTION_ADMIN,),
        None,
        "the trust's director of inclusion, an LMS administrator with no course role",
        "trust leader",
    ),
    DemoUser(
        "finance",
        "demo-trust-finance",
        "Helen",
        "Okafor",
        "helen.okafor@oakfield.example",
        (INSTITUTION_STAFF,),
        None,
        "the trust's finance director, an LMS staff account with no course role; finance is "
        "granted in the tool, so she sees and records the trust's training spend",
        "finance",
    ),
)


def demo_user(key: str) -> DemoUser | None:
    return next((u for u in LAUNCHABLE if u.key == key), None)
