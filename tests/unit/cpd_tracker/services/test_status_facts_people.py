"""One person's change recomputes that person's rows, not the school (issue 18, item 5): after
random completions, exemptions, extensions, imports, new starters, role changes and leavers,
the rows and the kept counts the incremental path leaves are exactly those a recomputation of
every school gives, and the status engine's."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import ColumnElement, event, insert, select, update

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    Completion,
    CompletionMethod,
    Exemption,
    Extension,
    Module,
    Person,
    ReportStatus,
    ReportStatusPerson,
    ReportStatusSchool,
    Requirement,
    School,
    StaffRole,
    StaffRoleKind,
)
from cpd_tracker.models.status import ReportCount, ReportListRow, ReportStaffRow
from cpd_tracker.services import school_statements as statements
from cpd_tracker.services.school_counts import SchoolCounts
from cpd_tracker.services.status_facts import StatusFactsService, due_on, status_on
from tests.unit.cpd_tracker.services.test_status_facts import (
    T0,
    _engine,
    _facts,
    complete,
    generate,
)


@pytest.fixture(autouse=True)
def short_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lists of three rows, so which rows come first is compared, not only all of them."""
    monkeypatch.setattr(statements, "LIST_LIMIT", 3)


def _kept(org_id: int, today: dt.date) -> dict[str, Any]:
    """Every kept row of the organisation's schools: the facts as they stand on ``today``
    (rows computed on different days hold different timelines to the same statuses), the
    counts, lists and staff lists."""
    schools = select(School.id).where(School.organisation_id == org_id)

    def rows(model: Any) -> list[tuple[Any, ...]]:
        query = select(*model.__table__.columns).where(model.school_id.in_(schools))
        return [tuple(r) for r in db.session.execute(query)]

    r = ReportStatus
    facts = select(
        r.school_id,
        r.person_id,
        r.requirement_id,
        r.module_id,
        r.column_id,
        status_on(today),
        due_on(today),
        r.expires_on,
        r.last_completed_on,
    ).where(r.organisation_id == org_id)
    return {
        "facts": sorted(tuple(row) for row in db.session.execute(facts)),
        "counts": sorted(rows(ReportCount)),
        "lists": sorted(rows(ReportListRow), key=repr),
        "staff": sorted(rows(ReportStaffRow)),
    }


@contextmanager
def _fresh(app: Flask, seed: int, commit: bool = True) -> Iterator[tuple[int, StatusFactsService]]:
    """A generated trust with its facts computed on ``T0`` (committed unless told not to),
    inside an app context: the trust's id and the facts service."""
    org_id = generate(app, seed)
    with app.app_context():
        facts = StatusFactsService(db.session)
        facts.ensure_fresh(org_id, T0)
        if commit:
            db.session.commit()
        yield org_id, facts


def _a_fact(org_id: int, *where: ColumnElement[bool]) -> tuple[int, int, int]:
    """(person, school, module) of one of the trust's status rows."""
    person_id, school_id, module_id = db.session.execute(
        select(ReportStatus.person_id, ReportStatus.school_id, ReportStatus.module_id)
        .where(ReportStatus.organisation_id == org_id, *where)
        .limit(1)
    ).one()
    return person_id, school_id, module_id


@contextmanager
def _statements() -> Iterator[list[str]]:
    """The SQL sent to the database while the block runs."""
    asked: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        asked.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield asked
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def _recomputed_whole(org_id: int, today: dt.date) -> dict[str, Any]:
    """What recomputing every school from scratch keeps, for comparison."""
    db.session.execute(
        update(ReportStatusSchool)
        .where(ReportStatusSchool.organisation_id == org_id)
        .values(valid_until=ReportStatusSchool.computed_on)
    )
    StatusFactsService(db.session).ensure_fresh(org_id, today)
    return _kept(org_id, today)


def _no_whole_school(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: Any) -> int:
        raise AssertionError("a whole school was recomputed for one person's change")

    monkeypatch.setattr(StatusFactsService, "refresh_school", refuse)


def _people(org_id: int) -> list[int]:
    return list(
        db.session.scalars(
            select(Person.id).where(Person.organisation_id == org_id).order_by(Person.id)
        )
    )


def _change(rng: random.Random, org_id: int, today: dt.date) -> str:
    """One random change to a person's facts, the way the app or an import makes it."""
    s = db.session
    person_id = rng.choice(_people(org_id))
    modules = list(s.scalars(select(Module.id).where(Module.organisation_id == org_id)))
    requirements = list(
        s.scalars(select(Requirement.id).where(Requirement.organisation_id == org_id))
    )
    schools = list(s.scalars(select(School.id).where(School.organisation_id == org_id)))
    kind = rng.choice(
        ["completion", "import", "exemption", "extension", "leaver", "start", "role", "end"]
    )
    day = today + dt.timedelta(days=rng.randint(-900, 10))
    if kind == "completion":
        complete(org_id, person_id, rng.choice(modules), on=day)
    elif kind == "import":  # an ORM bulk INSERT, as the completions import runs it
        s.execute(
            insert(Completion),
            [
                {
                    "organisation_id": org_id,
                    "person_id": pid,
                    "module_id": rng.choice(modules),
                    "completed_on": day,
                    "method": CompletionMethod.IMPORTED,
                }
                for pid in rng.sample(_people(org_id), 3)
            ],
        )
    elif kind == "exemption":
        s.add(
            Exemption(
                organisation_id=org_id,
                person_id=person_id,
                requirement_id=rng.choice(requirements),
                reason="Changed",
                starts_on=day,
                ends_on=None,
            )
        )
    elif kind == "extension":
        s.add(
            Extension(
                organisation_id=org_id,
                person_id=person_id,
                requirement_id=rng.choice(requirements),
                reason="Changed",
                new_due_on=today + dt.timedelta(days=rng.randint(1, 120)),
            )
        )
    elif kind == "leaver":
        person = s.get(Person, person_id)
        assert person is not None
        person.leaving_date = today - dt.timedelta(days=rng.choice([0, 1, 30]))
    elif kind == "start":  # an ORM bulk UPDATE, as the staff import runs it
        s.execute(update(Person), [{"id": person_id, "start_date": day}])
    elif kind in ("role", "end"):
        held = list(s.scalars(select(StaffRole).where(StaffRole.person_id == person_id)))
        taken = {(r.school_id, r.role) for r in held}
        free = [(i, r) for i in schools for r in StaffRoleKind if (i, r) not in taken]
        current = [r for r in held if r.ended_on is None]
        if kind == "role" and free:  # a new starter at a school, or a second role
            school_id, role = rng.choice(free)
            s.add(StaffRole(person_id=person_id, school_id=school_id, role=role, started_on=day))
        elif kind == "end" and current:  # a role ended, or moved to the other school
            role = rng.choice(current)
            moves = [i for i in schools if (i, role.role) not in taken]
            if moves and rng.random() < 0.5:
                role.school_id = moves[0]
            else:
                role.ended_on = today - dt.timedelta(days=1)
        else:
            return "none"
    s.flush()
    return kind


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_recomputing_the_people_changed_equals_recomputing_every_school(
    app: Flask, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    rng = random.Random(seed)
    with _fresh(app, seed) as (org_id, facts):
        kinds = set()
        for step in range(12):
            today = T0 + dt.timedelta(days=step // 4)
            for _ in range(rng.randint(1, 3)):
                kinds.add(_change(rng, org_id, today))
            db.session.commit()
            # The changes marked people, not whole schools.
            assert not db.session.scalar(
                select(ReportStatusSchool.school_id).where(
                    ReportStatusSchool.organisation_id == org_id,
                    ReportStatusSchool.valid_until <= ReportStatusSchool.computed_on,
                )
            )
            with monkeypatch.context() as patched:
                if step % 4:  # a new day may run a school's timelines out: not then
                    _no_whole_school(patched)
                facts.ensure_fresh(org_id, today)
            assert not db.session.scalar(select(ReportStatusPerson.person_id))
            incremental = _kept(org_id, today)
            for school in db.session.scalars(
                select(School).where(School.organisation_id == org_id)
            ):
                assert _facts(school, today) == _engine(school, today), (step, school.name)
            assert _recomputed_whole(org_id, today) == incremental, step
            db.session.commit()
        assert {"completion", "import", "leaver", "role"} <= kinds


def test_a_completion_recomputes_its_person_alone(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _fresh(app, 21) as (org_id, facts):
        person_id, school_id, module_id = _a_fact(org_id)
        others = {
            (r.person_id, r.requirement_id): r.computed_on
            for r in db.session.scalars(
                select(ReportStatus).where(
                    ReportStatus.school_id == school_id, ReportStatus.person_id != person_id
                )
            )
        }
        complete(org_id, person_id, module_id)
        db.session.commit()
        assert (school_id, person_id) in set(
            db.session.execute(select(ReportStatusPerson.school_id, ReportStatusPerson.person_id))
        )
        _no_whole_school(monkeypatch)
        later = T0 + dt.timedelta(days=1)
        db.session.expire_all()
        assert facts.ensure_fresh(org_id, later) >= 1
        rows = list(
            db.session.scalars(select(ReportStatus).where(ReportStatus.school_id == school_id))
        )
        # The person's rows were computed on the day read; everyone else's kept as they were.
        assert {r.computed_on for r in rows if r.person_id == person_id} == {later}
        assert {
            (r.person_id, r.requirement_id): r.computed_on for r in rows if r.person_id != person_id
        } == others
        assert all(
            r.last_completed_on is not None and r.last_completed_on >= T0
            for r in rows
            if r.person_id == person_id and r.module_id == module_id
        )


def test_asked_again_in_a_transaction_with_nothing_written_it_asks_the_database_nothing(
    app: Flask,
) -> None:
    with _fresh(app, 31, commit=False) as (org_id, facts), _statements() as asked:
        person_id, school_id, module_id = _a_fact(org_id)
        asked.clear()
        # The school page, then its trend chart: the second asks nothing.
        assert facts.ensure_fresh(org_id, T0, [school_id]) == 0
        assert facts.ensure_fresh(org_id, T0) == 0
        assert asked == []
        # A write in the same transaction: asked again, the person is recomputed.
        complete(org_id, person_id, module_id)
        db.session.flush()
        assert facts.ensure_fresh(org_id, T0, [school_id]) == 1
        db.session.commit()
        # A new transaction (others' writes visible) asks the database again.
        asked.clear()
        assert facts.ensure_fresh(org_id, T0) == 0
        assert asked


def test_fresh_facts_and_their_counts_cost_one_statement_each_a_transaction(app: Flask) -> None:
    """A page in a new transaction asks whether anything is stale in one statement, and the
    kept counts it and its trend chart read come from one statement; a write asks again."""
    with _fresh(app, 32) as (org_id, facts):
        _, school_id, _ = _a_fact(org_id)
        db.session.commit()
        with _statements() as asked:
            assert facts.ensure_fresh(org_id, T0, [school_id]) == 0
            assert len(asked) == 1
            everything = facts.counts.counts([school_id])
            requirements = facts.counts.counts([school_id], kind="requirement")
            assert len(asked) == 2
            assert requirements == [row for row in everything if row.kind == "requirement"]
            assert requirements
            assert len(requirements) < len(everything)
            db.session.execute(
                update(ReportCount).where(ReportCount.school_id == school_id).values(n=7)
            )
            assert {row.n for row in facts.counts.counts([school_id])} == {7}
            assert len(asked) == 4
        db.session.rollback()


def test_a_completion_moves_the_counts_by_its_person_without_recounting_the_school(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 18, item 5: the first school page after one completion recomputes that person
    and moves the kept counts by what they add now, instead of recounting everyone; a role
    change, which can move someone onto or off a list, still recounts the school."""
    with _fresh(app, 22) as (org_id, facts):
        person_id, school_id, module_id = _a_fact(org_id, ReportStatus.last_completed_on.is_(None))
        recounted: list[int] = []
        whole = SchoolCounts.recount

        def noted(counts: SchoolCounts, school: int, *args: Any) -> int:
            recounted.append(school)
            return whole(counts, school, *args)

        monkeypatch.setattr(SchoolCounts, "recount", noted)
        complete(org_id, person_id, module_id)
        db.session.commit()
        assert facts.ensure_fresh(org_id, T0) >= 1
        assert recounted == []
        incremental = _kept(org_id, T0)
        assert _recomputed_whole(org_id, T0) == incremental
        db.session.commit()
        recounted.clear()
        role = db.session.scalars(
            select(StaffRole).where(StaffRole.person_id == person_id, StaffRole.ended_on.is_(None))
        ).first()
        assert role is not None
        role.ended_on = T0 - dt.timedelta(days=1)
        db.session.commit()
        facts.ensure_fresh(org_id, T0)
        assert school_id in recounted


def test_a_new_member_of_staff_from_a_roster_is_on_the_list_on_the_next_read(app: Flask) -> None:
    """A roster sync adds people with a role not set, in a savepoint: the school's kept staff
    list and counts include them on the next read (the real-Moodle suite caught them missing)."""
    with _fresh(app, 23) as (org_id, facts):
        school_id = db.session.scalar(
            select(School.id).where(School.organisation_id == org_id).order_by(School.id)
        )
        with db.session.begin_nested():
            person = Person(organisation_id=org_id, name="Sally Second")
            db.session.add(person)
            db.session.flush()
            db.session.add(
                StaffRole(person_id=person.id, school_id=school_id, role=StaffRoleKind.UNASSIGNED)
            )
            db.session.flush()
        db.session.commit()
        facts.ensure_fresh(org_id, T0)
        listed = set(
            db.session.scalars(
                select(ReportStaffRow.person_id).where(ReportStaffRow.school_id == school_id)
            )
        )
        assert person.id in listed
        assert _recomputed_whole(org_id, T0) == _kept(org_id, T0)
