"""Merging people who are one member of staff (issue 15, finding 3).

Two imports of one staff file applied at the same moment made two people per staff number;
migration 0012 calls :func:`merge_duplicates` with its connection before it creates the unique
indexes on ``person`` (one person per staff number of a school, and per e-mail, ignoring case,
within an organisation). It works on plain Core statements and reflects the schema it finds,
so it moves every row that points at a person whatever table holds it, and it can be tested on
a database built at any revision.

Who is one person: people of one organisation sharing a staff number given by the same school
(``staff_number_school_id``; numbers of different schools are different people's), or sharing
an e-mail whatever its case; chained (A shares a number with B, B an e-mail with C: one).

For each group the survivor is the one who has launched (an LMS identity: ``registration_id``
and ``sub``), else the oldest. Every row pointing at the others (completions, staff roles,
permissions, exemptions, extensions, evidence, audit entries, memberships, delegates...) is
moved to the survivor; where the survivor already has the same row (a unique key would clash:
the same staff role, the same course membership), the survivor's is kept (a staff role's
period widened to cover both) and whatever pointed at the dropped row is pointed at the kept
one. Then the others are deleted and one ``person.merged`` audit entry records each merge.

A group is *not* merged, only separated, when merging could hand someone what is not theirs:
two people who both launched from different LMS accounts (one person keeps one identity, so the
other account would sign in as a new, empty person), or a survivor with an LMS identity while
another member holds permissions beyond staff (the e-mail trap of finding 2: an LMS account
must not gain a trust leader's rights by sharing an address). Then the shared staff number or
e-mail stays with the survivor and is cleared on the others (``person.duplicate_identifier_
cleared``), the report says so, and a trust leader can sort the rest out by hand.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    JSON,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    column,
    delete,
    insert,
    inspect,
    select,
    table,
    update,
)

from cpd_tracker.models.base import UtcDateTime

#: Permission kinds that give nothing beyond a member of staff's own record.
STAFF_ONLY = frozenset({"staff"})

#: The audit log as migration 0012 finds it (only the columns written here).
_AUDIT = table(
    "audit_entry",
    column("organisation_id", Integer),
    column("actor_person_id", Integer),
    column("actor_label", String),
    column("action", String),
    column("entity_type", String),
    column("entity_id", String),
    column("details", JSON),
    column("correlation_id", String),
    column("created_at", UtcDateTime),
)


@dataclass
class Group:
    """People of one organisation who are one member of staff."""

    organisation_id: int
    survivor: int
    others: list[int]
    #: What they share, for the report: "staff number 123 (school 4)", "e-mail a@b.org".
    shared: list[str]
    merged: bool = True
    #: Why the group was only separated (empty when merged).
    reason: str = ""


@dataclass
class MergeReport:
    groups: list[Group] = field(default_factory=list)
    #: "table.column" -> rows moved to survivors.
    moved: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    #: table -> rows dropped because the survivor already had the same row.
    dropped: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def merged(self) -> list[Group]:
        return [g for g in self.groups if g.merged]

    @property
    def separated(self) -> list[Group]:
        return [g for g in self.groups if not g.merged]


# -- finding the groups --------------------------------------------------------------------


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, item: int) -> int:
        self.parent.setdefault(item, item)
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _keys(person: Mapping[str, Any]) -> list[tuple[str, ...]]:
    keys: list[tuple[str, ...]] = []
    org = str(person["organisation_id"])
    if person["staff_number"]:
        school = person["staff_number_school_id"]
        keys.append(("number", org, "" if school is None else str(school), person["staff_number"]))
    if person["email"]:
        keys.append(("email", org, person["email"].strip().lower()))
    return keys


def _describe(key: tuple[str, ...]) -> str:
    if key[0] == "number":
        where = f" (school {key[2]})" if key[2] else " (no school)"
        return f"staff number {key[3]}{where}"
    return f"e-mail {key[2]}"


def _order(person: Mapping[str, Any]) -> tuple[bool, dt.datetime | str, int]:
    """Survivor first: launched, then oldest, then lowest id."""
    created = person["created_at"]
    return (person["registration_id"] is None, created if created is not None else "", person["id"])


def find_groups(
    people: Sequence[Mapping[str, Any]], permissions: Mapping[int, set[str]]
) -> list[Group]:
    """The groups of duplicates among ``people`` (rows of ``person``), survivor chosen, and
    whether each may be merged. ``permissions``: person id -> un-revoked permission kinds."""
    by_id = {p["id"]: p for p in people}
    owners: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for person in people:
        for key in _keys(person):
            owners[key].append(person["id"])
    sets = _UnionFind()
    for ids in owners.values():
        for other in ids[1:]:
            sets.union(ids[0], other)
    members: dict[int, list[int]] = defaultdict(list)
    for ids in owners.values():
        if len(ids) > 1:
            for pid in ids:
                if pid not in members[sets.find(pid)]:
                    members[sets.find(pid)].append(pid)
    groups = []
    for ids in members.values():
        ordered = sorted((by_id[i] for i in ids), key=_order)
        survivor, others = ordered[0], ordered[1:]
        shared = sorted(
            _describe(k)
            for k, owner_ids in owners.items()
            if len(owner_ids) > 1 and owner_ids[0] in ids
        )
        group = Group(
            survivor["organisation_id"], survivor["id"], [o["id"] for o in others], shared
        )
        launched = [p for p in ordered if p["registration_id"] is not None]
        beyond_staff = [o["id"] for o in others if permissions.get(o["id"], set()) - STAFF_ONLY]
        if len(launched) > 1:
            group.merged = False
            group.reason = (
                f"{len(launched)} of them have launched from different LMS accounts; a person "
                "keeps one, so they are kept apart"
            )
        elif survivor["registration_id"] is not None and beyond_staff:
            group.merged = False
            group.reason = (
                f"person(s) {', '.join(map(str, beyond_staff))} hold permissions beyond staff "
                f"that person {survivor['id']}'s LMS account would gain; a trust leader decides"
            )
        groups.append(group)
    return sorted(groups, key=lambda g: (g.organisation_id, g.survivor))


# -- the schema as found -------------------------------------------------------------------


@dataclass(frozen=True)
class _Reference:
    table: str
    column: str


def _references_to(connection: Connection, target: str) -> list[_Reference]:
    """Every single-column foreign key to ``target.id``."""
    inspector = inspect(connection)
    found = []
    for name in sorted(inspector.get_table_names()):
        for fk in inspector.get_foreign_keys(name):
            if (
                fk["referred_table"] == target
                and fk["referred_columns"] == ["id"]
                and len(fk["constrained_columns"]) == 1
            ):
                found.append(_Reference(name, fk["constrained_columns"][0]))
    return found


def _unique_keys(connection: Connection, name: str) -> list[tuple[str, ...]]:
    """The table's unique keys (primary key, unique constraints, plain-column unique indexes)."""
    inspector = inspect(connection)
    keys: list[tuple[str, ...]] = []
    pk = inspector.get_pk_constraint(name).get("constrained_columns") or []
    if pk:
        keys.append(tuple(pk))
    for uc in inspector.get_unique_constraints(name):
        keys.append(tuple(c for c in uc["column_names"] if c is not None))
    for ix in inspector.get_indexes(name):
        names = ix["column_names"]
        if ix["unique"] and names and all(c is not None for c in names):
            keys.append(tuple(c for c in names if c is not None))
    return keys


class _Schema:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.metadata = MetaData()
        self._keys: dict[str, list[tuple[str, ...]]] = {}
        self._refs: dict[str, list[_Reference]] = {}

    def table(self, name: str) -> Table:
        if name not in self.metadata.tables:
            Table(name, self.metadata, autoload_with=self.connection)
        return self.metadata.tables[name]

    def keys(self, name: str) -> list[tuple[str, ...]]:
        if name not in self._keys:
            self._keys[name] = _unique_keys(self.connection, name)
        return self._keys[name]

    def references(self, name: str) -> list[_Reference]:
        if name not in self._refs:
            self._refs[name] = _references_to(self.connection, name)
        return self._refs[name]


# -- merging ---------------------------------------------------------------------------------


#: Tables whose unique key's NULLs name the same row (a permission's school is NULL for staff
#: and trust leader: two such rows are one grant). Elsewhere, as in SQL, a NULL never clashes
#: (two completions outside any INSET session are two completions).
_NULLS_SAME = frozenset({"permission"})


def _same(a: Any, b: Any, *, nulls_same: bool) -> bool:
    if a is None or b is None:
        return nulls_same and a is None and b is None
    return bool(a == b)


def _widen_staff_role(kept: Mapping[str, Any], dropped: Mapping[str, Any]) -> dict[str, Any]:
    """One role at one school held by both: from the earlier start, open if either is open."""
    starts = [d for d in (kept["started_on"], dropped["started_on"]) if d is not None]
    ends = [kept["ended_on"], dropped["ended_on"]]
    return {
        "started_on": min(starts) if starts else None,
        "ended_on": None if None in ends else max(e for e in ends if e is not None),
    }


#: How a kept row takes in a dropped twin, per table (default: the kept row stays as it is).
_ABSORB: dict[str, Callable[[Mapping[str, Any], Mapping[str, Any]], dict[str, Any]]] = {
    "staff_role": _widen_staff_role,
}

#: Person fields the survivor takes from the others when it has none.
_FILL = ("email", "staff_number", "name", "given_name", "family_name", "start_date")


def _move_references(
    schema: _Schema, survivor: int, other: int, report: MergeReport, counts: dict[str, int]
) -> None:
    conn = schema.connection
    for ref in schema.references("person"):
        tbl = schema.table(ref.table)
        col = tbl.c[ref.column]
        pk = list(tbl.primary_key.columns)
        keys = [k for k in schema.keys(ref.table) if ref.column in k]
        nulls_same = ref.table in _NULLS_SAME
        rows = [dict(r._mapping) for r in conn.execute(select(tbl).where(col == other))]
        for row in rows:
            twin = None
            for key in keys:
                rest = [c for c in key if c != ref.column]
                candidates = conn.execute(select(tbl).where(col == survivor)).mappings()
                twin = next(
                    (
                        dict(c)
                        for c in candidates
                        if all(_same(c[k], row[k], nulls_same=nulls_same) for k in rest)
                    ),
                    None,
                )
                if twin is not None:
                    break
            where = and_(*(c == row[c.name] for c in pk))
            if twin is None:
                conn.execute(update(tbl).where(where).values({ref.column: survivor}))
                report.moved[f"{ref.table}.{ref.column}"] += 1
                counts[f"{ref.table}.{ref.column}"] = counts.get(f"{ref.table}.{ref.column}", 0) + 1
                continue
            absorb = _ABSORB.get(ref.table)
            if absorb is not None:
                kept_where = and_(*(c == twin[c.name] for c in pk))
                conn.execute(update(tbl).where(kept_where).values(absorb(twin, row)))
            if len(pk) == 1 and pk[0].name == "id":
                for inner in schema.references(ref.table):
                    inner_tbl = schema.table(inner.table)
                    conn.execute(
                        update(inner_tbl)
                        .where(inner_tbl.c[inner.column] == row["id"])
                        .values({inner.column: twin["id"]})
                    )
            conn.execute(delete(tbl).where(where))
            report.dropped[ref.table] += 1
            counts[f"{ref.table} (same row kept)"] = (
                counts.get(f"{ref.table} (same row kept)", 0) + 1
            )


def _audit(
    connection: Connection,
    *,
    organisation_id: int,
    action: str,
    person_id: int,
    actor_label: str,
    now: dt.datetime,
    **details: Any,
) -> None:
    connection.execute(
        insert(_AUDIT).values(
            organisation_id=organisation_id,
            actor_person_id=None,
            actor_label=actor_label,
            action=action,
            entity_type="person",
            entity_id=str(person_id),
            details=details,
            correlation_id=None,
            created_at=now,
        )
    )


def _separate(
    schema: _Schema, group: Group, people: Mapping[int, Mapping[str, Any]], **audit: Any
) -> None:
    """Keep the shared identifiers on the survivor; clear them on the others."""
    person = schema.table("person")
    survivor = people[group.survivor]
    taken = set(_keys(survivor))
    for other_id in group.others:
        other = people[other_id]
        cleared: dict[str, Any] = {}
        for key in _keys(other):
            if key in taken:
                if key[0] == "number":
                    cleared.update(staff_number=None, staff_number_school_id=None)
                else:
                    cleared["email"] = None
            else:
                taken.add(key)
        if cleared:
            schema.connection.execute(update(person).where(person.c.id == other_id).values(cleared))
            _audit(
                schema.connection,
                organisation_id=group.organisation_id,
                action="person.duplicate_identifier_cleared",
                person_id=other_id,
                fields=sorted(k for k in cleared if k != "staff_number_school_id"),
                kept_by=group.survivor,
                reason=group.reason,
                **audit,
            )


def _merge(
    schema: _Schema,
    group: Group,
    people: Mapping[int, Mapping[str, Any]],
    report: MergeReport,
    **audit: Any,
) -> None:
    person = schema.table("person")
    survivor = dict(people[group.survivor])
    counts: dict[str, int] = {}
    fill: dict[str, Any] = {}
    for other_id in group.others:
        _move_references(schema, group.survivor, other_id, report, counts)
        other = people[other_id]
        for name in _FILL:
            if survivor.get(name) is None and other.get(name) is not None and name not in fill:
                fill[name] = other[name]
                if name == "staff_number":
                    fill["staff_number_school_id"] = other["staff_number_school_id"]
        if other["active"] and not survivor["active"]:
            fill["active"] = True
        schema.connection.execute(delete(person).where(person.c.id == other_id))
    if fill:
        schema.connection.execute(update(person).where(person.c.id == group.survivor).values(fill))
    _audit(
        schema.connection,
        organisation_id=group.organisation_id,
        action="person.merged",
        person_id=group.survivor,
        merged_person_ids=group.others,
        shared=group.shared,
        moved=dict(sorted(counts.items())),
        filled=sorted(k for k in fill if k != "staff_number_school_id"),
        **audit,
    )


def _stale_reports(schema: _Schema, organisation_ids: Iterable[int]) -> None:
    """Precomputed statuses (``report_status``) are derived from people: recompute on read."""
    if "report_status_school" not in inspect(schema.connection).get_table_names():
        return
    tbl = schema.table("report_status_school")
    for org in sorted(set(organisation_ids)):
        schema.connection.execute(
            update(tbl).where(tbl.c.organisation_id == org).values(valid_until=tbl.c.computed_on)
        )


def merge_duplicates(
    connection: Connection,
    *,
    now: dt.datetime,
    log: Callable[[str], None],
    actor_label: str = "migration",
) -> MergeReport:
    """Find every group of duplicate people, report it through ``log`` (organisation, what
    they share, the person ids) and merge or separate it. Runs in the caller's transaction."""
    schema = _Schema(connection)
    person = schema.table("person")
    people = {r["id"]: dict(r) for r in connection.execute(select(person)).mappings()}
    permission = schema.table("permission")
    held: dict[int, set[str]] = defaultdict(set)
    for person_id, kind in connection.execute(
        select(permission.c.person_id, permission.c.kind).where(permission.c.revoked.is_(False))
    ):
        held[person_id].add(str(kind))
    report = MergeReport(groups=find_groups(list(people.values()), held))
    for group in report.groups:
        ids = ", ".join(map(str, group.others))
        what = "; ".join(group.shared)
        if group.merged:
            log(
                f"organisation {group.organisation_id}: {what}: merging person(s) {ids} "
                f"into person {group.survivor}"
            )
            _merge(schema, group, people, report, actor_label=actor_label, now=now)
        else:
            log(
                f"organisation {group.organisation_id}: {what}: NOT merged ({group.reason}); "
                f"person {group.survivor} keeps it, cleared on person(s) {ids}"
            )
            _separate(schema, group, people, actor_label=actor_label, now=now)
    _stale_reports(schema, (g.organisation_id for g in report.merged))
    if not report.groups:
        log("no duplicate people found")
    return report


def merge_pair(
    connection: Connection,
    *,
    survivor: int,
    other: int,
    now: dt.datetime,
    actor_label: str,
    reason: str,
) -> None:
    """Make ``other`` part of ``survivor`` (a CPD lead or trust leader confirmed they are one
    member of staff): every row pointing at ``other`` moves to ``survivor``, ``survivor``
    takes ``other``'s LMS identity when it has none, and ``other`` is deleted. Audited as
    ``person.merged``. Runs in the caller's transaction."""
    schema = _Schema(connection)
    person = schema.table("person")
    rows = {
        r["id"]: dict(r)
        for r in connection.execute(
            select(person).where(person.c.id.in_([survivor, other]))
        ).mappings()
    }
    kept, gone = rows[survivor], rows[other]
    if kept["organisation_id"] != gone["organisation_id"]:
        raise ValueError("people of different organisations are never merged")
    identity = {
        name: gone[name]
        for name in ("registration_id", "sub", "last_launch_at")
        if kept["registration_id"] is None and gone["registration_id"] is not None
    }
    group = Group(
        organisation_id=kept["organisation_id"],
        survivor=survivor,
        others=[other],
        shared=[reason],
    )
    _merge(schema, group, rows, MergeReport(groups=[group]), actor_label=actor_label, now=now)
    if identity:
        connection.execute(update(person).where(person.c.id == survivor).values(identity))
    _stale_reports(schema, [kept["organisation_id"]])
