"""The seed catalogue: complete against DOMAIN.md's SEND catalogue, well-formed, safely renderable,
and priced within the domain's ranges."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from markdown_it import MarkdownIt

from cpd_tracker.catalogue.seed_data import CATALOGUE, REVIEWED_ON, SeedModule
from cpd_tracker.models import Delivery, DueRule, StaffRoleKind, Tier

IN_TOOL = [m for m in CATALOGUE if m.delivery is Delivery.IN_TOOL]
NOT_IN_TOOL = [m for m in CATALOGUE if m.delivery is not Delivery.IN_TOOL]
BY_SLUG = {m.slug: m for m in CATALOGUE}
STAFF_ROLES = {r.value for r in StaffRoleKind} - {StaffRoleKind.UNASSIGNED.value}

#: DOMAIN.md: external SEND course day £100 to £400 per delegate; specialist-led INSET day
#: £400 to £550.
EXTERNAL_PRICE_RANGE = (10_000, 40_000)
INSET_PRICE_RANGE = (40_000, 55_000)


def _ids(modules: list[SeedModule]) -> list[str]:
    return [m.slug for m in modules]


def _titles_matching(*keywords: str) -> list[SeedModule]:
    return [m for m in CATALOGUE if all(k.lower() in m.title.lower() for k in keywords)]


def _all_markdown() -> list[tuple[str, str]]:
    return [(f"{m.slug}: {p.title}", p.body_markdown) for m in IN_TOOL for p in m.pages]


def _all_learner_text() -> list[tuple[str, str]]:
    """Every string a learner sees in an in-tool module (pages, questions, options)."""
    texts = _all_markdown()
    for m in IN_TOOL:
        for q in m.questions:
            texts.append((f"{m.slug}: question", q.prompt))
            texts.append((f"{m.slug}: explanation", q.explanation))
            texts.extend((f"{m.slug}: option", o.text) for o in q.options)
    return texts


def test_slugs_are_unique_and_well_formed() -> None:
    slugs = [m.slug for m in CATALOGUE]
    assert len(slugs) == len(set(slugs))
    for slug in slugs:
        assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", slug), slug
        assert len(slug) <= 80


def test_titles_are_unique() -> None:
    titles = [m.title for m in CATALOGUE]
    assert len(titles) == len(set(titles))


@pytest.mark.parametrize(
    ("area", "keywords", "at_least"),
    [
        ("SEND Code of Practice and the graduated approach", ("code of practice",), 1),
        ("Ordinarily available provision", ("ordinarily available provision",), 1),
        ("Trauma-informed practice: all staff; senior leads; diploma", ("trauma",), 3),
        ("Specific learning difficulties: teachers and TAs; specialist", ("specific learning",), 2),
        ("Behaviour management / de-escalation: 6 h and 12 h levels", ("de-escalation",), 2),
        ("Speech, language and communication needs", ("speech, language and communication",), 2),
        ("Autism: awareness, good practice, leading practice", ("autism",), 3),
        ("Working with families: mediation", ("families", "mediation"), 1),
        ("Early language and communication interventions", ("early language",), 1),
        ("SEND for leaders and governors", ("governors",), 1),
        ("SEND for leaders and governors", ("leaders",), 1),
        ("NPQ for SENCOs", ("npq for sencos",), 1),
    ],
)
def test_every_domain_catalogue_area_is_present(
    area: str, keywords: tuple[str, ...], at_least: int
) -> None:
    assert len(_titles_matching(*keywords)) >= at_least, area


def test_autism_has_three_levels_across_the_tiers() -> None:
    autism = _titles_matching("autism")
    assert {m.tier for m in autism} == {Tier.AWARENESS, Tier.ENHANCED, Tier.SPECIALIST}


def test_behaviour_levels_have_domain_renewal_periods() -> None:
    six = BY_SLUG["behaviour-de-escalation-6h"]
    twelve = BY_SLUG["behaviour-de-escalation-12h"]
    assert (six.cpd_hours, six.default_validity_months) == (Decimal("6"), 24)
    assert (twelve.cpd_hours, twelve.default_validity_months) == (Decimal("12"), 12)


def test_speech_language_modules_renew_every_three_years() -> None:
    for module in _titles_matching("speech, language and communication"):
        assert module.default_validity_months == 36, module.slug


def test_the_code_of_practice_module_renews_yearly() -> None:
    assert BY_SLUG["send-code-of-practice-essentials"].default_validity_months == 12


def test_npq_for_sencos_is_a_specialist_qualification_that_never_expires() -> None:
    npq = BY_SLUG["npq-for-sencos"]
    assert npq.delivery is Delivery.QUALIFICATION
    assert npq.tier is Tier.SPECIALIST
    assert npq.default_validity_months is None
    assert npq.suggested_roles == ("senco",)
    assert npq.provider == "NPQ lead provider"
    assert npq.suggested_rule is None or npq.suggested_rule["validity_months"] is None


def test_the_two_showcase_modules_are_in_tool() -> None:
    assert set(_ids(IN_TOOL)) == {
        "send-code-of-practice-essentials",
        "trauma-informed-practice-basics",
    }


@pytest.mark.parametrize("module", IN_TOOL, ids=_ids(IN_TOOL))
def test_in_tool_modules_have_content_and_a_knowledge_check(module: SeedModule) -> None:
    assert 4 <= len(module.pages) <= 6
    assert len(module.questions) >= 6
    assert module.pass_mark_percent is not None
    assert 50 <= module.pass_mark_percent <= 100
    assert module.list_price_pence in (None, 0)
    page_titles = [p.title for p in module.pages]
    assert len(page_titles) == len(set(page_titles))
    for page in module.pages:
        assert page.title.strip()
        assert 150 <= len(page.body_markdown.split()) <= 450, page.title


@pytest.mark.parametrize("module", IN_TOOL, ids=_ids(IN_TOOL))
def test_every_question_has_right_and_wrong_options_and_an_explanation(
    module: SeedModule,
) -> None:
    for question in module.questions:
        assert question.prompt.strip()
        assert question.explanation.strip(), question.prompt
        assert len(question.options) >= 2, question.prompt
        assert any(o.correct for o in question.options), question.prompt
        assert any(not o.correct for o in question.options), question.prompt
        texts = [o.text for o in question.options]
        assert len(texts) == len(set(texts)), question.prompt
        assert all(t.strip() for t in texts), question.prompt


@pytest.mark.parametrize("module", NOT_IN_TOOL, ids=_ids(NOT_IN_TOOL))
def test_modules_delivered_elsewhere_have_no_pages_questions_or_pass_mark(
    module: SeedModule,
) -> None:
    assert module.pages == ()
    assert module.questions == ()
    assert module.pass_mark_percent is None
    assert module.provider, "an external, INSET or qualification module names its provider"


@pytest.mark.parametrize("module", CATALOGUE, ids=_ids(list(CATALOGUE)))
def test_prices_are_within_the_domain_ranges(module: SeedModule) -> None:
    price = module.list_price_pence
    if module.delivery is Delivery.IN_TOOL:
        assert price in (None, 0)
    elif module.delivery is Delivery.EXTERNAL:
        assert price is not None
        assert EXTERNAL_PRICE_RANGE[0] <= price <= EXTERNAL_PRICE_RANGE[1]
    elif module.delivery is Delivery.INSET:
        # None: delivered without charge (e.g. a local authority briefing).
        assert price is None or INSET_PRICE_RANGE[0] <= price <= INSET_PRICE_RANGE[1]
    else:
        assert price is None or price > 0


@pytest.mark.parametrize("module", CATALOGUE, ids=_ids(list(CATALOGUE)))
def test_fields_are_well_formed(module: SeedModule) -> None:
    assert module.title.strip()
    assert len(module.title) <= 200
    assert module.category.strip()
    assert len(module.category) <= 80
    assert isinstance(module.tier, Tier)
    assert isinstance(module.delivery, Delivery)
    assert isinstance(module.cpd_hours, Decimal)
    assert Decimal("0") < module.cpd_hours < Decimal("10000")
    assert module.cpd_hours == module.cpd_hours.quantize(Decimal("0.01"))
    assert module.provider is None or len(module.provider) <= 200
    assert module.default_validity_months is None or module.default_validity_months > 0
    # The description proper; the review date and any proposals follow it (tested below).
    description = module.summary.split(" Last reviewed ")[0]
    sentences = re.findall(r"[.!?](?:\s|$)", description)
    assert 2 <= len(sentences) <= 3, module.summary
    assert "<" not in module.summary


@pytest.mark.parametrize("module", CATALOGUE, ids=_ids(list(CATALOGUE)))
def test_suggested_roles_are_staff_role_values(module: SeedModule) -> None:
    assert set(module.suggested_roles) <= STAFF_ROLES
    assert len(module.suggested_roles) == len(set(module.suggested_roles))


@pytest.mark.parametrize(
    "module",
    [m for m in CATALOGUE if m.suggested_rule is not None],
    ids=_ids([m for m in CATALOGUE if m.suggested_rule is not None]),
)
def test_suggested_rules_fit_the_requirement_model(module: SeedModule) -> None:
    rule = module.suggested_rule
    assert rule is not None
    due_rule = DueRule(rule["due_rule"])
    if due_rule is DueRule.FIXED_DATE:
        assert set(rule) == {"due_rule", "due_month", "due_day", "validity_months"}
        assert 1 <= rule["due_month"] <= 12
        assert 1 <= rule["due_day"] <= 28
    else:
        assert set(rule) == {"due_rule", "due_days", "validity_months"}
        assert rule["due_days"] > 0
    # The suggested requirement agrees with the module's own default.
    assert rule["validity_months"] == module.default_validity_months


def test_providers_are_generic_descriptions() -> None:
    for module in NOT_IN_TOOL:
        assert module.provider is not None
        # Generic descriptions, not trading names: no company suffixes or trademarks.
        assert not re.search(r"\b(Ltd|Limited|LLP|plc|Inc)\b|[\u00ae\u2122]", module.provider)


@pytest.mark.parametrize(("where", "text"), _all_learner_text())
def test_learner_text_has_no_html_scripts_links_or_images(where: str, text: str) -> None:
    assert "<" not in text, where
    assert ">" not in text.replace("\n> ", "\n").removeprefix("> "), where
    assert "javascript:" not in text.lower(), where
    assert "![" not in text, where
    assert not re.search(r"\]\(|https?://|www\.", text), where


@pytest.mark.parametrize(("where", "text"), _all_markdown())
def test_markdown_uses_section_headings_only(where: str, text: str) -> None:
    headings = re.findall(r"^(#+) ", text, flags=re.MULTILINE)
    assert headings, where
    assert set(headings) <= {"##", "###"}, where
    assert text.startswith("## "), where
    assert text.endswith("\n"), where
    assert not text.endswith("\n\n"), where


@pytest.mark.parametrize(("where", "text"), _all_markdown())
def test_markdown_renders_to_plain_safe_html(where: str, text: str) -> None:
    # The settings the module page renderer uses: CommonMark, raw HTML off.
    html = MarkdownIt("commonmark", {"html": False, "linkify": False}).render(text)
    tags = set(re.findall(r"<\s*([a-z0-9]+)", html))
    assert tags <= {"h2", "h3", "p", "ul", "ol", "li", "strong", "em", "blockquote"}, where


def test_statutory_points_cite_the_code_of_practice() -> None:
    cop = BY_SLUG["send-code-of-practice-essentials"]
    body = "\n".join(p.body_markdown for p in cop.pages)
    for paragraph in ("6.36", "6.44", "6.65", "6.28 to 6.35", "9.8"):
        assert paragraph in body


def test_trauma_module_sends_concerns_to_the_dsl() -> None:
    trauma = BY_SLUG["trauma-informed-practice-basics"]
    body = "\n".join(p.body_markdown for p in trauma.pages)
    assert "designated safeguarding lead" in body
    assert "Keeping children safe in education" in body


# ------------------------------------------------------------- issue 16: content as the law reads


def _page(slug: str, position: int) -> str:
    return BY_SLUG[slug].pages[position - 1].body_markdown


def _one_line(text: str) -> str:
    return " ".join(text.split())


def test_parents_must_get_an_annual_report_6_64() -> None:
    page = _one_line(_page("send-code-of-practice-essentials", 5))
    assert (
        "Schools **must** give parents a report on their child's progress at least once a year"
        in page
    )
    assert "(6.64)" in page
    assert "should also receive regular reports" not in page


def test_the_la_requires_the_head_to_arrange_the_annual_review() -> None:
    page = _one_line(_page("send-code-of-practice-essentials", 4))
    assert "the local authority requires the headteacher to arrange the annual review" in page
    assert "regulation 20" in page
    assert "under 5 every 3 to 6 months (9.178)" in page
    assert "schools usually organise" not in page


def test_the_senco_is_a_qualified_teacher_or_the_head_or_acting_head() -> None:
    page = _one_line(_page("send-code-of-practice-essentials", 6))
    assert "or the headteacher or acting headteacher" in page
    assert "(QTLS) status who is a member of the Society for Education and Training" in page
    # reg. 49(7)(a): the course completed, not the award, before 1 September 2027.
    assert "the course is completed before 1 September 2027" in page


def test_kcsie_part_one_is_for_staff_who_work_directly_with_children() -> None:
    page = _one_line(_page("trauma-informed-practice-basics", 6))
    assert "All school staff should read" not in page
    assert (
        "Every member of staff who works directly with children should read at least Part one"
        in page
    )
    assert "Annex A" in page


@pytest.mark.parametrize(
    ("slug", "page", "words"),
    [
        ("send-code-of-practice-essentials", 5, "at least once a year"),
        ("send-code-of-practice-essentials", 4, "regulation 20"),
        ("send-code-of-practice-essentials", 6, "acting headteacher"),
        ("trauma-informed-practice-basics", 6, "Part one"),
    ],
)
def test_a_question_checks_each_correction_on_its_page(slug: str, page: int, words: str) -> None:
    """The knowledge check keeps in step: a question pointing at the corrected page asks it."""
    asked = [
        " ".join([q.explanation, *(o.text for o in q.options if o.correct)])
        for q in BY_SLUG[slug].questions
        if q.page == page
    ]
    assert any(words in text for text in asked), asked
    assert words in _one_line(_page(slug, page))


@pytest.mark.parametrize("module", CATALOGUE, ids=_ids(list(CATALOGUE)))
def test_every_module_says_when_it_was_last_reviewed(module: SeedModule) -> None:
    assert module.reviewed_on == REVIEWED_ON
    assert f"Last reviewed {REVIEWED_ON.day} {REVIEWED_ON:%B %Y}." in module.summary


WHERE_LAW_MAY_CHANGE = {
    "send-code-of-practice-essentials",
    "ordinarily-available-provision",
    "working-with-families",
    "send-for-school-and-trust-leaders",
    "send-for-governors",
    "npq-for-sencos",
}


@pytest.mark.parametrize("module", CATALOGUE, ids=_ids(list(CATALOGUE)))
def test_modules_whose_law_may_change_say_what_is_proposed(module: SeedModule) -> None:
    if module.slug not in WHERE_LAW_MAY_CHANGE:
        assert module.proposed_changes == ""
        return
    note = module.proposed_changes
    assert note.startswith(f"As at {REVIEWED_ON.day} {REVIEWED_ON:%B %Y}: ")
    assert "Schools White Paper of 23 February 2026" in note
    assert "SEND reform consultation" in note
    assert "propose changes to" in note
    assert "These are proposals, not law" in note
    assert module.summary.endswith(note)


def test_the_spld_assessors_practising_certificate_renews_every_three_years() -> None:
    spld = BY_SLUG["spld-specialist-teacher"]
    assert spld.default_validity_months == 36
    assert "renewed every three years" in spld.summary


def test_behaviour_6h_renews_from_completion_not_1_september() -> None:
    rule = BY_SLUG["behaviour-de-escalation-6h"].suggested_rule
    assert rule is not None
    assert rule["due_rule"] == DueRule.DAYS_AFTER_START.value
    assert rule["validity_months"] == 24
