"""What :mod:`tests.e2e.test_widths` checks on a page at each width, and the data it looks at.

:func:`layout_problems` runs in the page (or the tool's frame) as the browser laid it out:

* the document does not scroll sideways;
* every table has its key column marked (``data-key`` on the heading or cells of the column
  that matters: the total, the status, the figure), and that column and the first one are on
  screen without scrolling: inside the viewport and inside any scrolling box around the table
  as it stands at the start (a table laid out as cards on a phone shows its key cell instead);
* no heading, caption or legend is cut off (an ellipsis, or text hidden by ``overflow``);
* a chart's labels stay inside the chart and are not shortened with an ellipsis;
* no amount of money is broken across two lines (a negative amount split after its minus
  sign: the minus and the pound sign are each a place a line may break, so a narrow cell or
  a phone's card splits it unless the amount is kept whole).

:func:`seed_demo_trust` fills the run's database with the demo trust (``flask demo seed``:
three schools, 140 staff with their training history, SENCOs, spend, a year of monthly
figures): the sizes and long names the layouts must cope with.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from flask import Flask
from sqlalchemy import select

from cpd_tracker.demo_lms import people
from cpd_tracker.demo_lms.seed import seed_demo
from cpd_tracker.extensions import db
from cpd_tracker.models import (
    Delivery,
    Module,
    Organisation,
    Permission,
    PermissionKind,
    PermissionSource,
    Person,
    School,
)
from cpd_tracker.registry import get_service
from cpd_tracker.services.audit import Actor, AuditService
from cpd_tracker.services.records import EvidenceService, ExternalTraining, Upload
from tests.support.factories import register
from tests.support.platform import TestPlatform

#: The demo school the test LMS's course belongs to: the biggest staff list.
SCHOOL_URN = "990002"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

_LAYOUT = """
() => {
  const problems = [];
  const root = document.scrollingElement;
  const vw = root.clientWidth;
  if (root.scrollWidth > vw) {
    problems.push(`the page scrolls sideways: ${root.scrollWidth} px of content in ${vw} px`);
  }
  // Laid out and visible (a visually hidden heading, 1 px square, is for screen readers).
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 1 && r.height > 1 && getComputedStyle(el).visibility !== 'hidden';
  };
  // The part of the screen an element can be seen in without scrolling sideways: the
  // viewport, narrowed by every box around it that clips or scrolls.
  const visibleSpan = (el) => {
    let left = 0, right = vw;
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const overflow = getComputedStyle(p).overflowX;
      if (overflow !== 'visible') {
        const r = p.getBoundingClientRect();
        left = Math.max(left, r.left + p.clientLeft);
        right = Math.min(right, r.left + p.clientLeft + p.clientWidth);
      }
    }
    return [left, right];
  };
  const offScreen = (el) => {
    const r = el.getBoundingClientRect();
    const [left, right] = visibleSpan(el);
    return r.left < left - 1 || r.right > right + 1;
  };
  const label = (el) => (el.innerText || el.textContent || '').trim().split(/\\s+/).join(' ')
    .slice(0, 40);
  const name = (table) => {
    const caption = table.querySelector('caption');
    const region = table.closest('[aria-label]');
    let heading = null;
    for (let p = table; p && !heading; p = p.parentElement) {
      for (let s = p.previousElementSibling; s && !heading; s = s.previousElementSibling) {
        if (/^H[1-4]$/.test(s.tagName)) heading = s;
      }
    }
    return label(caption || region || heading || table);
  };
  document.querySelectorAll('table').forEach((table) => {
    if (!shown(table)) return;
    const what = `table "${name(table)}"`;
    const head = table.querySelector('thead [data-key]');
    const firstRow = table.querySelector('tbody tr');
    // The heading, unless the table is laid out as cards (its header hidden): then a cell.
    const headShown = head && shown(head) && shown(head.closest('thead'));
    const cell = headShown ? head : firstRow && firstRow.querySelector('[data-key]');
    if (!table.querySelector('[data-key]')) {
      problems.push(`${what}: no key column marked (data-key)`);
    } else if (cell && shown(cell) && offScreen(cell)) {
      const r = cell.getBoundingClientRect();
      problems.push(`${what}: its key column "${label(cell)}" is off screen ` +
                    `(${Math.round(r.left)}-${Math.round(r.right)} px of ${vw} px)`);
    }
    // A cell spanning the whole row ("Nothing for this year.") need only start on screen.
    const first = firstRow && firstRow.firstElementChild;
    const starts = (el) => el.getBoundingClientRect().left >= visibleSpan(el)[0] - 1;
    if (first && shown(first) && (first.colSpan > 1 ? !starts(first) : offScreen(first))) {
      problems.push(`${what}: its first column is off screen`);
    }
  });
  const cut = (el) => {
    const style = getComputedStyle(el);
    if (style.textOverflow === 'ellipsis' && el.scrollWidth > el.clientWidth + 1) return true;
    if (style.overflow !== 'visible' && style.writingMode.startsWith('vertical') &&
        el.scrollHeight > el.clientHeight + 1) return true;
    return style.overflowX === 'hidden' && el.scrollWidth > el.clientWidth + 1;
  };
  document.querySelectorAll('th, th *, caption, legend, dt, .app-heat-legend *, .app-chart-key *')
    .forEach((el) => {
      if (shown(el) && cut(el)) problems.push(`text cut off: "${label(el)}"`);
    });
  document.querySelectorAll('svg text').forEach((text) => {
    const svg = text.ownerSVGElement;
    if (!shown(svg)) return;
    const words = text.textContent.trim();
    if (words.includes('…') || words.includes('...')) {
      problems.push(`chart label shortened: "${words}"`);
    }
    const r = text.getBoundingClientRect(), box = svg.getBoundingClientRect();
    if (r.width && (r.left < box.left - 1 || r.right > box.right + 1)) {
      problems.push(`chart label outside its chart: "${words}"`);
    }
  });
  // Money: each amount's own boxes, one per line it is laid out on; two lines is a break.
  const money = /[\\u2212-]?£\\d[\\d,]*(?:\\.\\d\\d)?/g;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const host = node.parentElement;
    if (!host || host.closest('svg, script, style, [hidden]')) continue;
    for (const found of node.textContent.matchAll(money)) {
      const range = document.createRange();
      range.setStart(node, found.index);
      range.setEnd(node, found.index + found[0].length);
      const boxes = [...range.getClientRects()].filter((r) => r.width > 0 && r.height > 0);
      if (boxes.length > 1 &&
          boxes.some((r) => Math.abs(r.top - boxes[0].top) > boxes[0].height / 2)) {
        problems.push(`money broken across lines: "${found[0]}"`);
      }
    }
  }
  return problems;
}
"""


def layout_problems(view: Any) -> list[str]:
    """What is wrong with the layout of the page now in ``view`` (a Playwright Page or Frame)."""
    found: list[str] = view.evaluate(_LAYOUT)
    return found


def seed_demo_trust(app: Flask, platform: TestPlatform) -> int:
    """The demo trust, with the test LMS registered to launch into it; returns its id."""
    with app.app_context():
        session = db.session
        seed_demo(
            session,
            AuditService(session, Actor("cli")),
            base_url=app.config.get("BASE_URL") or "https://localhost",
            secret=app.config["SECRET_KEY"],
        )
        session.commit()
        org = session.scalar(select(Organisation).where(Organisation.name == people.TRUST_NAME))
        assert org is not None
        org_id = org.id
    register(app, platform, org_id)
    return org_id


def _person(sub: str) -> Person:
    person = db.session.scalar(select(Person).where(Person.sub == sub))
    assert person is not None, f"{sub} has not launched the tool"
    return person


def seed_people(
    app: Flask, org_id: int, *, staff_sub: str, lead_sub: str, finance_sub: str
) -> None:
    """After the first launches: the member of staff's external training with long notes
    from their CPD lead, and the finance permission for the finance persona (the LMS has no
    finance role; a trust leader grants it in the tool)."""
    with app.test_request_context():
        school = db.session.scalar(select(School).where(School.urn == SCHOOL_URN))
        assert school is not None
        staff = _person(staff_sub)
        # Two trainings: one piece of evidence waits per training.
        external = list(
            db.session.scalars(
                select(Module)
                .where(Module.organisation_id == org_id, Module.delivery == Delivery.EXTERNAL)
                .order_by(Module.id)
                .limit(2)
            )
        )
        assert len(external) == 2
        evidence = get_service(EvidenceService)
        today = dt.date.today()
        items = [
            "Supporting pupils with speech, language and communication needs in the classroom",
            "Autism and sensory processing: a practical day",
        ]
        submitted = [
            evidence.submit(
                staff,
                school,
                ExternalTraining(module.id, title, "Local authority SEND team", today, Decimal(6)),
                Upload(PDF, "certificate.pdf"),
            )
            for module, title in zip(external, items, strict=True)
        ]
        evidence.reject(
            submitted[1:],
            _person(lead_sub),
            "The certificate names a different course: please upload the certificate for this "
            "day, or the attendance letter from the provider.",
        )
        finance = _person(finance_sub)
        if not any(p.kind is PermissionKind.FINANCE for p in finance.permissions):
            finance.permissions.append(
                Permission(kind=PermissionKind.FINANCE, source=PermissionSource.OVERRIDE)
            )
        db.session.commit()
