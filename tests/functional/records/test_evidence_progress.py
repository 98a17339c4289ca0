"""Evidence that speaks (issue 17): My training says when evidence is waiting to be checked
and when it came back with a reason, and the same training cannot be sent twice while the
first copy waits."""

from __future__ import annotations

from flask.testing import FlaskClient

from cpd_tracker.models import Evidence
from tests.functional.records.helpers import World, count, text
from tests.functional.records.test_evidence import only_evidence, review, status_of, submit

TITLE = "Speech, language and communication needs"


def my_training_row(client: FlaskClient, title: str) -> str:
    html = text(client.get("/my-training"))
    row = html[html.index(title) :]
    return row[: row.index("</tr>")]


def test_my_training_says_awaiting_check_with_the_day_it_was_sent(world: World) -> None:
    staff = world.client("staff_a")
    assert "Awaiting check" not in my_training_row(staff, TITLE)

    assert submit(staff, world).status_code == 303

    row = my_training_row(staff, TITLE)
    assert status_of(staff, TITLE) == "Due"
    assert '<strong class="govuk-tag">Awaiting check</strong>' in row
    evidence = only_evidence(world)
    sent = evidence.created_at
    assert f"Sent to your CPD lead to check on {sent.day} {sent:%B %Y}." in row


def test_after_a_reject_my_training_shows_the_reason_and_a_way_to_send_again(
    world: World,
) -> None:
    staff, lead = world.client("staff_a"), world.client("lead_a")
    submit(staff, world)
    evidence = only_evidence(world)
    reason = "The certificate does not show your name <b>here</b>."
    assert review(lead, world, evidence.id, "reject", reason=reason).status_code == 303

    row = my_training_row(staff, TITLE)
    assert "Awaiting check" not in row
    assert 'govuk-tag--red">Returned</strong>' in row
    assert f"Returned: {reason}" in row
    # The reason is the lead's text, shown as text.
    assert "<b>here</b>" not in staff.get("/my-training").get_data(as_text=True)
    link = f'href="/records/external/new?module_id={world.external_module}'
    assert link in row
    form = staff.get(f"/records/external/new?module_id={world.external_module}")
    assert f'<option selected value="{world.external_module}">' in form.get_data(as_text=True)

    # Sent again: waiting once more.
    assert submit(staff, world).status_code == 303
    row = my_training_row(staff, TITLE)
    assert "Awaiting check" in row
    assert "Returned" not in row


def test_after_a_verify_my_training_shows_the_training_done(world: World) -> None:
    staff, lead = world.client("staff_a"), world.client("lead_a")
    submit(staff, world)
    assert review(lead, world, only_evidence(world).id, "verify").status_code == 303
    row = my_training_row(staff, TITLE)
    assert status_of(staff, TITLE) == "Compliant"
    assert "Awaiting check" not in row
    assert "Returned" not in row


def test_the_same_training_cannot_be_sent_again_while_it_waits(world: World) -> None:
    staff = world.client("staff_a")
    assert submit(staff, world).status_code == 303
    files = world.stored_files()

    again = submit(staff, world, course_title="Speech and language, again")
    assert again.status_code == 409
    page = text(again)
    assert "There is a problem" in page
    assert "You sent “Supporting speech and language” for " + TITLE in page
    assert "has not been checked yet, so nothing new was saved" in page
    assert count(world.app, Evidence) == 1
    assert world.stored_files() == files

    # Other training, or someone else, is not a duplicate.
    assert submit(staff, world, module_id=str(world.inset_module)).status_code == 303
    assert submit(world.client("staff_a2"), world).status_code == 303
    assert count(world.app, Evidence) == 3
