"""Bring organisations' copies of the built-in modules up to the current content
(``cpd-tracker catalogue refresh``; README, "Operations").

The catalogue is copied into an organisation when it is created (``CatalogueService.seed``), so
content corrected later (a review date and dated proposals in each summary, fixes to pages)
never reaches organisations created before. This refresh gives them the current summary and
pages of each built-in module (one whose slug is in ``catalogue.seed_data``) unless the
organisation has written its own: every piece of the module's content (its summary, each page)
must be text the tool shipped, now or in an earlier version (``catalogue.earlier_content``).
A module with any text of the organisation's own is kept as it is, and named. Everything else
(title, hours, price, validity, questions, requirements, completions) is left alone.

Idempotent: a module already current is "up to date" and nothing is written. One audit entry
per organisation that had modules refreshed (``catalogue.refreshed``), naming them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from cpd_tracker.catalogue.earlier_content import EARLIER
from cpd_tracker.catalogue.fingerprints import page_print, summary_print
from cpd_tracker.catalogue.seed_data import CATALOGUE, SeedModule
from cpd_tracker.models import Module, ModulePage, Organisation
from cpd_tracker.services.audit import AuditService


class Outcome(enum.StrEnum):
    REFRESHED = "refreshed"
    UP_TO_DATE = "up to date"
    #: The organisation wrote some of its content: left as it is.
    KEPT = "kept: edited here"


@dataclass(frozen=True)
class ModuleRefresh:
    slug: str
    title: str
    outcome: Outcome
    #: What changed ("summary", "page 5") or, when kept, what the organisation wrote.
    parts: tuple[str, ...] = ()


@dataclass
class OrganisationRefresh:
    organisation_id: int
    name: str
    modules: list[ModuleRefresh] = field(default_factory=list)

    def with_outcome(self, outcome: Outcome) -> list[ModuleRefresh]:
        return [m for m in self.modules if m.outcome is outcome]


def _shipped_summary(seed: SeedModule, text: str) -> bool:
    return text == seed.summary or summary_print(seed.slug, text) in EARLIER.get(seed.slug, ())


def _shipped_page(seed: SeedModule, page: ModulePage) -> bool:
    current = seed.pages[page.position - 1] if 0 < page.position <= len(seed.pages) else None
    if current is not None and (page.title, page.body_markdown) == (
        current.title,
        current.body_markdown,
    ):
        return True
    digest = page_print(seed.slug, page.position, page.title, page.body_markdown)
    return digest in EARLIER.get(seed.slug, ())


class CatalogueRefreshService:
    def __init__(self, session: Session, audit: AuditService) -> None:
        self.session = session
        self.audit = audit

    def refresh(self, organisation: Organisation, *, dry_run: bool = False) -> OrganisationRefresh:
        """Refresh ``organisation``'s built-in modules (with ``dry_run``, only say what would
        change). The caller commits."""
        seeds = {seed.slug: seed for seed in CATALOGUE}
        modules = self.session.scalars(
            select(Module)
            .where(Module.organisation_id == organisation.id, Module.slug.in_(list(seeds)))
            .options(selectinload(Module.pages))
            .order_by(Module.slug)
        )
        result = OrganisationRefresh(organisation.id, organisation.name)
        for module in modules:
            result.modules.append(self._module(module, seeds[module.slug], dry_run))
        refreshed = result.with_outcome(Outcome.REFRESHED)
        if refreshed and not dry_run:
            self.session.flush()
            self.audit.record(
                "catalogue.refreshed",
                organisation_id=organisation.id,
                entity_type="organisation",
                entity_id=organisation.id,
                refreshed={m.slug: list(m.parts) for m in refreshed},
                kept_edited=[m.slug for m in result.with_outcome(Outcome.KEPT)],
            )
        return result

    def _module(self, module: Module, seed: SeedModule, dry_run: bool) -> ModuleRefresh:
        pages = sorted(module.pages, key=lambda p: p.position)
        own = ([] if _shipped_summary(seed, module.summary) else ["summary"]) + [
            f"page {p.position}" for p in pages if not _shipped_page(seed, p)
        ]
        if own:
            return ModuleRefresh(module.slug, module.title, Outcome.KEPT, tuple(own))
        parts: list[str] = []
        if module.summary != seed.summary:
            parts.append("summary")
            if not dry_run:
                module.summary = seed.summary
        by_position = {p.position: p for p in pages}
        for position, wanted in enumerate(seed.pages, start=1):
            page = by_position.pop(position, None)
            if page is None:
                parts.append(f"page {position} added")
                if not dry_run:
                    module.pages.append(
                        ModulePage(
                            position=position,
                            title=wanted.title,
                            body_markdown=wanted.body_markdown,
                        )
                    )
            elif (page.title, page.body_markdown) != (wanted.title, wanted.body_markdown):
                parts.append(f"page {position}")
                if not dry_run:
                    page.title, page.body_markdown = wanted.title, wanted.body_markdown
        for position, page in sorted(by_position.items()):
            parts.append(f"page {position} removed")
            if not dry_run:
                module.pages.remove(page)
        if not parts:
            return ModuleRefresh(module.slug, module.title, Outcome.UP_TO_DATE)
        return ModuleRefresh(module.slug, module.title, Outcome.REFRESHED, tuple(parts))
