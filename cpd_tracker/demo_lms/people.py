"""The demo trust: its schools, courses and staff, and who the demo LMS can launch as.

Names are invented; URNs sit in a range DfE does not use (9900xx) so they cannot be mistaken
for real schools.
"""

from __future__ import annotations

from dataclasses import dataclass

from lti.roles import INSTRUCTOR, LEARNER

INSTITUTION_ADMIN = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"

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
#: Roles cycled through each school's staff list.
ROLE_CYCLE = (
    "teacher",
    "teacher",
    "teaching_assistant",
    "teacher",
    "support_staff",
    "teaching_assistant",
    "teacher",
    "leader",
    "teacher",
    "teaching_assistant",
)
STAFF_PER_SCHOOL = 12


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
)


def demo_user(key: str) -> DemoUser | None:
    return next((u for u in LAUNCHABLE if u.key == key), None)
