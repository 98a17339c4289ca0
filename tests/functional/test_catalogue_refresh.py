"""``cpd-tracker catalogue refresh [--org N] [--dry-run]``: organisations created before the
built-in catalogue's content was corrected get the current summaries and pages of the modules
they have not edited themselves; modules with their own text are kept and named; a second run
changes nothing; each organisation's refresh is audited."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from cpd_tracker.catalogue.seed_data import CATALOGUE
from cpd_tracker.extensions import db
from cpd_tracker.models import AuditEntry, Module
from tests.support.factories import make_org

SEEDS = {seed.slug: seed for seed in CATALOGUE}
COP = "send-code-of-practice-essentials"
TRAUMA = "trauma-informed-practice-basics"
AUTISM = "autism-awareness"

#: CoP page 5 as first shipped: "should also receive regular reports" where the law says a
#: school must report to parents at least once a year (CoP 6.64; corrected in issue 16).
_NEW_6_64 = (
    "  least three times each year** (6.65).\n"
    "- Schools **must** give parents a report on their child's progress at least once a year, "
    "and\n  most schools go further, with regular reports on how their child is getting on "
    "(6.64).\n"
)
_OLD_6_64 = (
    "  least three times each year** (6.65). Parents should also receive regular reports on "
    "their\n  child's progress (6.64).\n"
)


#: The one summary whose words were corrected too (the practising certificate's renewal).
_OLD_SPLD_SPECIALIST = (
    "A postgraduate-level course for teachers who will become the school's specialist in "
    "specific learning difficulties. It covers structured, multisensory teaching of literacy "
    "and numeracy and the standardised assessment of learners, and can lead to a practising "
    "certificate for diagnostic assessment."
)


def _old_summary(slug: str) -> str:
    """The summary as first shipped: the same words, before "Last reviewed ..." and the
    dated proposals were appended (one summary's words changed as well)."""
    if slug == "spld-specialist-teacher":
        return _OLD_SPLD_SPECIALIST
    return SEEDS[slug].summary.split(" Last reviewed ")[0]


def _old_cop_page_5() -> str:
    current = SEEDS[COP].pages[4].body_markdown
    assert _NEW_6_64 in current
    return current.replace(_NEW_6_64, _OLD_6_64)


def _seed_old_text(app: Flask, org_id: int) -> None:
    """What an organisation created before the correction holds: every built-in summary as
    first shipped, and CoP page 5's old wording."""
    with app.app_context():
        for module in db.session.scalars(select(Module).where(Module.organisation_id == org_id)):
            module.summary = _old_summary(module.slug)
            if module.slug == COP:
                module.pages[4].body_markdown = _old_cop_page_5()
        db.session.commit()


def _module(app: Flask, org_id: int, slug: str) -> tuple[str, list[str]]:
    with app.app_context():
        module = db.session.scalars(
            select(Module).where(Module.organisation_id == org_id, Module.slug == slug)
        ).one()
        return module.summary, [p.body_markdown for p in module.pages]


def _audits(app: Flask) -> list[AuditEntry]:
    with app.app_context():
        return list(
            db.session.scalars(select(AuditEntry).where(AuditEntry.action == "catalogue.refreshed"))
        )


def test_an_organisation_with_the_old_text_gets_the_current_content(
    app: Flask, runner: FlaskCliRunner
) -> None:
    org_id = make_org(app)
    _seed_old_text(app, org_id)
    assert "Last reviewed" not in _module(app, org_id, COP)[0]

    dry = runner.invoke(args=["catalogue", "refresh", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"would refresh {len(CATALOGUE)} modules, 0 up to date, 0 kept" in dry.output
    assert f"  {COP}: summary, page 5" in dry.output
    assert "Nothing was written." in dry.output
    assert "Last reviewed" not in _module(app, org_id, COP)[0]
    assert _audits(app) == []

    done = runner.invoke(args=["catalogue", "refresh"])
    assert done.exit_code == 0, done.output
    assert f"[1/1] Organisation {org_id} (Test Trust): refreshed {len(CATALOGUE)} modules" in (
        done.output
    )
    summary, pages = _module(app, org_id, COP)
    assert summary == SEEDS[COP].summary
    assert "Last reviewed 7 December 2026." in summary
    assert pages == [p.body_markdown for p in SEEDS[COP].pages]
    assert "Schools **must** give parents a report" in pages[4]
    npq = _module(app, org_id, "npq-for-sencos")[0]
    assert "Schools White Paper of 23 February 2026" in npq
    (audit,) = _audits(app)
    assert audit.organisation_id == org_id
    assert audit.details["refreshed"][COP] == ["summary", "page 5"]
    assert audit.details["kept_edited"] == []

    again = runner.invoke(args=["catalogue", "refresh"])
    assert again.exit_code == 0, again.output
    assert f"refreshed 0 modules, {len(CATALOGUE)} up to date, 0 kept" in again.output
    assert len(_audits(app)) == 1  # nothing changed, nothing audited


def test_modules_the_organisation_edited_are_kept_and_named(
    app: Flask, runner: FlaskCliRunner
) -> None:
    edited = make_org(app, "Edited Trust", schools=[("300001", "Cedar School")])
    other = make_org(app, "Other Trust", schools=[("300002", "Damson School")])
    for org_id in (edited, other):
        _seed_old_text(app, org_id)
    with app.app_context():
        modules = {
            m.slug: m
            for m in db.session.scalars(select(Module).where(Module.organisation_id == edited))
        }
        modules[AUTISM].summary = "Our own autism awareness morning, run by our SENCO."
        modules[TRAUMA].pages[5].body_markdown += "\nAsk Ms Patel about our local protocol.\n"
        db.session.commit()

    only = runner.invoke(args=["catalogue", "refresh", "--org", str(edited)])
    assert only.exit_code == 0, only.output
    assert f"refreshed {len(CATALOGUE) - 2} modules, 0 up to date, 2 kept" in only.output
    assert f"  kept {AUTISM}: its own summary" in only.output
    assert f"  kept {TRAUMA}: its own page 6" in only.output
    assert _module(app, edited, AUTISM)[0] == "Our own autism awareness morning, run by our SENCO."
    # The edited module is kept whole: its untouched summary is not refreshed either.
    assert _module(app, edited, TRAUMA)[0] == _old_summary(TRAUMA)
    assert _module(app, edited, COP)[0] == SEEDS[COP].summary
    # --org touched that organisation only.
    assert _module(app, other, COP)[0] == _old_summary(COP)
    (audit,) = _audits(app)
    assert sorted(audit.details["kept_edited"]) == [AUTISM, TRAUMA]

    unknown = runner.invoke(args=["catalogue", "refresh", "--org", "999"])
    assert unknown.exit_code == 2
    assert "there is no organisation 999" in unknown.output


def test_a_new_organisation_is_already_up_to_date(app: Flask, runner: FlaskCliRunner) -> None:
    make_org(app)
    result = runner.invoke(args=["catalogue", "refresh"])
    assert result.exit_code == 0, result.output
    assert f"refreshed 0 modules, {len(CATALOGUE)} up to date, 0 kept" in result.output
    assert _audits(app) == []
