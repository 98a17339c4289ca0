"""The catalogue pages: trust leaders add, edit, retire and restore modules; money is typed in
pounds and stored in pence; bad input is a 400 with an error summary and nothing written."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from cpd_tracker.extensions import db
from cpd_tracker.models import AuditEntry, Delivery, Module, ModulePage, Question, Requirement
from tests.functional.manage.helpers import (
    World,
    audited,
    count,
    csrf,
    module_form,
    module_row,
    submit,
    text,
)


def _by_title(world: World, title: str) -> list[Module]:
    with world.app.app_context():
        return list(
            db.session.scalars(
                select(Module)
                .where(Module.organisation_id == world.org_id, Module.title == title)
                .order_by(Module.id)
            )
        )


def test_catalogue_lists_modules_with_prices_in_pounds(world: World) -> None:
    page = world.client("leader").get("/manage/catalogue")
    assert page.status_code == 200
    html = text(page)
    assert "Test module: attention and regulation" in html
    assert "£150.00" in html
    assert "Add a module" in html
    assert f"/manage/catalogue/{world.module}/edit" in html
    # The navigation names the setup pages for trust leaders.
    assert "Training setup" in html


def test_cpd_lead_sees_the_catalogue_read_only(world: World) -> None:
    page = world.client("lead_a").get("/manage/catalogue")
    assert page.status_code == 200
    html = text(page)
    assert "Test module: attention and regulation" in html
    assert "Add a module" not in html
    assert "/edit" not in html
    assert "A trust leader adds, changes and retires modules" in html


def test_add_a_module_stores_pence_and_is_audited(world: World) -> None:
    response = submit(world.client("leader"), "/manage/catalogue/new", module_form())
    assert response.status_code == 302
    [module] = _by_title(world, "Precision teaching")
    assert module.list_price_pence == 123_450
    assert module.cpd_hours == Decimal("3")
    assert module.default_validity_months == 24
    assert module.tier.value == "enhanced"
    assert module.delivery is Delivery.EXTERNAL
    assert module.slug == "precision-teaching"
    assert module.retired_at is None
    [entry] = audited(world.app, "module.created")
    assert entry.entity_id == str(module.id)
    assert entry.actor_person_id is not None
    listed = text(world.client("leader").get(response.headers["Location"]))
    assert "£1,234.50" in listed
    assert "Precision teaching is in the catalogue." in listed


@pytest.mark.parametrize(
    ("typed", "pence"),
    [("150", 15_000), ("£150.00", 15_000), ("150.5", 15_050), ("£0.99", 99), ("", None)],
)
def test_prices_are_read_exactly(world: World, typed: str, pence: int | None) -> None:
    response = submit(
        world.client("leader"), "/manage/catalogue/new", module_form(list_price=typed)
    )
    assert response.status_code == 302
    [module] = _by_title(world, "Precision teaching")
    assert module.list_price_pence == pence


def test_a_module_may_never_expire(world: World) -> None:
    response = submit(
        world.client("leader"), "/manage/catalogue/new", module_form(default_validity_months="")
    )
    assert response.status_code == 302
    [module] = _by_title(world, "Precision teaching")
    assert module.default_validity_months is None
    assert "Does not expire" in text(world.client("leader").get("/manage/catalogue"))


def test_a_title_used_before_gets_its_own_slug(world: World) -> None:
    client = world.client("leader")
    assert submit(client, "/manage/catalogue/new", module_form()).status_code == 302
    assert submit(client, "/manage/catalogue/new", module_form()).status_code == 302
    assert [m.slug for m in _by_title(world, "Precision teaching")] == [
        "precision-teaching",
        "precision-teaching-2",
    ]


BAD_MODULES = [
    ({"title": ""}, "Enter the title of the training"),
    ({"title": "x" * 201}, "The title must be 200 characters or fewer"),
    ({"category": ""}, "Enter a category, like SEND"),
    ({"list_price": "-5"}, "The list price must be £0 or more"),
    ({"list_price": "£-5.00"}, "The list price must be £0 or more"),
    ({"list_price": "12.345"}, "Enter the list price in pounds and pence, like £150.00"),
    ({"list_price": "1e3"}, "Enter the list price in pounds and pence, like £150.00"),
    ({"list_price": "£1,50.00"}, "Enter the list price in pounds and pence, like £150.00"),
    ({"list_price": "£100,000.01"}, "The list price must be £100,000.00 or less"),
    ({"cpd_hours": ""}, "Enter the CPD hours, like 1.5"),
    ({"cpd_hours": "abc"}, "Enter the CPD hours as a number, like 1.5"),
    ({"cpd_hours": "-1"}, "Enter the CPD hours as a number, like 1.5"),
    ({"cpd_hours": "1.234"}, "Enter the CPD hours as a number, like 1.5"),
    ({"cpd_hours": "1001"}, "CPD hours must be 1,000 or fewer"),
    ({"default_validity_months": "0"}, "The number of months must be between 1 and 120"),
    ({"default_validity_months": "121"}, "The number of months must be between 1 and 120"),
    ({"default_validity_months": "1.5"}, "The number of months must be a whole number"),
    ({"tier": "expert"}, "Choose the tier of expertise"),
    ({"tier": ""}, "Choose the tier of expertise"),
    ({"delivery": ""}, "Choose how the training is delivered"),
    ({"delivery": "carrier_pigeon"}, "Choose how the training is delivered"),
    ({"delivery": "in_tool"}, "Only modules with content in the tool can be delivered"),
    ({"booking_url": "http://nasen.org.uk/book"}, "starting https://"),
    ({"booking_url": "javascript:alert(1)"}, "starting https://"),
    ({"booking_url": "https://"}, "starting https://"),
    ({"booking_url": "https://localhost/book"}, "starting https://"),
    ({"booking_url": "https://user@nasen.org.uk/"}, "starting https://"),
    ({"booking_url": "https://nasen.org.uk/a b"}, "starting https://"),
    ({"booking_url": "https://[nasen.org.uk/"}, "starting https://"),
    ({"booking_url": "https://nasen.org.uk/" + "a" * 480}, "500 characters or fewer"),
    ({"how_to_complete": "x" * 2001}, "How to complete it must be 2,000 characters or fewer"),
]


@pytest.mark.parametrize(("changes", "message"), BAD_MODULES)
def test_bad_module_input_is_refused_and_nothing_written(
    world: World, changes: dict[str, str], message: str
) -> None:
    before = count(world.app, Module)
    response = submit(world.client("leader"), "/manage/catalogue/new", module_form(**changes))
    assert response.status_code == 400
    html = html_lib.unescape(text(response))
    assert "There is a problem" in html
    assert message in html
    assert "<title>Error: " in html
    assert count(world.app, Module) == before
    assert audited(world.app, "module.created") == []


def test_edit_form_shows_the_price_in_pounds(world: World) -> None:
    page = world.client("leader").get(f"/manage/catalogue/{world.module}/edit")
    assert page.status_code == 200
    html = text(page)
    assert 'value="£150.00"' in html
    assert 'value="1.5"' in html
    free = text(world.client("leader").get(f"/manage/catalogue/{world.module2}/edit"))
    assert re.search(r'name="list_price"[^>]*value=""', free)


def test_edit_a_module_and_audit_what_changed(world: World) -> None:
    response = submit(
        world.client("leader"),
        f"/manage/catalogue/{world.module}/edit",
        module_form(title="Attention and regulation", list_price="99"),
    )
    assert response.status_code == 302
    module = module_row(world.app, world.module)
    assert module.title == "Attention and regulation"
    assert module.list_price_pence == 9_900
    [entry] = audited(world.app, "module.edited")
    assert entry.entity_id == str(world.module)
    assert entry.details["changed"]["title"] == "Attention and regulation"
    assert entry.details["changed"]["list_price_pence"] == "9900"


def test_a_booking_link_and_how_to_complete_are_set_on_the_module(world: World) -> None:
    url = "https://nasen.org.uk/training/attention?date=2027-01-12&venue=Leeds"
    response = submit(
        world.client("leader"),
        f"/manage/catalogue/{world.module}/edit",
        module_form(booking_url=f"  {url} ", how_to_complete="Ask the office for cover."),
    )
    assert response.status_code == 302
    module = module_row(world.app, world.module)
    assert module.booking_url == url
    assert module.how_to_complete == "Ask the office for cover."
    [entry] = audited(world.app, "module.edited")
    assert entry.details["changed"]["booking_url"] == url
    page = html_lib.unescape(
        text(world.client("leader").get(f"/manage/catalogue/{world.module}/edit"))
    )
    assert f'value="{url}"' in page
    assert "Ask the office for cover.</textarea>" in page
    cleared = submit(
        world.client("leader"),
        f"/manage/catalogue/{world.module}/edit",
        module_form(booking_url="", how_to_complete=""),
    )
    assert cleared.status_code == 302
    module = module_row(world.app, world.module)
    assert module.booking_url is None
    assert module.how_to_complete is None


def test_bad_edit_writes_nothing(world: World) -> None:
    response = submit(
        world.client("leader"),
        f"/manage/catalogue/{world.module}/edit",
        module_form(title="Renamed", list_price="-1"),
    )
    assert response.status_code == 400
    assert "The list price must be £0 or more" in html_lib.unescape(text(response))
    module = module_row(world.app, world.module)
    assert module.title == "Test module: attention and regulation"
    assert module.list_price_pence == 15_000
    assert audited(world.app, "module.edited") == []


def test_an_in_tool_module_with_content_stays_in_the_tool(world: World) -> None:
    with world.app.app_context():
        db.session.add(
            ModulePage(module_id=world.module, position=1, title="One", body_markdown="Text")
        )
        module = db.session.get(Module, world.module)
        assert module is not None
        module.delivery = Delivery.IN_TOOL
        db.session.commit()
    response = submit(
        world.client("leader"),
        f"/manage/catalogue/{world.module}/edit",
        module_form(delivery="in_tool"),
    )
    assert response.status_code == 302
    assert module_row(world.app, world.module).delivery is Delivery.IN_TOOL


def test_retiring_a_required_module_warns_then_keeps_history(world: World) -> None:
    requirement = world.requirement(world.module, validity_months=12)
    client = world.client("leader")
    school_page = f"/schools/{world.school_a}"
    assert "Test module: attention and regulation" in text(client.get(school_page))

    confirm = client.get(f"/manage/catalogue/{world.module}/retire")
    assert confirm.status_code == 200
    html = text(confirm)
    assert "1 requirement uses this module" in html
    assert "All staff, every school" in html
    assert "Retire module" in html

    done = client.post(f"/manage/catalogue/{world.module}/retire", data={"csrf_token": csrf(html)})
    assert done.status_code == 302
    assert module_row(world.app, world.module).retired_at is not None
    assert count(world.app, Requirement, Requirement.id == requirement) == 1
    assert count(world.app, Requirement, Requirement.retired_at.is_not(None)) == 0
    [entry] = audited(world.app, "module.retired")
    assert entry.entity_id == str(world.module)
    assert "is retired. Its history is kept." in text(client.get(done.headers["Location"]))
    # Its requirement stops applying, and the catalogue hides it unless asked.
    assert "Test module: attention and regulation" not in text(client.get(school_page))
    assert "Test module: attention and regulation" not in text(client.get("/manage/catalogue"))
    shown = text(client.get("/manage/catalogue?retired=1"))
    assert "Test module: attention and regulation" in shown
    assert "Retired" in shown
    assert f"/manage/catalogue/{world.module}/restore" in shown

    restore = client.get(f"/manage/catalogue/{world.module}/restore")
    assert restore.status_code == 200
    assert "will apply again" in text(restore)
    back = client.post(
        f"/manage/catalogue/{world.module}/restore", data={"csrf_token": csrf(text(restore))}
    )
    assert back.status_code == 302
    assert module_row(world.app, world.module).retired_at is None
    assert len(audited(world.app, "module.restored")) == 1
    assert "is back in the catalogue" in text(client.get(back.headers["Location"]))
    assert "Test module: attention and regulation" in text(client.get(school_page))


def test_retiring_an_unused_module_says_so(world: World) -> None:
    page = world.client("leader").get(f"/manage/catalogue/{world.module2}/retire")
    assert "No active requirement uses this module." in text(page)


def test_confirmation_of_what_is_already_done_goes_back_to_the_catalogue(world: World) -> None:
    client = world.client("leader")
    restore = client.get(f"/manage/catalogue/{world.module}/restore")
    assert restore.status_code == 302
    page = client.get(f"/manage/catalogue/{world.module}/retire")
    client.post(f"/manage/catalogue/{world.module}/retire", data={"csrf_token": csrf(text(page))})
    assert client.get(f"/manage/catalogue/{world.module}/retire").status_code == 302
    # A second retire (another tab) changes nothing and is not audited twice.
    again = client.post(
        f"/manage/catalogue/{world.module}/retire", data={"csrf_token": csrf(text(page))}
    )
    assert again.status_code == 302
    assert len(audited(world.app, "module.retired")) == 1


@pytest.mark.parametrize(
    "path",
    ["/manage/catalogue/new", "/manage/catalogue/{m}/edit", "/manage/catalogue/{m}/retire"],
)
def test_catalogue_forms_without_csrf_are_refused(world: World, path: str) -> None:
    url = path.format(m=world.module)
    client = world.client("leader")
    before = count(world.app, AuditEntry)
    response = client.post(url, data=module_form(title="Renamed"))
    assert response.status_code == 400
    assert "There is a problem" in text(response)
    assert count(world.app, AuditEntry) == before
    module = module_row(world.app, world.module)
    assert module.title == "Test module: attention and regulation"
    assert module.retired_at is None
    assert _by_title(world, "Renamed") == []


def test_restore_without_csrf_is_refused(world: World) -> None:
    with world.app.app_context():
        module = db.session.get(Module, world.module)
        assert module is not None
        module.retired_at = module.created_at
        db.session.commit()
    response = world.client("leader").post(f"/manage/catalogue/{world.module}/restore")
    assert response.status_code == 400
    assert module_row(world.app, world.module).retired_at is not None


def _with_check(world: World, questions: int) -> None:
    """Give the test module content and ``questions`` questions, delivered in the tool."""
    with world.app.app_context():
        db.session.add(
            ModulePage(module_id=world.module, position=1, title="One", body_markdown="Text")
        )
        for n in range(1, questions + 1):
            db.session.add(Question(module_id=world.module, position=n, prompt=f"Q{n}"))
        module = db.session.get(Module, world.module)
        assert module is not None
        module.delivery = Delivery.IN_TOOL
        module.pass_mark_percent = 80
        db.session.commit()


def test_the_knowledge_check_pass_mark_and_bank_size_are_set_on_the_module(world: World) -> None:
    _with_check(world, 5)
    url = f"/manage/catalogue/{world.module}/edit"
    page = text(world.client("leader").get(url))
    assert "5 questions." in page
    assert re.search(r'name="pass_mark_percent"[^>]*value="80"', page)
    response = submit(
        world.client("leader"),
        url,
        module_form(delivery="in_tool", pass_mark_percent="70", questions_per_attempt="3"),
    )
    assert response.status_code == 302
    module = module_row(world.app, world.module)
    assert (module.pass_mark_percent, module.questions_per_attempt) == (70, 3)
    [entry] = audited(world.app, "module.edited")
    assert "questions_per_attempt" in entry.details["changed"]
    # Empty asks every question again.
    submit(
        world.client("leader"),
        url,
        module_form(delivery="in_tool", pass_mark_percent="70", questions_per_attempt=""),
    )
    assert module_row(world.app, world.module).questions_per_attempt is None


@pytest.mark.parametrize(
    ("mark", "bank", "message"),
    [
        ("", "", "Enter the pass mark, like 80"),
        ("0", "", "The pass mark must be between 1 and 100"),
        ("101", "", "The pass mark must be between 1 and 100"),
        ("²", "", "The pass mark must be a whole number"),
        ("80", "6", "between 1 and 5, the questions this module has"),
        ("80", "0", "between 1 and 5, the questions this module has"),
        ("80", "2147483648", "must be a whole number"),
    ],
)
def test_bad_knowledge_check_settings_are_refused(
    world: World, mark: str, bank: str, message: str
) -> None:
    _with_check(world, 5)
    response = submit(
        world.client("leader"),
        f"/manage/catalogue/{world.module}/edit",
        module_form(delivery="in_tool", pass_mark_percent=mark, questions_per_attempt=bank),
    )
    assert response.status_code == 400
    assert message in text(response)
    module = module_row(world.app, world.module)
    assert (module.pass_mark_percent, module.questions_per_attempt) == (80, None)


def test_a_module_without_questions_has_no_check_settings(world: World) -> None:
    page = text(world.client("leader").get(f"/manage/catalogue/{world.module}/edit"))
    assert "pass_mark_percent" not in page


def test_a_new_version_and_a_replacement_are_set_on_the_module(world: World) -> None:
    url = f"/manage/catalogue/{world.module}/edit"
    page = text(world.client("leader").get(url))
    assert "Versions and replacements" in page
    assert f'<option value="{world.module2}">' in page
    assert f'<option value="{world.module}">' not in page  # never itself
    assert f'<option value="{world.other_org_module}">' not in page  # never another trust's
    response = submit(
        world.client("leader"),
        url,
        module_form(completions_count_from="1/9/2026", replaced_by=str(world.module2)),
    )
    assert response.status_code == 302
    module = module_row(world.app, world.module)
    assert module.completions_count_from == dt.date(2026, 9, 1)
    assert module.replaced_by_id == world.module2
    [entry] = audited(world.app, "module.edited")
    assert {"replaced_by_id", "completions_count_from"} <= set(entry.details["changed"])
    # The replacement cannot in turn be replaced by this module: no chain goes round.
    back = text(world.client("leader").get(f"/manage/catalogue/{world.module2}/edit"))
    assert f'<option value="{world.module}">' not in back


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("completions_count_from", "31/2/2026", "The date of the new version must be a real date"),
        ("replaced_by", "99999", "Choose a module from the list, or Not replaced"),
        ("replaced_by", "²", "Choose a module from the list, or Not replaced"),
    ],
)
def test_bad_version_or_replacement_is_refused(
    world: World, field: str, value: str, message: str
) -> None:
    response = submit(
        world.client("leader"),
        f"/manage/catalogue/{world.module}/edit",
        module_form(**{field: value}),
    )
    assert response.status_code == 400
    assert message in text(response)
    module = module_row(world.app, world.module)
    assert (module.replaced_by_id, module.completions_count_from) == (None, None)
