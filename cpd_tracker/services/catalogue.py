"""The organisation's training catalogue: seeded from ``catalogue.seed_data``, then theirs to
add to, edit and retire. Retiring hides a module from new requirements and from the catalogue;
its completions and history stay."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from cpd_tracker.catalogue.seed_data import CATALOGUE, SeedModule
from cpd_tracker.models import (
    Delivery,
    DueRule,
    Module,
    ModulePage,
    Organisation,
    Question,
    QuestionOption,
    Requirement,
    Tier,
)
from cpd_tracker.services.audit import AuditService


@dataclass(frozen=True)
class ModuleDetails:
    """What a trust leader or CPD lead edits on a module."""

    title: str
    summary: str
    category: str
    tier: Tier
    delivery: Delivery
    cpd_hours: Decimal
    provider: str | None
    list_price_pence: int | None
    default_validity_months: int | None
    #: In-tool modules only (None otherwise): the knowledge check's pass mark and bank size.
    pass_mark_percent: int | None = None
    questions_per_attempt: int | None = None
    #: Versions and replacements (issue 16): the module that takes over a retired one, and the
    #: day of a new version from which earlier completions stop counting.
    replaced_by_id: int | None = None
    completions_count_from: dt.date | None = None
    #: How staff complete it (issue 17): the provider's booking page, and words for staff.
    booking_url: str | None = None
    how_to_complete: str | None = None


class CatalogueService:
    def __init__(
        self, session: Session, audit: AuditService, clock: Callable[[], dt.datetime]
    ) -> None:
        self.session = session
        self.audit = audit
        self.clock = clock

    def modules(self, organisation_id: int, *, include_retired: bool = False) -> list[Module]:
        query = select(Module).where(Module.organisation_id == organisation_id)
        if not include_retired:
            query = query.where(Module.retired_at.is_(None))
        return list(self.session.scalars(query.order_by(Module.tier, Module.title)))

    def replacements(self, module: Module) -> list[Module]:
        """Modules that may replace ``module``: in the catalogue, not ``module`` itself, and not
        one that ``module`` already (in a chain) replaces, so no chain goes round."""
        replaced_by_module: set[int] = {module.id}
        changed = True
        others = self.modules(module.organisation_id, include_retired=True)
        while changed:
            changed = False
            for other in others:
                if (
                    other.replaced_by_id in replaced_by_module
                    and other.id not in replaced_by_module
                ):
                    replaced_by_module.add(other.id)
                    changed = True
        return [m for m in others if m.retired_at is None and m.id not in replaced_by_module]

    def module(self, organisation_id: int, module_id: int) -> Module | None:
        return self.session.scalar(
            select(Module)
            .where(Module.id == module_id, Module.organisation_id == organisation_id)
            .options(selectinload(Module.pages), selectinload(Module.questions))
        )

    def seed(self, organisation: Organisation) -> int:
        """Copy the seed catalogue into an organisation; modules it already has are kept."""
        have = set(
            self.session.scalars(
                select(Module.slug).where(Module.organisation_id == organisation.id)
            )
        )
        added = 0
        for seed in CATALOGUE:
            if seed.slug not in have:
                self.session.add(self._from_seed(organisation.id, seed))
                added += 1
        self.session.flush()
        if added:
            self.audit.record(
                "catalogue.seeded",
                organisation_id=organisation.id,
                entity_type="organisation",
                entity_id=organisation.id,
                modules_added=added,
            )
        return added

    def seed_requirements(self, organisation: Organisation) -> int:
        """Organisation-wide requirements from the seed's suggestions (the demo uses this)."""
        modules = {m.slug: m for m in self.modules(organisation.id)}
        existing = set(
            self.session.scalars(
                select(Requirement.module_id).where(Requirement.organisation_id == organisation.id)
            )
        )
        added = 0
        for seed in CATALOGUE:
            module = modules.get(seed.slug)
            if module is None or seed.suggested_rule is None or module.id in existing:
                continue
            rule = seed.suggested_rule
            requirement = Requirement(
                organisation_id=organisation.id,
                module_id=module.id,
                roles=list(seed.suggested_roles),
                due_rule=DueRule(rule["due_rule"]),
                due_days=rule.get("due_days"),
                due_month=rule.get("due_month"),
                due_day=rule.get("due_day"),
                validity_months=rule.get("validity_months"),
            )
            self.session.add(requirement)
            self.session.flush()
            self.audit.record(
                "requirement.created",
                organisation_id=organisation.id,
                entity_type="requirement",
                entity_id=requirement.id,
                module=module.slug,
                source="seed suggestion",
            )
            added += 1
        return added

    def add(self, organisation_id: int, slug: str, details: ModuleDetails) -> Module:
        module = Module(organisation_id=organisation_id, slug=slug, **details.__dict__)
        self.session.add(module)
        self.session.flush()
        self.audit.record(
            "module.created",
            organisation_id=organisation_id,
            entity_type="module",
            entity_id=module.id,
            title=module.title,
        )
        return module

    def edit(self, module: Module, details: ModuleDetails) -> None:
        changed = {
            name: str(value)
            for name, value in details.__dict__.items()
            if getattr(module, name) != value
        }
        for name, value in details.__dict__.items():
            setattr(module, name, value)
        if changed:
            self.audit.record(
                "module.edited",
                organisation_id=module.organisation_id,
                entity_type="module",
                entity_id=module.id,
                changed=changed,
            )
        self.session.flush()

    def retire(self, module: Module) -> None:
        if module.retired_at is not None:
            return
        module.retired_at = self.clock()
        self.audit.record(
            "module.retired",
            organisation_id=module.organisation_id,
            entity_type="module",
            entity_id=module.id,
        )
        self.session.flush()

    def restore(self, module: Module) -> None:
        if module.retired_at is None:
            return
        module.retired_at = None
        self.audit.record(
            "module.restored",
            organisation_id=module.organisation_id,
            entity_type="module",
            entity_id=module.id,
        )
        self.session.flush()

    @staticmethod
    def _from_seed(organisation_id: int, seed: SeedModule) -> Module:
        module = Module(
            organisation_id=organisation_id,
            slug=seed.slug,
            title=seed.title,
            summary=seed.summary,
            category=seed.category,
            tier=Tier(seed.tier),
            delivery=Delivery(seed.delivery),
            cpd_hours=seed.cpd_hours,
            provider=seed.provider,
            list_price_pence=seed.list_price_pence,
            default_validity_months=seed.default_validity_months,
            pass_mark_percent=seed.pass_mark_percent,
        )
        module.pages = [
            ModulePage(position=i, title=p.title, body_markdown=p.body_markdown)
            for i, p in enumerate(seed.pages, start=1)
        ]
        module.questions = [
            Question(
                position=i,
                prompt=q.prompt,
                explanation=q.explanation,
                page_position=q.page,
                options=[
                    QuestionOption(position=j, text=o.text, correct=o.correct)
                    for j, o in enumerate(q.options, start=1)
                ],
            )
            for i, q in enumerate(seed.questions, start=1)
        ]
        return module
