"""The tool in a real, stock Moodle 4.5.6, driven in headless Chromium as its admin, a teacher
and two students would (issue 13, point 3). The steps share one Moodle and one tool and run in
file order; a step that cannot start because an earlier one failed is skipped with the reason.

1. Dynamic Registration inside Moodle's own frame, from an invitation link; the tool card is
   pending until the admin activates it.
2. The admin shows the tool in the activity chooser and links courses to a school (custom
   parameter ``school_urn`` at tool level).
3. The teacher adds the tool's activity from the activity chooser.
4. Teacher and student launches (the tool third party in ``#contentframe``) land on the
   school page and on *My training*.
5. Deep Linking of one module, then of two: Moodle creates the activities and their gradebook
   columns.
6. Names and Roles: ``cpd-tracker roster sync --all`` puts both students on the staff list.
7. A student passes an in-tool module; the grade reaches Moodle's gradebook.
8. Moodle is down while the second student passes: the grade waits in the outbox and reaches
   the gradebook, once, from ``cpd-tracker lti-outbox run`` after Moodle is back.

Screenshots of every step: ``artifacts/interop/moodle/NN-step.png``.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests
from playwright.sync_api import Frame, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from cpd_tracker.catalogue.seed_data import CATALOGUE, SeedModule
from cpd_tracker.models import (
    Course,
    JobKind,
    JobStatus,
    Organisation,
    Permission,
    PermissionKind,
    Person,
    PlatformRegistration,
    School,
    ServiceJob,
)
from tests.interop.moodle.kit import MoodleKit, StandInFront, ToolServer
from tests.interop.moodle.pages import (
    TIMEOUT,
    Shots,
    frame_where,
    log_in,
    open_activity,
    tool_heading,
)

# The first step starts Moodle (on a fresh machine: PHP, nginx and a site install).
pytestmark = [pytest.mark.moodle, pytest.mark.timeout(2400)]

TOOL_NAME = "SEND CPD Tracker"
ORG_NAME = "Moodle Interop Trust"
SCHOOL_URN = "100077"
SCHOOL_NAME = "Interop Primary School"
ACTIVITY = TOOL_NAME
#: The two in-tool modules of the seeded catalogue (content pages and a knowledge check).
FIRST_MODULE = "send-code-of-practice-essentials"
SECOND_MODULE = "trauma-informed-practice-basics"
#: Any other module, deep linked together with the second one.
OTHER_MODULE = "autism-awareness"

T = TypeVar("T")


def seed(slug: str) -> SeedModule:
    return next(m for m in CATALOGUE if m.slug == slug)


@dataclass
class Journey:
    """What the steps share: the site, the tool, a signed-in page per Moodle user, and what
    each step found out for the next."""

    moodle: MoodleKit
    tool: ToolServer
    browser: Any
    shots: Shots
    org_id: int
    school_id: int
    invite: str
    pages: dict[str, Page] = field(default_factory=dict)
    done: set[str] = field(default_factory=set)
    type_id: int = 0

    @property
    def url(self) -> str:
        return self.moodle.url

    @property
    def tool_url(self) -> str:
        return self.tool.base_url

    @property
    def course_id(self) -> str:
        return self.moodle.env["MOODLE_COURSE_ID"]

    def page(self, username: str) -> Page:
        if username not in self.pages:
            password = (
                self.moodle.env["MOODLE_ADMIN_PASSWORD"]
                if username == self.moodle.env["MOODLE_ADMIN_USER"]
                else self.moodle.env["MOODLE_USER_PASSWORD"]
            )
            self.pages[username] = log_in(self.browser, self.url, username, password)
        return self.pages[username]

    def needs(self, *steps: str) -> None:
        missing = [s for s in steps if s not in self.done]
        if missing:
            pytest.skip(f"needs the earlier step(s) {', '.join(missing)}, which did not pass")

    def session(self) -> Session:
        return Session(self.tool.engine())


def eventually(
    check: Callable[[], T | None], what: str, page: Page | None = None, timeout: float = 90
) -> T:
    """Poll ``check`` until it returns something other than None. Not a timing assertion: the
    deadline only stops a test that would otherwise hang. With ``page``, waiting goes through
    Playwright, so the browser's events (frames coming and going) are seen meanwhile."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found is not None:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        if page is not None:
            page.wait_for_timeout(500)
        else:
            time.sleep(0.5)


@pytest.fixture(scope="module")
def journey(
    moodle: MoodleKit, tool: ToolServer, chromium: Any, artifacts: Path
) -> Iterator[Journey]:
    out = tool.cli("org", "add", ORG_NAME, "--kind", "trust").stdout
    org_id = int(out.split(":", 1)[0].split()[-1])
    out = tool.cli(
        "school", "add", "--org", str(org_id), "--urn", SCHOOL_URN, "--name", SCHOOL_NAME
    ).stdout
    school_id = int(out.split(":", 1)[0].split()[-1])
    invite = tool.cli("org", "invite", "--org", str(org_id), "--base-url", tool.base_url)
    found = Journey(
        moodle=moodle,
        tool=tool,
        browser=chromium,
        shots=Shots(artifacts),
        org_id=org_id,
        school_id=school_id,
        invite=invite.stdout.strip(),
    )
    try:
        yield found
    finally:
        for page in found.pages.values():
            page.context.close()


# ------------------------------------------------------------------ 1. registration


def test_dynamic_registration_inside_moodles_frame(journey: Journey) -> None:
    admin = journey.page("admin")
    admin.goto(journey.url + "/mod/lti/toolconfigure.php")
    admin.fill("#tool-url", journey.invite)
    admin.click("#tool-create-button")

    # Moodle frames startltiadvregistration.php, which redirects to the tool's page.
    frame = frame_where(
        admin,
        lambda f: f.url.startswith(journey.tool_url + "/lti/register"),
        "the tool's registration page",
    )
    tool_heading(frame, "Register SEND CPD Tracker with your LMS")
    main = frame.locator("main")
    expect(main).to_contain_text(ORG_NAME)
    expect(main).to_contain_text(journey.url)
    journey.shots(admin, "registration-in-moodle-frame")
    frame.get_by_role("button", name="Register").click()

    # The tool posts org.imsglobal.lti.close: Moodle removes the frame and reloads its list.
    eventually(
        lambda: None if any(f.url.startswith(journey.tool_url) for f in admin.frames) else True,
        "Moodle to close the registration frame",
        page=admin,
    )
    card = admin.locator(".tool-card").filter(has_text=TOOL_NAME)
    expect(card).to_have_count(1, timeout=TIMEOUT)
    expect(card).to_contain_text("Pending")
    journey.type_id = int(card.get_attribute("data-type-id") or 0)
    [tool_type] = journey.moodle.query(
        "SELECT state, clientid, baseurl FROM mdl_lti_types WHERE id = %s", (journey.type_id,)
    )
    assert tool_type["state"] == 2, tool_type  # pending
    assert tool_type["baseurl"] == journey.tool_url + "/lti/launch"
    journey.shots(admin, "tool-pending")

    card.locator("a.activate").click()
    expect(card).not_to_contain_text("Pending", timeout=TIMEOUT)
    expect(card).to_contain_text("Active")
    [tool_type] = journey.moodle.query(
        "SELECT state, clientid FROM mdl_lti_types WHERE id = %s", (journey.type_id,)
    )
    assert tool_type["state"] == 1, tool_type
    journey.shots(admin, "tool-active")

    # The tool recorded Moodle in the invited organisation, with its deployment (type id).
    with journey.session() as session:
        registration = session.scalars(
            select(PlatformRegistration).where(PlatformRegistration.issuer == journey.url)
        ).one()
        assert registration.organisation_id == journey.org_id
        assert registration.client_id == tool_type["clientid"]
        assert [d.deployment_id for d in registration.deployments] == [str(journey.type_id)]
    journey.done.add("registered")


# ------------------------------------------------------------------ 2. activity chooser, school


def test_admin_shows_the_tool_in_the_activity_chooser_for_a_school(journey: Journey) -> None:
    journey.needs("registered")
    admin = journey.page("admin")
    admin.goto(journey.url + "/mod/lti/toolconfigure.php")
    admin.locator(f".tool-card[data-type-id='{journey.type_id}'] a.edit").click()
    admin.wait_for_url("**/mod/lti/typessettings.php*")
    # "Show in activity chooser and as a preconfigured tool"
    admin.select_option("#id_lti_coursevisible", "2")
    admin.fill("#id_lti_customparameters", f"school_urn={SCHOOL_URN}")
    journey.shots(admin, "tool-settings")
    admin.click("#id_submitbutton")
    admin.wait_for_url("**/mod/lti/toolconfigure.php*")

    [row] = journey.moodle.query(
        "SELECT coursevisible FROM mdl_lti_types WHERE id = %s", (journey.type_id,)
    )
    assert row["coursevisible"] == 2
    [custom] = journey.moodle.query(
        "SELECT value FROM mdl_lti_types_config WHERE typeid = %s AND name = 'customparameters'",
        (journey.type_id,),
    )
    assert custom["value"].strip() == f"school_urn={SCHOOL_URN}"
    journey.done.add("in chooser")


# ------------------------------------------------------------------ 3. the course's activity


def test_teacher_adds_the_tool_from_the_activity_chooser(journey: Journey) -> None:
    journey.needs("registered", "in chooser")
    teacher = journey.page("teacher1")
    teacher.goto(f"{journey.url}/course/view.php?id={journey.course_id}")
    teacher.locator(".editmode-switch-form input[type=checkbox]").click()
    add = teacher.locator(
        "button[data-action='open-chooser'][data-sectionnum='0']:not([data-beforemod])"
    )
    expect(add).to_be_visible(timeout=TIMEOUT)
    add.click()
    option = teacher.locator(
        f".modal [data-region='chooser-option-container'][aria-label='{TOOL_NAME}']:visible"
    ).first
    expect(option).to_be_visible(timeout=TIMEOUT)
    journey.shots(teacher, "activity-chooser")
    option.locator("a[data-action='add-chooser-option']").click()
    teacher.wait_for_url(f"**/course/modedit.php?*typeid={journey.type_id}*")
    teacher.fill("#id_name", ACTIVITY)
    journey.shots(teacher, "activity-form")
    teacher.get_by_role("button", name="Save and return to course").click()
    teacher.wait_for_url("**/course/view.php*")
    expect(teacher.locator("a.aalink", has_text=ACTIVITY)).to_be_visible()
    journey.shots(teacher, "course-with-activity")
    # Edit mode off again, as a teacher leaves it (the gradebook then shows grades as text).
    with teacher.expect_navigation():
        teacher.locator(".editmode-switch-form input[type=checkbox]").click()
    expect(teacher.locator(".editmode-switch-form input[type=checkbox]")).not_to_be_checked()

    rows = journey.moodle.query(
        "SELECT id FROM mdl_lti WHERE course = %s AND typeid = %s AND name = %s",
        (journey.course_id, journey.type_id, ACTIVITY),
    )
    assert len(rows) == 1, rows
    journey.done.add("activity")


# ------------------------------------------------------------------ 4. launches


def test_teacher_launch_lands_on_the_school_page(journey: Journey) -> None:
    journey.needs("activity")
    teacher = journey.page("teacher1")
    frame = open_activity(teacher, journey.url, journey.course_id, ACTIVITY, journey.tool_url)
    tool_heading(frame, SCHOOL_NAME)
    assert f"/schools/{journey.school_id}" in frame.url
    journey.shots(teacher, "teacher-launch-school-page", full_page=False)

    with journey.session() as session:
        course = session.scalars(
            select(Course).where(Course.organisation_id == journey.org_id)
        ).one()
        # The tool-level custom parameter school_urn linked the course to the school.
        assert course.school_id == journey.school_id
        teacher_person = session.scalars(
            select(Person).where(Person.email == "teacher1@example.org")
        ).one()
        leads = session.scalars(
            select(Permission).where(
                Permission.person_id == teacher_person.id,
                Permission.kind == PermissionKind.CPD_LEAD,
            )
        ).all()
        assert [p.school_id for p in leads] == [journey.school_id]
    journey.done.add("teacher launch")


def test_student_launch_lands_on_my_training(journey: Journey) -> None:
    journey.needs("activity")
    student = journey.page("student1")
    frame = open_activity(student, journey.url, journey.course_id, ACTIVITY, journey.tool_url)
    tool_heading(frame, "My training")
    journey.shots(student, "student-launch-my-training", full_page=False)
    with journey.session() as session:
        person = session.scalars(select(Person).where(Person.email == "student1@example.org")).one()
        assert person.organisation_id == journey.org_id
        assert [r.school_id for r in person.staff_roles if r.ended_on is None] == [
            journey.school_id
        ]
        assert not any(p.kind is PermissionKind.CPD_LEAD for p in person.permissions)
    journey.done.add("student launch")


# ------------------------------------------------------------------ 5. Deep Linking


def _deep_link(journey: Journey, slugs: list[str], step: str) -> None:
    """The teacher adds an activity with "Select content": the tool's picker opens in Moodle's
    dialog, the chosen modules come back as a signed LtiDeepLinkingResponse, Moodle saves them."""
    teacher = journey.page("teacher1")
    teacher.goto(
        f"{journey.url}/course/modedit.php?add=lti&course={journey.course_id}&section=0"
        f"&typeid={journey.type_id}"
    )
    teacher.click("#id_selectcontent")
    picker = frame_where(
        teacher, lambda f: "/lti/deep-linking/" in f.url, "the tool's deep-linking picker"
    )
    tool_heading(picker, "Add training to your course")
    titles = [seed(s).title for s in slugs]
    for title in titles:
        picker.get_by_label(title, exact=True).check()
    journey.shots(teacher, f"{step}-picker")
    picker.get_by_role("button", name="Add to course").click()

    if len(titles) == 1:
        expect(teacher.locator("#id_name")).to_have_value(titles[0], timeout=TIMEOUT)
    else:
        listed = teacher.get_by_text("The following items will be added to your course")
        expect(listed).to_be_visible(timeout=TIMEOUT)
        for title in titles:
            expect(teacher.locator("#region-main")).to_contain_text(title)
    journey.shots(teacher, f"{step}-returned")
    teacher.get_by_role("button", name="Save and return to course").click()
    teacher.wait_for_url("**/course/view.php*")
    for title in titles:
        expect(teacher.locator("a.aalink", has_text=title)).to_be_visible()
    journey.shots(teacher, f"{step}-course")

    for slug, title in zip(slugs, titles, strict=True):
        rows = journey.moodle.query(
            """SELECT l.instructorcustomparameters AS custom, gi.grademax, gs.resourceid
                 FROM mdl_lti l
                 JOIN mdl_grade_items gi ON gi.itemmodule = 'lti' AND gi.iteminstance = l.id
                 JOIN mdl_ltiservice_gradebookservices gs ON gs.gradeitemid = gi.id
                WHERE l.course = %s AND l.typeid = %s AND l.name = %s""",
            (journey.course_id, journey.type_id, title),
        )
        assert len(rows) == 1, (title, rows)
        custom = dict(
            line.strip().split("=", 1) for line in rows[0]["custom"].splitlines() if line.strip()
        )
        assert custom == {"module": slug, "school_urn": SCHOOL_URN}
        assert rows[0]["grademax"] == Decimal(1)
        assert rows[0]["resourceid"] == f"module:{slug}"


def test_deep_linking_one_module(journey: Journey) -> None:
    journey.needs("teacher launch")
    _deep_link(journey, [FIRST_MODULE], "deep-link-one")
    journey.done.add("deep link one")


def test_deep_linking_two_modules(journey: Journey) -> None:
    journey.needs("teacher launch")
    _deep_link(journey, [SECOND_MODULE, OTHER_MODULE], "deep-link-two")
    journey.done.add("deep link two")


# ------------------------------------------------------------------ 6. Names and Roles


def test_roster_sync_puts_both_students_on_the_staff_list(journey: Journey) -> None:
    journey.needs("teacher launch")
    done = journey.tool.cli("roster", "sync", "--all")
    assert "Syncing 1 course roster." in done.stdout, done.stdout
    assert "Done 1 job." in done.stdout, done.stdout + done.stderr

    with journey.session() as session:
        for email, name in [
            ("student1@example.org", "Sam Student"),
            ("student2@example.org", "Sally Second"),
        ]:
            person = session.scalars(
                select(Person).where(
                    Person.organisation_id == journey.org_id, Person.email == email
                )
            ).one()
            assert person.name == name
            assert [r.school_id for r in person.staff_roles if r.ended_on is None] == [
                journey.school_id
            ], email
        student2 = session.scalars(
            select(Person).where(Person.email == "student2@example.org")
        ).one()
        assert student2.last_launch_at is None  # on the list from the roster alone

    teacher = journey.page("teacher1")
    frame = open_activity(teacher, journey.url, journey.course_id, ACTIVITY, journey.tool_url)
    tool_heading(frame, SCHOOL_NAME)
    main = frame.locator("main")
    expect(main).to_contain_text("Sally Second")
    expect(main).to_contain_text("Sam Student")
    journey.shots(teacher, "roster-on-school-page", full_page=False)
    journey.done.add("roster")


# ------------------------------------------------------------------ 7. grade passback


def _pass_module(frame: Frame, slug: str) -> None:
    """Read every page of the in-tool module and pass its knowledge check."""
    _answer_module(frame, slug)
    frame.get_by_role("button", name="Submit answers").click()
    tool_heading(frame, "You passed")


def _answer_module(frame: Frame, slug: str) -> None:
    """Read every page, then tick the answers the catalogue marks correct (not submitted)."""
    module = seed(slug)
    tool_heading(frame, module.title)
    frame.get_by_role("button", name="Start the module").click()
    for page in module.pages:
        tool_heading(frame, page.title)
        frame.locator("a[rel=next]").click()
    tool_heading(frame, "Knowledge check")
    for question in module.questions:
        fieldset = frame.locator("fieldset").filter(has_text=question.prompt)
        for option in question.options:
            if option.correct:
                fieldset.get_by_label(option.text, exact=True).check()


def _moodle_grades(journey: Journey, title: str, username: str) -> list[dict[str, Any]]:
    """The grade rows (and the grade history rows with a grade) of ``username`` in the
    gradebook column of the activity ``title``."""
    return journey.moodle.query(
        """SELECT g.finalgrade, gi.grademax,
                  (SELECT count(*) FROM mdl_grade_grades_history h
                    WHERE h.itemid = gi.id AND h.userid = u.id AND h.finalgrade IS NOT NULL)
                  AS graded_times
             FROM mdl_grade_grades g
             JOIN mdl_grade_items gi ON gi.id = g.itemid
             JOIN mdl_lti l ON gi.itemmodule = 'lti' AND gi.iteminstance = l.id
             JOIN mdl_user u ON u.id = g.userid
            WHERE l.course = %s AND l.name = %s AND u.username = %s
              AND g.finalgrade IS NOT NULL""",
        (journey.course_id, title, username),
    )


def test_student_passes_a_module_and_the_grade_reaches_the_gradebook(journey: Journey) -> None:
    journey.needs("deep link one", "student launch")
    title = seed(FIRST_MODULE).title
    student = journey.page("student1")
    frame = open_activity(student, journey.url, journey.course_id, title, journey.tool_url)
    _pass_module(frame, FIRST_MODULE)
    journey.shots(student, "student1-passed", full_page=False)

    # Sent after the response, from the request's outbox thread.
    [grade] = eventually(
        lambda: _moodle_grades(journey, title, "student1") or None,
        "student1's grade in Moodle's gradebook",
    )
    assert grade["finalgrade"] == grade["grademax"] == Decimal(1)
    assert grade["graded_times"] == 1

    teacher = journey.page("teacher1")
    teacher.goto(f"{journey.url}/grade/report/grader/index.php?id={journey.course_id}")
    row = teacher.locator("tr", has_text="Sam Student").first
    expect(row).to_contain_text("1.00")
    journey.shots(teacher, "gradebook-student1", full_page=False)
    journey.done.add("grade")


# ------------------------------------------------------------------ 8. Moodle down


def _score_job(journey: Journey, email: str) -> ServiceJob | None:
    with journey.session() as session:
        return session.scalars(
            select(ServiceJob)
            .join(Person, Person.id == ServiceJob.person_id)
            .where(ServiceJob.kind == JobKind.SCORE, Person.email == email)
        ).one_or_none()


def _tried(journey: Journey, email: str) -> ServiceJob | None:
    job = _score_job(journey, email)
    return job if job is not None and job.attempts > 0 else None


def test_a_grade_made_while_moodle_is_down_arrives_once_it_is_back(journey: Journey) -> None:
    journey.needs("deep link two", "roster")
    moodle, tool = journey.moodle, journey.tool
    title = seed(SECOND_MODULE).title
    student = journey.page("student2")
    frame = open_activity(student, journey.url, journey.course_id, title, journey.tool_url)
    _answer_module(frame, SECOND_MODULE)

    # Moodle goes down. The kit's nginx serves Moodle and the tool's TLS front together, so a
    # stand-in front keeps the tool reachable at the same address meanwhile.
    moodle.stop()
    tls = Path(moodle.env["MOODLE_DIR"]) / "tls"
    front_port = int(tool.base_url.rsplit(":", 1)[1])
    try:
        with StandInFront(front_port, tool.port, tls / "server.pem", tls / "server.key"):
            with pytest.raises(requests.ConnectionError):
                requests.get(journey.url + "/login/index.php", timeout=10)
            frame.get_by_role("button", name="Submit answers").click()
            tool_heading(frame, "You passed")
            journey.shots(student, "student2-passed-while-moodle-down", full_page=False)
            job = eventually(
                lambda: _tried(journey, "student2@example.org"),
                "the outbox's first try at student2's grade",
            )
            assert job.status is JobStatus.PENDING, (job.status, job.last_error)
            assert job.last_error
            status = tool.cli("lti-outbox", "status").stdout
            assert "1 failing" in status, status
    finally:
        moodle.start()

    assert _moodle_grades(journey, title, "student2") == []
    # The outbox retries after its backoff (a minute after the first try): wait for it to be
    # due, then run it as cron would.
    due = job.next_attempt_at
    wait = (due - dt.datetime.now(dt.UTC)).total_seconds()
    if wait > 0:
        time.sleep(wait + 1)
    run = tool.cli("lti-outbox", "run")
    assert run.stdout.startswith("Done "), run.stdout + run.stderr

    [grade] = _moodle_grades(journey, title, "student2")
    assert grade["finalgrade"] == grade["grademax"] == Decimal(1)
    assert grade["graded_times"] == 1
    sent = _score_job(journey, "student2@example.org")
    assert sent is not None
    assert sent.status is JobStatus.DONE
    assert sent.attempts == 2

    # Another run sends nothing again.
    again = tool.cli("lti-outbox", "run")
    assert "Done 0 jobs." in again.stdout, again.stdout
    [grade] = _moodle_grades(journey, title, "student2")
    assert grade["graded_times"] == 1

    # The teacher's view of student2's grades: the column of the module holds the grade.
    [user] = moodle.query("SELECT id FROM mdl_user WHERE username = 'student2'")
    teacher = journey.page("teacher1")
    teacher.goto(
        f"{journey.url}/grade/report/user/index.php?id={journey.course_id}&userid={user['id']}"
    )
    expect(teacher.locator("tr", has_text=title).first).to_contain_text("1.00")
    journey.shots(teacher, "gradebook-student2-after-outage", full_page=False)


def test_everything_stayed_in_the_invited_organisation(journey: Journey) -> None:
    """Nothing the steps did made a second organisation or school (the invitation named the
    organisation; open registration is off)."""
    journey.needs("registered")
    with journey.session() as session:
        assert session.scalars(select(Organisation.id)).all() == [journey.org_id]
        assert session.scalars(select(School.id)).all() == [journey.school_id]
