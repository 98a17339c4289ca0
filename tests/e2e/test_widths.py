"""Every role's main pages fit (issue 17): at 1280 px in a window of their own, at 960 px in
the LMS's iframe, and at 390 px on a phone. Each page, at each width, must pass
:func:`tests.e2e.widths.layout_problems` (no sideways scrolling, every table's key column and
first column on screen, no heading or legend cut off, chart labels whole), axe-core (no
serious or critical violation) and the console (no error). Screenshots go to
``artifacts/e2e/widths/<role>/<page>-<width>.png``.

The run has a database of its own holding the demo trust (140 staff, spend, SENCOs, a year
of monthly figures), so the pages show the sizes and long names the issue was about; one
browser per role, the frame first, then one window for 1280 and 390 px.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from cpd_tracker.extensions import db
from cpd_tracker.models import Person, School
from tests.e2e.browser import (
    Opened,
    axe_violations,
    open_tool,
    screenshot,
    watch_console,
)
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.servers import Servers, running_servers
from tests.e2e.widths import SCHOOL_URN, layout_problems, seed_demo_trust, seed_people

pytestmark = pytest.mark.e2e

FOLDER = ARTIFACTS / "widths"
FRAME = 960
WINDOWS = (1280, 390)


@dataclass(frozen=True)
class Role:
    name: str
    user: str  # the test LMS's kind of user
    who: str

    @property
    def sub(self) -> str:
        return f"e2e-{self.user}-{self.who}"


STAFF = Role("staff", "learner", "widths_staff")
LEAD = Role("cpd_lead", "instructor", "widths_lead")
TRUST = Role("trust_leader", "admin", "widths_trust")
FINANCE = Role("finance", "learner", "widths_finance")
ROLES = (STAFF, LEAD, TRUST, FINANCE)


@dataclass(frozen=True)
class Ids:
    school: int
    person: int


def pages(role: Role, ids: Ids) -> dict[str, str]:
    """Each role's main pages: name -> path."""
    school, person = ids.school, ids.person
    spend = {
        "spend-by-school": "/spend/report",
        "purchases": "/spend/purchases",
        "memberships": "/spend/memberships",
    }
    if role is STAFF:
        return {
            "my-training": "/my-training",
            "my-evidence": "/records/evidence",
            "record-external": "/records/external/new",
            "my-cpd-record": "/staff/me/cpd-record",
        }
    if role is LEAD:
        return {
            "my-training": "/my-training",
            "school": f"/schools/{school}",
            "people": f"/records/schools/{school}/people",
            "person": f"/staff/schools/{school}/people/{person}",
            "trend": f"/schools/{school}/trend",
            "senco": f"/senco/schools/{school}",
            "spend": "/spend/report",
        }
    if role is TRUST:
        return {
            "trust": "/trust",
            "trust-people": "/trust/people",
            "trust-trend": "/trust/trend",
            "senco-trust": "/senco/trust",
            "school": f"/schools/{school}",
            "person": f"/staff/schools/{school}/people/{person}",
            "spend-settings": "/spend/settings",
            "membership-new": "/spend/memberships/new",
            **spend,
        }
    return {"my-training": "/my-training", **spend}


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    """This module's own tool and LMS, on a database holding the demo trust."""
    with running_servers(tmp_path_factory.mktemp("widths"), seed=seed_demo_trust) as found:
        found.lms.school_urn = SCHOOL_URN
        yield found


@pytest.fixture(scope="module")
def ids(servers: Servers, playwright_driver: Any, tmp_path_factory: pytest.TempPathFactory) -> Ids:
    """Everyone launches once (so the tool knows them), then the rows only they can have."""
    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

    browser = playwright_driver.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
    )
    try:
        for role in ROLES:
            page = browser.new_page(ignore_https_errors=True)
            page.goto(
                f"{servers.lms_base}/course?{urlencode({'user': role.user, 'who': role.who})}"
            )
            frame = page.frame(name="tool")
            assert frame is not None
            frame.locator("h1").first.wait_for(timeout=60_000)
            page.close()
    finally:
        browser.close()
    app = servers.tool_app
    seed_people(
        app, servers.org_id, staff_sub=STAFF.sub, lead_sub=LEAD.sub, finance_sub=FINANCE.sub
    )
    with app.app_context():
        school = db.session.scalar(select(School).where(School.urn == SCHOOL_URN))
        person = db.session.scalar(select(Person).where(Person.sub == "demo-riverside-2"))
        assert school is not None
        assert person is not None
        return Ids(school.id, person.id)


def _save(page: Any, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


def _check(
    opened: Opened, url: str, name: str, width: int, role: Role, errors: list[str]
) -> list[str]:
    """Open ``url`` in the tool's view, check it, take its screenshot; what was wrong."""
    view = opened.view
    before = len(errors)
    response = view.goto(url)
    view.wait_for_load_state("load")
    where = f"{role.name} {name} at {width} px"
    problems = []
    if response is not None and response.status >= 400:
        problems.append(f"{where}: the page answered {response.status}")
    problems += [f"{where}: {p}" for p in layout_problems(view)]
    problems += [
        f"{where}: axe {v['id']} ({v['impact']}): {v['help']} at {'; '.join(v['targets'])}"
        for v in axe_violations(view)
    ]
    shot = FOLDER / role.name / f"{name}-{width}.png"
    screenshot(opened, lambda page, _step: _save(page, shot), name)
    problems += [f"{where}: console: {e}" for e in errors[before:]]
    return problems


# A layout problem fails every time: running the role's pages again would only double the wait.
@pytest.mark.flaky(reruns=0)
@pytest.mark.parametrize("role", ROLES, ids=[r.name for r in ROLES])
def test_main_pages_fit_at_1280_960_in_the_frame_and_390(
    role: Role,
    servers: Servers,
    ids: Ids,
    browser_for: Callable[[str], Any],
    shots: Callable[[Any, str], Path],
) -> None:
    context = browser_for("allowed")
    errors = watch_console(context, servers)
    found: list[str] = []
    paths = pages(role, ids)

    page = context.new_page()
    query = urlencode({"user": role.user, "who": role.who, "width": FRAME})
    page.goto(f"{servers.lms_base}/course?{query}")
    frame = page.frame(name="tool")
    assert frame is not None
    frame.locator("h1").first.wait_for()
    assert frame.evaluate("() => document.documentElement.clientWidth") == FRAME
    framed = Opened("allowed", context, page, frame, page, 0, errors)
    for name, path in paths.items():
        found += _check(framed, servers.tool_base + path, name, FRAME, role, errors)
    page.close()

    opened = open_tool(servers, context, "top_level", shots, user=role.user, who=role.who)
    opened.view.locator("h1").first.wait_for()
    for width in WINDOWS:
        opened.page.set_viewport_size({"width": width, "height": 900})
        for name, path in paths.items():
            found += _check(opened, servers.tool_base + path, name, width, role, errors)
    assert not found, f"{len(found)} problems:\n" + "\n".join(found)
