"""Exemptions and extensions: each carries a reason, dates and who granted it, changes the
person's status, is audited, and can be revoked (the row stays, marked revoked)."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from cpd_tracker.extensions import db
from cpd_tracker.models import Exemption, Extension, Requirement
from tests.functional.records.helpers import World, audited, count, csrf, days_ago, text, uk

TITLE = "Speech, language and communication needs"


def person_url(world: World, person: str = "staff_a", school: int | None = None) -> str:
    """The one person page, where the forms are."""
    return f"/staff/schools/{school or world.school_a}/people/{world.person_id(person)}"


def forms_url(world: World, person: str = "staff_a", school: int | None = None) -> str:
    """Where the exemption, extension and revoke forms post."""
    return f"/records/schools/{school or world.school_a}/people/{world.person_id(person)}"


def requirement_id(world: World) -> int:
    with world.app.app_context():
        found = db.session.scalar(
            select(Requirement.id).where(Requirement.module_id == world.external_module)
        )
    assert found is not None
    return found


def post(client: FlaskClient, url: str, action: str, **fields: Any) -> TestResponse:
    """Open the one person page for ``url``'s person, then post its form to ``url/action``."""
    page = client.get(url.replace("/records/", "/staff/", 1))
    assert page.status_code == 200
    return client.post(
        f"{url}/{action}", data={"csrf_token": csrf(page.get_data(as_text=True)), **fields}
    )


def exempt(client: FlaskClient, world: World, **fields: Any) -> TestResponse:
    form = {
        "exemption_requirement": str(requirement_id(world)),
        "exemption_reason": "Long-term absence",
        "starts_on": uk(days_ago(5)),
        "ends_on": "",
    }
    form.update(fields)
    return post(client, forms_url(world), "exemptions", **form)


def extend(client: FlaskClient, world: World, **fields: Any) -> TestResponse:
    form = {
        "extension_requirement": str(requirement_id(world)),
        "new_due_on": uk(days_ago(-120)),
        "extension_reason": "Course full until next month",
    }
    form.update(fields)
    return post(client, forms_url(world), "extensions", **form)


def status_on_my_training(client: FlaskClient) -> str:
    html = text(client.get("/my-training"))
    row = html[html.index(TITLE) :]
    row = row[: row.index("</tr>")]
    return row.split('class="govuk-tag', 1)[1].split(">", 1)[1].split("<", 1)[0]


def test_exemption_makes_the_person_exempt_and_revoking_restores_due(world: World) -> None:
    lead, staff = world.client("lead_a"), world.client("staff_a")
    assert status_on_my_training(staff) == "Due"

    response = exempt(lead, world)
    assert response.status_code == 303
    # Back to the one person page, with its confirmation.
    assert response.headers["Location"] == f"{person_url(world)}?done=exemption"
    assert status_on_my_training(staff) == "Exempt"
    page = text(lead.get(response.headers["Location"]))
    assert "Exemption granted" in page
    assert "Long-term absence" in page
    assert "Ian Instructor" in page  # who granted it
    with world.app.app_context():
        row = db.session.scalars(select(Exemption)).one()
    assert row.granted_by_id == world.person_id("lead_a")
    assert row.starts_on == days_ago(5)
    assert row.ends_on is None
    entry = audited(world.app, "exemption.granted")[0]
    assert entry.details["reason"] == "Long-term absence"
    assert entry.actor_person_id == world.person_id("lead_a")

    revoked = post(lead, forms_url(world), f"exemptions/{row.id}/revoke")
    assert revoked.status_code == 303
    assert revoked.headers["Location"] == f"{person_url(world)}?done=revoked"
    assert status_on_my_training(staff) == "Due"
    with world.app.app_context():
        row = db.session.scalars(select(Exemption)).one()
    assert row.revoked_at is not None
    assert audited(world.app, "exemption.revoked")[0].entity_id == str(row.id)
    assert "Revoked" in text(lead.get(person_url(world)))

    again = post(lead, forms_url(world), f"exemptions/{row.id}/revoke")
    assert again.status_code == 409
    assert len(audited(world.app, "exemption.revoked")) == 1


def test_extension_makes_the_person_extended_and_revoking_restores_due(world: World) -> None:
    lead, staff = world.client("lead_a"), world.client("staff_a")
    response = extend(lead, world)
    assert response.status_code == 303
    assert response.headers["Location"] == f"{person_url(world)}?done=extension"
    assert status_on_my_training(staff) == "Extended"
    with world.app.app_context():
        row = db.session.scalars(select(Extension)).one()
    assert row.new_due_on == days_ago(-120)
    assert row.reason == "Course full until next month"
    assert row.granted_by_id == world.person_id("lead_a")
    assert audited(world.app, "extension.granted")[0].details["new_due_on"] == (
        days_ago(-120).isoformat()
    )

    assert post(lead, forms_url(world), f"extensions/{row.id}/revoke").status_code == 303
    assert status_on_my_training(staff) == "Due"
    assert len(audited(world.app, "extension.revoked")) == 1


def test_trust_leader_may_grant(world: World) -> None:
    assert exempt(world.client("trust"), world).status_code == 303
    assert count(world.app, Exemption) == 1


def test_completion_history_shows_every_completion_newest_first(world: World) -> None:
    from cpd_tracker.models import Completion, CompletionMethod

    person = world.person_id("staff_a")
    with world.app.app_context():
        for days, method in ((400, CompletionMethod.IMPORTED), (3, CompletionMethod.INSET)):
            db.session.add(
                Completion(
                    organisation_id=world.org_id,
                    person_id=person,
                    module_id=world.external_module,
                    completed_on=days_ago(days),
                    method=method,
                )
            )
        db.session.commit()
    html = text(world.client("lead_a").get(person_url(world)))
    newest, oldest = html.index(days_ago(3).strftime("%B %Y")), html.index("Imported")
    assert newest < oldest
    assert "INSET session" in html


@pytest.mark.parametrize(
    ("kind", "fields", "message"),
    [
        ("exempt", {"exemption_reason": " "}, "Enter the reason for the exemption"),
        ("exempt", {"exemption_requirement": ""}, "Select the training this person is exempt"),
        ("exempt", {"exemption_requirement": "999999"}, "Select the training this person is"),
        ("exempt", {"starts_on": ""}, "Enter the date the exemption starts"),
        ("exempt", {"starts_on": "32/1/2025"}, "Enter the start date, for example"),
        ("exempt", {"ends_on": uk(days_ago(10))}, "The end date must be the same as or after"),
        ("exempt", {"starts_on": uk(days_ago(-1000))}, "within the next 2 years"),
        ("exempt", {"exemption_reason": "x" * 501}, "500 characters or fewer"),
        ("extend", {"extension_reason": ""}, "Enter the reason for the extension"),
        ("extend", {"new_due_on": uk(days_ago(0))}, "The new due date must be in the future"),
        ("extend", {"new_due_on": uk(days_ago(-800))}, "within the next 2 years"),
        ("extend", {"new_due_on": uk(days_ago(-30))}, "must be after the current one"),
        ("extend", {"new_due_on": "soon"}, "Enter the new due date, for example"),
        ("extend", {"extension_requirement": "abc"}, "Select the training the extension is for"),
    ],
)
def test_bad_input_writes_nothing(
    world: World, kind: str, fields: dict[str, str], message: str
) -> None:
    lead = world.client("lead_a")
    response = (exempt if kind == "exempt" else extend)(lead, world, **fields)
    assert response.status_code == 400
    html = text(response)
    assert "There is a problem" in html
    assert message in html
    # The one person page around the refused form: the roles form and the training record.
    assert "Change roles and dates" in html
    assert "Training record" in html
    assert count(world.app, Exemption) + count(world.app, Extension) == 0
    assert audited(world.app, "exemption.granted") + audited(world.app, "extension.granted") == []


def test_a_cpd_lead_cannot_exempt_or_extend_themselves(world: World) -> None:
    lead = world.client("lead_a")
    own = forms_url(world, "lead_a")
    page = text(lead.get(person_url(world, "lead_a")))
    assert "Exemptions and extensions for yourself are granted by another" in page
    token = csrf(lead.get(person_url(world)).get_data(as_text=True))
    rid = str(requirement_id(world))
    for action, form in (
        (
            "exemptions",
            {
                "exemption_requirement": rid,
                "exemption_reason": "Busy",
                "starts_on": uk(days_ago(1)),
            },
        ),
        (
            "extensions",
            {
                "extension_requirement": rid,
                "extension_reason": "Busy",
                "new_due_on": uk(days_ago(-20)),
            },
        ),
    ):
        response = lead.post(f"{own}/{action}", data={"csrf_token": token, **form})
        assert response.status_code == 403
        assert "cannot grant or revoke your own" in text(response)
    assert count(world.app, Exemption) + count(world.app, Extension) == 0

    # Nor revoke one a trust leader granted them.
    trust = world.client("trust")
    assert (
        post(
            trust,
            own,
            "exemptions",
            exemption_requirement=rid,
            exemption_reason="Leave",
            starts_on=uk(days_ago(1)),
        ).status_code
        == 303
    )
    with world.app.app_context():
        row_id = db.session.scalars(select(Exemption.id)).one()
    response = lead.post(f"{own}/exemptions/{row_id}/revoke", data={"csrf_token": token})
    assert response.status_code == 403
    with world.app.app_context():
        assert db.session.get(Exemption, row_id).revoked_at is None  # type: ignore[union-attr]


def test_revoking_someone_elses_row_through_this_person_is_not_found(world: World) -> None:
    lead = world.client("lead_a")
    exempt(lead, world)
    with world.app.app_context():
        row_id = db.session.scalars(select(Exemption.id)).one()
    other = forms_url(world, "staff_a2")
    response = post(lead, other, f"exemptions/{row_id}/revoke")
    assert response.status_code == 404
    assert post(lead, forms_url(world), f"extensions/{row_id}/revoke").status_code == 404
    with world.app.app_context():
        assert db.session.get(Exemption, row_id).revoked_at is None  # type: ignore[union-attr]


def test_csrf_missing_writes_nothing(world: World) -> None:
    lead = world.client("lead_a")
    url = forms_url(world)
    rid = str(requirement_id(world))
    response = lead.post(
        f"{url}/exemptions",
        data={"exemption_requirement": rid, "exemption_reason": "x", "starts_on": uk(days_ago(1))},
    )
    assert response.status_code == 400
    response = lead.post(
        f"{url}/extensions",
        data={
            "extension_requirement": rid,
            "extension_reason": "x",
            "new_due_on": uk(days_ago(-9)),
        },
    )
    assert response.status_code == 400
    assert count(world.app, Exemption) + count(world.app, Extension) == 0
    exempt(lead, world)
    with world.app.app_context():
        row_id = db.session.scalars(select(Exemption.id)).one()
    assert lead.post(f"{url}/exemptions/{row_id}/revoke").status_code == 400
    with world.app.app_context():
        assert db.session.get(Exemption, row_id).revoked_at is None  # type: ignore[union-attr]
