"""The training catalogue: modules, their in-tool content and knowledge checks.

Each organisation holds its own copy of the catalogue (seeded from ``catalogue/seed.py`` when
the organisation is created), so editing or retiring a module never touches another tenant.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import Enum, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cpd_tracker.models.base import Base, utcnow


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=30, values_callable=lambda e: [m.value for m in e])


class Tier(enum.StrEnum):
    """The SEND Code of Practice's three tiers of expertise."""

    AWARENESS = "awareness"
    ENHANCED = "enhanced"
    SPECIALIST = "specialist"


class Delivery(enum.StrEnum):
    IN_TOOL = "in_tool"
    EXTERNAL = "external"
    INSET = "inset"
    QUALIFICATION = "qualification"


class Module(Base):
    __tablename__ = "training_module"
    __table_args__ = (UniqueConstraint("organisation_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(80), default="SEND")
    tier: Mapped[Tier] = mapped_column(_enum(Tier))
    delivery: Mapped[Delivery] = mapped_column(_enum(Delivery))
    cpd_hours: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=Decimal("0"))
    provider: Mapped[str | None] = mapped_column(String(200))
    #: Price per delegate in pence (never float money).
    list_price_pence: Mapped[int | None]
    #: How long a completion counts for when no requirement says otherwise; None: no expiry.
    default_validity_months: Mapped[int | None]
    #: In-tool modules: percentage of correct answers needed to pass the knowledge check.
    pass_mark_percent: Mapped[int | None]
    #: In-tool modules: questions drawn for each attempt from the bank; None: every question.
    questions_per_attempt: Mapped[int | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: Retired modules leave the catalogue but keep every completion and requirement history.
    retired_at: Mapped[dt.datetime | None]
    #: A retired module's successor: its requirements carry over (completions of either count).
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("training_module.id"))
    #: A new version: from this day, completions before it no longer count.
    completions_count_from: Mapped[dt.date | None]
    #: External training: where staff book a place (https only; issue 17).
    booking_url: Mapped[str | None] = mapped_column(String(500))
    #: What staff do to complete it when there is no link (issue 17), shown on My training.
    how_to_complete: Mapped[str | None] = mapped_column(Text)

    pages: Mapped[list[ModulePage]] = relationship(
        back_populates="module", order_by="ModulePage.position", cascade="all, delete-orphan"
    )
    questions: Mapped[list[Question]] = relationship(
        back_populates="module", order_by="Question.position", cascade="all, delete-orphan"
    )
    replaced_by: Mapped[Module | None] = relationship(remote_side=[id])

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None

    @property
    def current(self) -> Module | None:
        """The module that stands for this one now: itself, or the end of its chain of
        replacements; None when retired with no active replacement."""
        module: Module | None = self
        seen: set[int] = set()
        while module is not None and module.is_retired and module.id not in seen:
            seen.add(module.id)
            module = module.replaced_by
        return module if module is not None and not module.is_retired else None


class ModulePage(Base):
    """One page of an in-tool module's content, in Markdown (rendered safely)."""

    __tablename__ = "module_page"
    __table_args__ = (UniqueConstraint("module_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("training_module.id"), index=True)
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    body_markdown: Mapped[str] = mapped_column(Text)

    module: Mapped[Module] = relationship(back_populates="pages")


class Question(Base):
    """A knowledge-check question with one or more correct options."""

    __tablename__ = "question"
    __table_args__ = (UniqueConstraint("module_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("training_module.id"), index=True)
    position: Mapped[int]
    prompt: Mapped[str] = mapped_column(Text)
    #: Shown after a pass: why the right answer is right.
    explanation: Mapped[str] = mapped_column(Text, default="")
    #: The module page (its position) that teaches this; named to revisit after a fail.
    page_position: Mapped[int | None]

    module: Mapped[Module] = relationship(back_populates="questions")
    options: Mapped[list[QuestionOption]] = relationship(
        back_populates="question", order_by="QuestionOption.position", cascade="all, delete-orphan"
    )


class QuestionOption(Base):
    __tablename__ = "question_option"
    __table_args__ = (UniqueConstraint("question_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"), index=True)
    position: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    correct: Mapped[bool] = mapped_column(default=False)

    question: Mapped[Question] = relationship(back_populates="options")
