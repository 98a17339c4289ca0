"""The records journeys, each in the four ways a person meets the tool (see browser.MODES):

* a teacher records external training with a certificate, and the CPD lead checks it on
  "Evidence to check", opens it, downloads the certificate and verifies it;
* a CPD lead records an INSET session with its attendees, finds it among past sessions, and
  grants a member of staff an exemption and an extension on their training record.

Every tool page reached is checked by :func:`~tests.e2e.browser.check_page` (axe, 1024 px
width, screenshot), and each journey asserts what the person sees change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.browser import (
    COOKIE_PROFILE,
    MODES,
    Opened,
    assert_cookie_mode,
    check_page,
    open_tool,
    screenshot,
    wait_heading,
)
from tests.e2e.servers import SCHOOL_NAME, Servers

pytestmark = pytest.mark.e2e

Shots = Callable[[Any, str], Path]

#: The smallest file the tool takes as a PDF (it checks the magic bytes, not the name).
CERTIFICATE = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _shot(opened: Opened, shots: Shots) -> Callable[[str], Path]:
    return lambda step: screenshot(opened, shots, step)


def _follow(view: Any, name: str) -> None:
    """Follow the link called ``name`` (the first, if there are several)."""
    view.get_by_role("link", name=name).first.click()
    view.wait_for_load_state("load")


def _today() -> str:
    day = dt.date.today()
    return f"{day.day}/{day.month}/{day.year}"


def _in(days: int) -> str:
    day = dt.date.today() + dt.timedelta(days=days)
    return f"{day.day}/{day.month}/{day.year}"


def _choose(view: Any, label: str, containing: str) -> str:
    """Choose the first option of the select labelled ``label`` whose text contains
    ``containing``; returns the option's text."""
    select = view.get_by_label(label, exact=True)
    texts: list[str] = select.locator("option").all_inner_texts()
    text = next(t for t in texts if containing in t)
    select.select_option(label=text)
    return text


@pytest.mark.parametrize("mode", MODES)
def test_teacher_records_external_training_and_the_cpd_lead_verifies_it(
    mode: str, servers: Servers, browser_for: Callable[[str], Any], shots: Shots
) -> None:
    context = browser_for(COOKIE_PROFILE[mode])
    teacher = open_tool(servers, context, mode, shots, user="learner", who=f"ext_{mode}")
    view, shot = teacher.view, _shot(teacher, shots)
    course = f"Speech and language needs ({mode})"

    wait_heading(view, "My training")
    _follow(view, "Record external training")
    wait_heading(view, "Record external training")
    check_page(view, shot, "record-external")
    training = _choose(view, "Which training does it count towards?", "(course")
    view.get_by_label("Course title").fill(course)
    view.get_by_label("Provider").fill("Local authority SEND team")
    view.get_by_label("Date you completed it").fill(_today())
    view.get_by_label("CPD hours").fill("3")
    view.get_by_label("Certificate", exact=True).set_input_files(
        {"name": "certificate.pdf", "mimeType": "application/pdf", "buffer": CERTIFICATE}
    )
    check_page(view, shot, "record-external-filled")
    view.get_by_role("button", name="Send to my CPD lead").click()

    view.get_by_text("Your training has been sent to your CPD lead to check.").wait_for()
    check_page(view, shot, "sent")
    row = view.locator("tr", has_text=course)
    assert "Waiting" in row.inner_text() or "Pending" in row.inner_text(), row.inner_text()
    assert_cookie_mode(servers, teacher)
    teacher.page.close()

    lead = open_tool(servers, context, mode, shots, user="instructor", who=f"ext_lead_{mode}")
    view, shot = lead.view, _shot(lead, shots)
    wait_heading(view, SCHOOL_NAME)
    _follow(view, "Evidence awaiting verification")
    wait_heading(view, "Evidence to check")
    check_page(view, shot, "evidence-to-check")
    _follow(view, course)
    wait_heading(view, course)
    check_page(view, shot, "evidence-review")
    details = view.inner_text("main")
    assert "Local authority SEND team" in details, details
    assert training.split(" (")[0] in details, details

    certificate = view.locator("a[href*='/certificate']").first
    with lead.page.expect_download() as started:
        certificate.click()
    download = started.value
    assert download.failure() is None, (
        f"the certificate download failed ({download.failure()}), "
        f"offered as {download.suggested_filename!r}"
    )
    assert Path(download.path()).read_bytes() == CERTIFICATE
    assert download.suggested_filename.endswith(".pdf")

    view.get_by_role("button", name="Verify", exact=True).click()
    view.get_by_text("Verified. The training now counts on each person's record.").wait_for()
    check_page(view, shot, "verified")
    reviewed = view.locator("tr", has_text=course)
    assert "Verified" in reviewed.first.inner_text(), reviewed.first.inner_text()
    assert_cookie_mode(servers, lead)


@pytest.mark.parametrize("mode", MODES)
def test_cpd_lead_records_inset_and_grants_an_exemption_and_an_extension(
    mode: str, servers: Servers, browser_for: Callable[[str], Any], shots: Shots
) -> None:
    context = browser_for(COOKIE_PROFILE[mode])
    # Two members of staff the session and the grants are for: each launches once.
    staff = []
    for n in (1, 2):
        who = f"inset_staff{n}_{mode}"
        launched = open_tool(servers, context, mode, shots, user="learner", who=who)
        wait_heading(launched.view, "My training")
        launched.page.close()
        staff.append(f"Sam {who.replace('_', ' ').title()}")

    lead = open_tool(servers, context, mode, shots, user="instructor", who=f"inset_lead_{mode}")
    view, shot = lead.view, _shot(lead, shots)
    title = f"Autumn INSET: ordinarily available provision ({mode})"

    wait_heading(view, SCHOOL_NAME)
    _follow(view, "Record an INSET session")
    wait_heading(view, "Record an INSET session")
    check_page(view, shot, "inset-new")
    _choose(view, "Which training was the session?", "(")
    view.get_by_label("Session title").fill(title)
    view.get_by_label("Date of the session").fill(_today())
    for name in staff:
        view.get_by_label(name, exact=False).check()
    view.get_by_role("button", name="Record the session").click()

    wait_heading(view, title)
    check_page(view, shot, "inset-session")
    attended = view.inner_text("main")
    assert all(name in attended for name in staff), attended
    _open_school(view)
    _follow(view, "past sessions")
    wait_heading(view, "INSET sessions")
    check_page(view, shot, "inset-sessions")
    assert title in view.inner_text("main")
    _follow(view, title)
    wait_heading(view, title)

    _open_school(view)
    _follow(view, "Staff training records, exemptions and extensions")
    view.locator("h1").first.wait_for()
    check_page(view, shot, "people")
    _follow(view, staff[0])
    wait_heading(view, staff[0])
    check_page(view, shot, "person")

    # Two forms each with a "Training" select: by id. Different training for each grant.
    exemption = view.locator("#exemption_requirement")
    exemption.select_option(index=1)
    view.locator("#exemption_reason").fill("Long-term absence this term")
    view.get_by_label("Starts on").fill(_today())
    view.get_by_label("Ends on (optional)").fill(_in(90))
    view.get_by_role("button", name="Grant exemption").click()
    view.get_by_text("Exemption granted.").wait_for()
    check_page(view, shot, "exemption-granted")
    assert "Long-term absence this term" in view.inner_text("main")

    extension = view.locator("#extension_requirement")
    extension.select_option(index=extension.locator("option").count() - 1)
    view.get_by_label("New due date").fill(_in(60))
    view.locator("#extension_reason").fill("Joined mid-term")
    view.get_by_role("button", name="Grant extension").click()
    view.get_by_text("Extension granted.").wait_for()
    check_page(view, shot, "extension-granted")
    main = view.inner_text("main")
    assert "Joined mid-term" in main, main
    assert "Long-term absence this term" in main, main
    assert_cookie_mode(servers, lead)


def _open_school(view: Any) -> None:
    view.locator("nav").get_by_role("link", name="School", exact=True).first.click()
    view.wait_for_load_state("load")
    wait_heading(view, SCHOOL_NAME)
