"""Resource link launches with the custom ``module`` parameter: staff land on the module, a CPD
lead on its compliance at their school; the link and its line item are recorded."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from cpd_tracker.extensions import db
from cpd_tracker.models import LineItemBinding, Module, ResourceLink
from tests.functional.advantage.helpers import (
    AGS_SCOPES,
    IN_TOOL,
    Lms,
    land,
    module,
    new_client,
    person,
    text,
)
from tests.support.clock import FakeClock
from tests.support.factories import school_id


def test_staff_member_lands_on_the_module(app: Flask, lms: Lms) -> None:
    mod = module(app, lms.org_id)
    client = new_client(app)
    page = land(client, lms.launch(client, module=IN_TOOL))
    assert page.status_code == 200
    assert page.request.path == f"/modules/{mod.id}"
    assert mod.title in text(page)


def test_cpd_lead_lands_on_the_modules_compliance_at_their_school(app: Flask, lms: Lms) -> None:
    mod = module(app, lms.org_id)
    client = new_client(app)
    page = land(
        client,
        lms.launch(client, "instructor", module=IN_TOOL, custom={"school_urn": "100001"}),
    )
    assert page.status_code == 200
    assert page.request.path == f"/schools/{school_id(app, '100001')}/modules/{mod.id}"
    body = text(page)
    assert mod.title in body
    assert "Alder Primary" in body
    # With no requirement for the module yet, the page says so rather than showing a table.
    assert "No requirement at Alder Primary asks for this module" in body


def test_the_module_compliance_view_lists_who_is_due(
    app: Flask, lms: Lms, clock: FakeClock
) -> None:
    from cpd_tracker.models import Requirement

    mod = module(app, lms.org_id)
    with app.app_context():
        db.session.add(
            Requirement(
                organisation_id=lms.org_id,
                module_id=mod.id,
                roles=[],
                due_rule="days_after_start",
                due_days=30,
                created_at=clock(),
            )
        )
        db.session.commit()
    learner = new_client(app)
    land(learner, lms.launch(learner, module=IN_TOOL, custom={"school_urn": "100001"}))
    lead = new_client(app)
    page = land(
        lead, lms.launch(lead, "instructor", module=IN_TOOL, custom={"school_urn": "100001"})
    )
    body = text(page)
    assert lms.platform.user("learner").name in body
    assert "All staff, every school" in body
    other_school = lead.get(f"/schools/{school_id(app, '100002')}/modules/{mod.id}")
    assert other_school.status_code == 403


def test_unknown_module_is_a_clear_404(app: Flask, lms: Lms) -> None:
    client = new_client(app)
    result = lms.launch(client, module="no-such-module")
    assert result.response.status_code == 404
    body = text(result.response)
    assert "This activity's training module was not found" in body
    assert "“no-such-module”" in body


def test_retired_module_is_a_clear_410(app: Flask, lms: Lms, clock: FakeClock) -> None:
    mod = module(app, lms.org_id)
    with app.app_context():
        row = db.session.get(Module, mod.id)
        assert row is not None
        row.retired_at = clock()
        db.session.commit()
    client = new_client(app)
    result = lms.launch(client, module=IN_TOOL)
    assert result.response.status_code == 410
    assert "has been retired" in text(result.response)


def test_link_line_item_scopes_and_sub_are_recorded(app: Flask, lms: Lms) -> None:
    lineitem = lms.gradebook.add_item("SEND essentials", f"module:{IN_TOOL}")
    client = new_client(app)
    land(client, lms.launch(client, module=IN_TOOL, lineitem=lineitem))
    land(client, lms.launch(client, module=IN_TOOL, lineitem=lineitem))
    learner = person(app, lms.registration_id, lms.sub("learner"))
    with app.app_context():
        (link,) = db.session.scalars(select(ResourceLink)).all()
        assert link.module is not None
        assert link.module.slug == IN_TOOL
        assert link.module_slug == IN_TOOL
        assert link.lineitem_url == lineitem
        assert link.lineitems_url == lms.services.lineitems_url
        assert link.ags_scopes == sorted(AGS_SCOPES)
        assert link.course_id is not None
        (binding,) = db.session.scalars(select(LineItemBinding)).all()
        assert binding.person_id == learner.id
        assert binding.user_id == lms.sub("learner")


def test_a_link_without_grading_is_recorded_without_a_line_item(app: Flask, lms: Lms) -> None:
    client = new_client(app)
    land(client, lms.launch(client, module=IN_TOOL, ags=False))
    with app.app_context():
        (link,) = db.session.scalars(select(ResourceLink)).all()
        assert link.lineitem_url is None
        assert link.ags_scopes == []


def test_launch_without_module_parameter_lands_as_before(app: Flask, lms: Lms) -> None:
    client = new_client(app)
    page = land(client, lms.launch(client))
    assert page.request.path == "/my-training"
    with app.app_context():
        assert db.session.scalars(select(ResourceLink)).all() == []
