"""Every GET page of the tool, from outside: a real Chromium crawl as four people (a member of
staff, a CPD lead, a trust leader and finance), each in the LMS's iframe (see ``FRAME_MODE``)
and top-level in a tab of its own. See :mod:`tests.e2e.crawl` for what is checked on each page.

The crawl starts where each launch lands and follows links; the CPD lead also launches through
Deep Linking, whose picker is reached no other way. Rules of the URL map that no link reached
are then visited with ids from the database. The test prints how many GET routes were reached
of how many exist, names any it could not reach, and fails on every page problem found and on
every route neither reached nor left out on purpose (``crawl.EXCLUDED``, each with its reason).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError
from sqlalchemy import select
from werkzeug.routing import Rule

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    Delivery,
    FundingSource,
    Module,
    Organisation,
    Person,
    QualificationResult,
    School,
    SencoQualificationKind,
    TrainingRequest,
)
from cpd_tracker.registry import get_service
from cpd_tracker.rules.money import ShareBasis, YearKind, year_of
from cpd_tracker.services.imports.service import ImportKind, ImportService
from cpd_tracker.services.imports.staff import KnownSchool
from cpd_tracker.services.records import (
    EvidenceService,
    ExternalTraining,
    InsetDetails,
    InsetService,
    Upload,
)
from cpd_tracker.services.senco import AppointmentDetails, QualificationDetails, SencoService
from cpd_tracker.services.senco_documents import SencoDocumentService
from cpd_tracker.services.spend import MembershipDetails, PurchaseDetails, SpendService
from cpd_tracker.services.spend.imports import PurchaseImportService
from cpd_tracker.storage import check_upload
from tests.e2e.browser import COOKIE_PROFILE, open_tool, screenshot
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.crawl import (
    CSP_LISTENER,
    Crawl,
    Logged,
    Visit,
    attribute,
    candidate_paths,
    excluded_rules,
    get_rules,
    is_excluded,
    watch_console,
)
from tests.e2e.servers import SCHOOL_URN, Servers
from tests.support.csv_files import staff_csv

pytestmark = pytest.mark.e2e

Shots = Callable[[Any, str], Path]

REPORT = ARTIFACTS / "crawl-report.txt"
#: Both ways of meeting the tool, in one browser profile per person: the frame first.
#: In the LMS's iframe with its cookies allowed (Partitioned: what Chrome, Edge and Firefox do
#: today); ``CPD_E2E_CRAWL_FRAME=blocked_storage`` crawls the frame with cookies refused, the
#: launch token riding in every link (what Safari does), in a cookies-blocked profile.
FRAME_MODE = os.environ.get("CPD_E2E_CRAWL_FRAME", "allowed")
MODES = (FRAME_MODE, "top_level")


@dataclass(frozen=True)
class Persona:
    name: str
    user: str  # the test LMS's kind of user
    who: str


STAFF = Persona("staff", "learner", "crawl_staff")
LEAD = Persona("cpd_lead", "instructor", "crawl_lead")
TRUST = Persona("trust_leader", "admin", "crawl_trust")
FINANCE = Persona("finance", "learner", "crawl_finance")


def _land(view: Any) -> None:
    view.wait_for_load_state("load")
    view.locator("h1").first.wait_for()


class Run:
    """What the crawl found, across people and ways."""

    def __init__(self, servers: Servers, shots: Shots) -> None:
        self.servers = servers
        self.shots = shots
        self.visits: list[Visit] = []
        self.rules = [r for r in get_rules(servers.tool_app) if not is_excluded(r.endpoint)]
        self.reached: dict[str, str] = {}  # rule -> how (first time)
        self._known: set[int] = set()

    def crawl(
        self,
        context: Any,
        persona: Persona,
        mode: str,
        *,
        message: str = "",
        label: str = "",
    ) -> None:
        opened = open_tool(
            self.servers,
            context,
            mode,
            self.shots,
            user=persona.user,
            who=persona.who,
            message=message,
        )
        walk = Crawl(
            app=self.servers.tool_app,
            tool_base=self.servers.tool_base,
            view=opened.view,
            persona=persona.name,
            mode=label or mode,
            shot=lambda step: screenshot(opened, self.shots, step),
        )
        try:
            _land(opened.view)
        except PlaywrightError as exc:
            # The launch itself failed: a finding, and nothing more to crawl this way.
            screenshot(opened, self.shots, f"{persona.name}-{walk.mode}-launch")
            failed = Visit(persona.name, walk.mode, opened.view.url, "(launch)", "launch")
            failed.problems.append(f"the launch did not land on a page of the tool: {exc}")
            self.visits.append(failed)
            return
        walk.run(opened.view.url)
        self._record(walk.visits)
        walk.try_urls(candidate_paths(self.servers.tool_app, self.unreached(), self.servers.org_id))
        self._record(walk.visits)
        opened.page.close()
        if opened.lms_page is not opened.page:
            opened.lms_page.close()

    def _record(self, visits: list[Visit]) -> None:
        for visit in visits:
            if id(visit) in self._known:
                continue
            self._known.add(id(visit))
            self.visits.append(visit)
            if visit.status and visit.status < 400:
                for part in visit.rule.split(" -> "):
                    self.reached.setdefault(part, f"{visit.via} ({visit.persona})")

    def unreached(self) -> list[Rule]:
        return [r for r in self.rules if r.rule not in self.reached]

    def report(self, excluded: dict[str, str]) -> list[str]:
        unreached = self.unreached()
        total = len(self.rules)
        lines = [
            f"crawl: reached {total - len(unreached)} of {total} GET routes "
            f"({len(excluded)} more left out on purpose, below); {len(self.visits)} visits",
        ]
        lines += [f"crawl: not reached: {r.rule} ({r.endpoint})" for r in unreached]
        lines += [f"crawl: reached {rule} by {how}" for rule, how in sorted(self.reached.items())]
        lines += [f"crawl: left out {rule}: {why}" for rule, why in sorted(excluded.items())]
        lines += ["crawl: FAIL " + v.describe() for v in self.visits if v.problems]
        return lines


@pytest.fixture
def context_for(
    browser_for: Callable[[str], Any], servers: Servers
) -> Callable[[], tuple[Any, list[Logged]]]:
    """One browser profile for a person: both ways of meeting the tool work in it."""

    def make() -> tuple[Any, list[Logged]]:
        context = browser_for(COOKIE_PROFILE[FRAME_MODE])
        context.add_init_script(CSP_LISTENER)
        return context, watch_console(context, servers.tool_base)

    return make


def _grant_finance(servers: Servers, context: Any, shots: Shots) -> None:
    """The trust leader gives the finance permission on People and permissions, as a trust
    leader would (the LMS has no finance role: the permission is the tool's own)."""
    opened = open_tool(servers, context, FRAME_MODE, shots, user=TRUST.user, who=TRUST.who)
    view = opened.view
    _land(view)
    view.locator("nav").get_by_role("link", name="People and permissions").click()
    view.locator("h1", has_text="People and permissions").wait_for()
    view.get_by_label("Email address or staff number", exact=False).first.fill(
        f"sam.{FINANCE.who}@alder.example"
    )
    view.get_by_label("Finance", exact=False).first.check()
    view.get_by_role("button", name="Give permission").click()
    view.get_by_text("now has that permission").wait_for()
    row = view.locator("tr", has_text=f"Sam {FINANCE.who.replace('_', ' ').title()}")
    assert "Finance" in row.inner_text()
    opened.lms_page.close()


#: The smallest file the tool takes as a PDF (it checks the magic bytes).
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _person(sub: str) -> Person:
    person = db.session.scalar(select(Person).where(Person.sub == sub))
    assert person is not None, f"{sub} has not launched the tool"
    return person


def _seed(servers: Servers) -> None:
    """Rows that only a form, an upload or an import makes, so that every page has one to show:
    the staff member's external training with its certificate, an INSET session, a request
    for a place, a SENCO with a qualification and a document, a staff import and a purchases
    import waiting at their previews, and the trust's providers, membership and purchases.
    Made through the app's own services (the journeys make the first two through the pages)."""
    app = servers.tool_app
    with app.test_request_context():
        today = dt.date.today()
        org = db.session.get(Organisation, servers.org_id)
        assert org is not None
        school = db.session.scalar(select(School).where(School.urn == SCHOOL_URN))
        assert school is not None
        staff = _person(f"e2e-{STAFF.user}-{STAFF.who}")
        lead = _person(f"e2e-{LEAD.user}-{LEAD.who}")
        modules = list(
            db.session.scalars(
                select(Module).where(Module.organisation_id == org.id).order_by(Module.id)
            )
        )
        external = next(m for m in modules if m.delivery is Delivery.EXTERNAL)
        get_service(EvidenceService).submit(
            staff,
            school,
            ExternalTraining(external.id, "Crawl course", "Crawl provider", today, Decimal(3)),
            Upload(PDF, "certificate.pdf"),
        )
        get_service(InsetService).record(
            school,
            InsetDetails(modules[0].id, "Crawl INSET day", today, None),
            [staff.id],
            lead,
        )
        # A request for a place, so the CPD lead's Place requests page has one to decline.
        db.session.add(
            TrainingRequest(
                organisation_id=org.id,
                person_id=staff.id,
                module_id=external.id,
                school_id=school.id,
                note="",
            )
        )
        senco = get_service(SencoService)
        senco.appoint(
            school,
            AppointmentDetails(
                person_id=staff.id,
                started_on=today - dt.timedelta(days=100),
                has_qts=True,
                teacher_reference_number="1234567",
                qts_via_partial_access=False,
                induction_complete=True,
                teaches_at_school=True,
                is_head=False,
                prior_senco_months=0,
            ),
        )
        qualification = senco.add_qualification(
            school,
            QualificationDetails(
                person_id=staff.id,
                kind=SencoQualificationKind.NPQ_SENCO,
                provider="Ambition Institute",
                started_on=today - dt.timedelta(days=50),
                expected_completion_on=None,
                completed_on=None,
                result=QualificationResult.PENDING,
                funding=None,
            ),
        )
        get_service(SencoDocumentService).add(
            school, qualification, PDF, check_upload(PDF, "document"), "npq-letter.pdf"
        )
        imports = get_service(ImportService)
        known = KnownSchool(school.id, school.urn, school.name)
        staff_upload = imports.submit(
            ImportKind.STAFF,
            org.id,
            school=known,
            file_name="staff.csv",
            content=staff_csv(),
            uploaded_by_id=lead.id,
        )
        assert staff_upload.upload is not None, staff_upload
        spend = get_service(SpendService)
        year = year_of(YearKind.ACADEMY, today)
        nasen = spend.save_provider(org.id, "nasen", "association", "Membership association", None)
        spend.save_membership(
            org.id,
            MembershipDetails(
                "nasen trust membership",
                nasen.id,
                None,
                150_000,
                year.start,
                year.end,
                ShareBasis.PUPILS,
            ),
            None,
        )
        spend.save_purchase(
            org.id,
            PurchaseDetails(
                school_id=school.id,
                provider_id=nasen.id,
                module_id=None,
                course_title="Dyslexia: practical classroom strategies",
                purchased_on=today,
                delegates=3,
                list_price_pence=29_500,
                discount_pence=None,
                discount_reason="",
                supply_pence=0,
                supply_code=None,
                travel_pence=0,
                funding_source=FundingSource.SCHOOL_BUDGET,
                notional_sen=True,
                reference="CRAWL-1",
            ),
            None,
            recorded_by_id=None,
            source="demo",
        )
        _, purchases = get_service(PurchaseImportService).submit(
            org.id, None, "purchases.csv", PURCHASES, None
        )
        assert purchases is not None
        db.session.commit()


PURCHASES = (
    "School URN,Provider,Module,Course title,Date,Delegates,List price,Discount,"
    "Discount reason,Supply cover,Supply code,Reference\r\n"
    f'{SCHOOL_URN},nasen,,Crawl dyslexia day,{dt.date.today():%d/%m/%Y},2,"£250.00",,,,,CRAWL-2\r\n'
).encode()


def test_crawl_reaches_every_get_route_and_every_page_passes(
    servers: Servers, context_for: Callable[[], tuple[Any, list[Logged]]], shots: Shots
) -> None:
    run = Run(servers, shots)
    console_of: dict[str, list[Logged]] = {}

    def person(persona: Persona, context: Any, console: list[Logged]) -> None:
        for mode in MODES:
            run.crawl(context, persona, mode)
        console_of[persona.name] = console

    # First launches make the people known to the tool (finance starts as staff). In the
    # frame, as every launch before each person's frame crawl: a top-level launch first would
    # leave a first-party cookie that a frame's download could borrow.
    staff, console = context_for()
    finance, finance_console = context_for()
    lead, lead_console = context_for()
    for persona, context in ((STAFF, staff), (FINANCE, finance), (LEAD, lead)):
        first = open_tool(servers, context, FRAME_MODE, shots, user=persona.user, who=persona.who)
        _land(first.view)
        first.lms_page.close()
    _seed(servers)

    person(STAFF, staff, console)
    staff.close()

    console = lead_console
    person(LEAD, lead, console)
    # Deep Linking's picker is reached only through a Deep Linking launch.
    run.crawl(lead, LEAD, FRAME_MODE, message="deep_link", label="deep link")
    lead.close()

    trust, console = context_for()
    _grant_finance(servers, trust, shots)
    person(TRUST, trust, console)
    trust.close()

    person(FINANCE, finance, finance_console)
    finance.close()

    for name, logged in console_of.items():
        run.visits += attribute(logged, run.visits, name)
    lines = run.report(excluded_rules(servers.tool_app))
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n" + "\n".join(lines))
    problems = [v.describe() for v in run.visits if v.problems] + [
        f"not reached: {r.rule} ({r.endpoint})" for r in run.unreached()
    ]
    assert not problems, f"{len(problems)} problems (also in {REPORT}):\n" + "\n".join(problems)
