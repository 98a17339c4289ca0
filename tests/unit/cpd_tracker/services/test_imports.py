"""The imports' pure rules: reading the file, checking rows, and planning against a snapshot.

No database: ``People`` and ``Catalogue`` are built from plain rows, so each rule is a table of
good and bad input. Row numbers are spreadsheet rows (the heading row is row 1).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

import pytest

from cpd_tracker.models import StaffRoleKind as R
from cpd_tracker.services.imports.completions import (
    Catalogue,
    CompletionPlan,
    KnownModule,
    parse_completions_csv,
    plan_completions,
)
from cpd_tracker.services.imports.csvfile import (
    MAX_FILE_BYTES,
    MAX_ROWS,
    Column,
    FileProblem,
    Problem,
    Ticker,
    decode,
    header_key,
    is_email,
    parse_date,
    read_table,
)
from cpd_tracker.services.imports.staff import (
    KnownPerson,
    KnownRole,
    KnownSchool,
    People,
    RowAction,
    StaffPlan,
    StaffRow,
    match_person,
    parse_roles,
    parse_staff_csv,
    plan_staff,
)
from tests.support.csv_files import (
    COMPLETION_HEADINGS,
    STAFF_HEADINGS,
    completion_row,
    completions_csv,
    staff_csv,
    staff_row,
    staff_rows,
    to_csv,
)

TODAY = dt.date(2025, 1, 15)
ALDER = KnownSchool(1, "100001", "Alder Primary")
BIRCH = KnownSchool(2, "100002", "Birch Academy")
SCHOOLS = (ALDER, BIRCH)


def only_error(data: bytes) -> str:
    parsed = parse_staff_csv(data)
    assert len(parsed.errors) == 1, parsed.errors
    assert not parsed.rows
    return str(parsed.errors[0])


def row_errors(*rows: dict[str, str]) -> list[str]:
    return [str(p) for p in parse_staff_csv(staff_csv(rows)).errors]


# -- the file as a whole -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "The file is empty"),
        (b"  \r\n\r\n", "The file is empty"),
        (b"PK\x03\x04rest-of-a-zip", "Excel workbook (.xlsx)"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old Excel workbook (.xls)"),
        ("Staff number,First name".encode("utf-16"), "Unicode text"),
        (b"Staff number,\x00\x01\x02", "binary data"),
        (
            "First name,Last name\r\nZo\u00eb,Smith\r\n".encode("cp1252"),
            "not UTF-8 text (the first character that is not is on line 2",
        ),
    ],
)
def test_unreadable_files_get_one_file_level_problem(data: bytes, expected: str) -> None:
    message = only_error(data)
    assert expected in message
    assert not message.startswith("Row")


def test_not_utf8_says_how_to_save_from_excel() -> None:
    assert "CSV UTF-8 (Comma delimited)" in only_error("Surname\r\nO\u2019Brien".encode("cp1252"))


def test_missing_required_columns_are_named() -> None:
    data = to_csv([["S1", "Ann"]], ["Staff number", "First name"])
    message = only_error(data)
    assert "'Last name'" in message
    assert "'Role'" in message
    assert "'Start date'" in message
    assert "'First name'" not in message


def test_staff_number_or_email_column_is_needed() -> None:
    headings = ["First name", "Last name", "Role", "Start date"]
    message = only_error(to_csv([["Ann", "Lee", "Teacher", "01/09/2020"]], headings))
    assert "'Staff number' or 'Email'" in message


def test_headings_nobody_recognises_say_the_first_row_must_be_headings() -> None:
    message = only_error(b"Ann,Lee,Teacher\r\nBen,Fox,TA\r\n")
    assert "first row of the file must be the column headings" in message


def test_header_without_rows() -> None:
    assert "header row but no staff rows" in only_error(staff_csv([]))


def test_two_columns_for_one_field_is_refused() -> None:
    data = to_csv([["a@x.org", "b@x.org"]], ["Email", "Work email"])
    assert "'Email' and 'Work email' both give the email" in only_error(data)


def test_too_many_rows() -> None:
    header = ",".join(STAFF_HEADINGS).encode()
    data = header + b"\n" + b"S1,A,B,a@b.org,Teacher,,01/01/2020,\n" * (MAX_ROWS + 1)
    assert f"more than {MAX_ROWS:,} staff rows" in only_error(data)


def test_too_large() -> None:
    assert "the most one import takes is 5 MB" in only_error(b"x" * (MAX_FILE_BYTES + 1))


def test_stray_quote_is_a_file_problem_with_a_line() -> None:
    data = staff_csv() + b'S9,"Ann"x,Lee,a9@x.org,Teacher,,01/09/2020,\r\n'
    assert "near line 5" in only_error(data)


def test_bom_crlf_and_excel_quoting() -> None:
    rows = [staff_row(1, last_name="O'Neil, Jr")]
    parsed = parse_staff_csv(staff_csv(rows, bom=True, crlf=True))
    assert parsed.ok, parsed.errors
    assert parsed.rows[0].family_name == "O'Neil, Jr"
    assert parsed.rows[0].staff_number == "S00001"


def test_old_mac_line_endings() -> None:
    data = staff_csv(staff_rows(2)).replace(b"\r\n", b"\r")
    parsed = parse_staff_csv(data)
    assert parsed.ok, parsed.errors
    assert [r.row for r in parsed.rows] == [2, 3]


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_separated_exports(delimiter: str) -> None:
    parsed = parse_staff_csv(staff_csv(staff_rows(2), delimiter=delimiter))
    assert parsed.ok, parsed.errors
    assert len(parsed.rows) == 2


def test_unix_line_endings_and_blank_rows_keep_spreadsheet_row_numbers() -> None:
    data = to_csv(
        [staff_row(1), ["", "", ""], staff_row(2, role="Cleaner")], STAFF_HEADINGS, crlf=False
    )
    parsed = parse_staff_csv(data)
    assert [r.row for r in parsed.rows] == [2]
    assert [p.row for p in parsed.errors] == [4]
    assert parsed.data_rows == 2


@pytest.mark.parametrize(
    "headings",
    [
        ("Staff ID", "Forename", "Surname", "Work email", "Post", "URN", "Date started"),
        (
            "Payroll number",
            "Legal forename",
            "Legal surname",
            "E-mail",
            "Job title",
            "DfE URN",
            "Employment start date",
        ),
        (
            "STAFF NUMBER",
            "first_name",
            "last-name",
            " Email Address ",
            "ROLE",
            "school urn",
            "Start Date",
        ),
    ],
)
def test_common_mis_headings_are_understood(headings: tuple[str, ...]) -> None:
    data = to_csv([["77", "Ann", "Lee", "ann@x.org", "Teacher", "100001", "01/09/2020"]], headings)
    parsed = parse_staff_csv(data)
    assert parsed.ok, parsed.errors
    row = parsed.rows[0]
    assert (row.staff_number, row.given_name, row.family_name, row.email, row.urn) == (
        "77",
        "Ann",
        "Lee",
        "ann@x.org",
        "100001",
    )
    assert row.roles == (R.TEACHER,)
    assert row.start_date == dt.date(2020, 9, 1)


def test_other_columns_are_listed_as_ignored() -> None:
    headings = (*STAFF_HEADINGS, "Date of birth", "NI number")
    parsed = parse_staff_csv(to_csv([[*staff_row(1).values(), "1/1/1980", "QQ"]], headings))
    assert parsed.ok
    assert parsed.ignored_columns == ("Date of birth", "NI number")


def test_a_column_without_a_heading_is_skipped() -> None:
    headings = ("Staff number", "", *STAFF_HEADINGS[1:])
    values = list(staff_row(1).values())
    parsed = parse_staff_csv(to_csv([[values[0], "stray", *values[1:]]], headings))
    assert parsed.ok, parsed.errors
    assert parsed.ignored_columns == ()
    assert parsed.rows[0].given_name == "Ben"


def test_header_key_ignores_case_spacing_and_punctuation() -> None:
    assert header_key(" Staff-No. ") == header_key("staff_no") == "staffno"


def test_decode_drops_a_bom() -> None:
    assert decode(b"\xef\xbb\xbfa,b") == "a,b"


def test_read_table_overflowing_row_is_recorded() -> None:
    table = read_table(b"A\r\nx,y,z\r\n", [Column("a", "A")], required=("a",))
    assert table.records[0].overflow == 2


def test_read_table_raises_file_problem() -> None:
    with pytest.raises(FileProblem):
        read_table(b"B\r\nx\r\n", [Column("a", "A")], required=("a",))


def test_ticker_reports_in_steps() -> None:
    seen: list[int] = []
    ticker = Ticker(seen.append, every=3)
    for _ in range(7):
        ticker.tick()
    ticker.done()
    assert seen == [3, 3, 1]
    Ticker(None).tick()


# -- cells ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("01/09/2024", dt.date(2024, 9, 1)),
        ("1/9/2024", dt.date(2024, 9, 1)),
        ("01-09-2024", dt.date(2024, 9, 1)),
        ("01.09.2024", dt.date(2024, 9, 1)),
        ("2024-09-01", dt.date(2024, 9, 1)),
        ("2024-09-01T00:00:00", dt.date(2024, 9, 1)),
        ("01/09/2024 00:00", dt.date(2024, 9, 1)),
        ("1 Sep 2024", dt.date(2024, 9, 1)),
        ("1 September 2024", dt.date(2024, 9, 1)),
        ("01-Sept-2024", dt.date(2024, 9, 1)),
        ("13/12/2024", dt.date(2024, 12, 13)),
    ],
)
def test_dates_read(text: str, expected: dt.date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("01/09/24", "two-digit year: write the full year, as 01/09/2024 or 01/09/1924"),
        ("09/23/2024", "looks like month/day/year"),
        ("31/02/2024", "is not a real date"),
        ("2024-13-01", "is not a real date"),
        ("45170", "spreadsheet date number"),
        ("next Monday", "is not a date: write it as dd/mm/yyyy"),
        ("1 Smarch 2024", "is not a date"),
        ("01/09/1850", "not a plausible date"),
        ("2024/09/01", "is not a date"),
    ],
)
def test_ambiguous_and_invalid_dates_are_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_date(text)


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("ann.lee@school.example.org", True),
        ("ANN+cpd@x.co.uk", True),
        ("ann.lee", False),
        ("ann@lee", False),
        ("ann lee@x.org", False),
        ("a@b@c.org", False),
        ("<ann@x.org>", False),
        ("ann@x.org.", False),
    ],
)
def test_email_addresses(text: str, ok: bool) -> None:
    assert is_email(text) is ok


@pytest.mark.parametrize(
    ("text", "roles"),
    [
        ("Teacher", (R.TEACHER,)),
        ("class teacher", (R.TEACHER,)),
        ("ECT", (R.TEACHER,)),
        ("Teacher (0.6 FTE)", (R.TEACHER,)),
        ("TA", (R.TEACHING_ASSISTANT,)),
        ("HLTA", (R.TEACHING_ASSISTANT,)),
        ("Higher Level Teaching Assistant", (R.TEACHING_ASSISTANT,)),
        ("LSA", (R.TEACHING_ASSISTANT,)),
        ("teaching_assistant", (R.TEACHING_ASSISTANT,)),
        ("SENCO", (R.SENCO,)),
        ("SENDCo", (R.SENCO,)),
        ("S.E.N.C.O.", (R.SENCO,)),
        ("Special Educational Needs Co-ordinator", (R.SENCO,)),
        ("Headteacher", (R.LEADER,)),
        ("Deputy Head", (R.LEADER,)),
        ("Assistant Head Teacher", (R.LEADER,)),
        ("SLT", (R.LEADER,)),
        ("Support staff", (R.SUPPORT_STAFF,)),
        ("support_staff", (R.SUPPORT_STAFF,)),
        ("Governor", (R.GOVERNOR,)),
        ("Deputy Head / SENCO", (R.LEADER, R.SENCO)),
        ("Teacher; SENCO; teacher", (R.TEACHER, R.SENCO)),
    ],
)
def test_roles_read(text: str, roles: tuple[R, ...]) -> None:
    assert parse_roles(text) == roles


@pytest.mark.parametrize(
    ("text", "named"),
    [("Cleaner", "'Cleaner'"), ("Teacher; Cook", "'Cook'"), (";", "';'")],
)
def test_unknown_roles_list_the_accepted_values(text: str, named: str) -> None:
    with pytest.raises(ValueError, match="is not one of") as info:
        parse_roles(text)
    message = str(info.value)
    assert f"role {named} is not one of: teacher, teaching assistant, SENCO, leader" in message
    assert "support staff, governor" in message


# -- rows -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"role": "Cleaner"}, "Row 2: role 'Cleaner' is not one of: teacher, teaching assistant"),
        ({"role": ""}, "Row 2: role is empty"),
        ({"first_name": ""}, "Row 2: first name is empty"),
        ({"last_name": ""}, "Row 2: last name is empty"),
        ({"email": "ann.lee"}, "Row 2: email 'ann.lee' is not an email address"),
        ({"email": "", "staff_number": ""}, "Row 2: give a staff number or an email address"),
        ({"start_date": ""}, "Row 2: start date is empty: write it as dd/mm/yyyy"),
        ({"start_date": "31/02/2020"}, "Row 2: start date '31/02/2020' is not a real date"),
        ({"start_date": "01/09/20"}, "Row 2: start date '01/09/20' has a two-digit year"),
        ({"leaving_date": "2020-13-01"}, "Row 2: leaving date '2020-13-01' is not a real date"),
        (
            {"start_date": "01/09/2020", "leaving_date": "31/08/2020"},
            "Row 2: leaving date is before the start date",
        ),
        ({"staff_number": "9" * 51}, "Row 2: staff number is longer than 50 characters"),
        ({"first_name": "A" * 256}, "Row 2: first name is longer than 255 characters"),
    ],
)
def test_bad_rows(overrides: dict[str, str], message: str) -> None:
    errors = row_errors(staff_row(1, **overrides))
    assert any(e.startswith(message) for e in errors), errors


def test_every_problem_of_a_row_is_listed() -> None:
    errors = row_errors(staff_row(1, role="Cook", email="nope", start_date="soon"))
    assert len(errors) == 3
    assert all(e.startswith("Row 2: ") for e in errors)


def test_a_row_with_too_many_values() -> None:
    data = staff_csv() + b"S9,Ann,Lee,a9@x.org,Teacher,,01/09/2020,,extra\r\n"
    errors = [str(e) for e in parse_staff_csv(data).errors]
    assert errors == [
        "Row 5: has 1 more value(s) than there are column headings (a value containing a comma "
        "must be in double quotes)"
    ]


def test_missing_trailing_cells_count_as_empty() -> None:
    data = to_csv([["S1", "Ann", "Lee", "a@x.org", "TA", "", "01/09/2020"]], STAFF_HEADINGS)
    parsed = parse_staff_csv(data)
    assert parsed.ok, parsed.errors
    assert parsed.rows[0].leaving_date is None
    assert parsed.rows[0].urn is None


def test_duplicates_within_the_file() -> None:
    errors = row_errors(
        staff_row(1),
        staff_row(2, staff_number="S00001"),
        staff_row(3, email="STAFF1@alder.example.org"),
        staff_row(4, staff_number="S00001", urn="100002"),
        staff_row(5, staff_number=""),
    )
    assert errors == [
        "Row 3: staff number S00001 is also on row 2",
        "Row 4: email STAFF1@alder.example.org is also on row 2",
    ]


def test_good_rows_are_read_in_full() -> None:
    parsed = parse_staff_csv(
        staff_csv([staff_row(1, role="Teacher; SENCO", leaving_date="31/08/2025", email="")])
    )
    assert parsed.rows == [
        StaffRow(
            row=2,
            staff_number="S00001",
            given_name="Ben",
            family_name="Brown-1",
            email=None,
            roles=(R.TEACHER, R.SENCO),
            urn="100001",
            start_date=dt.date(2001, 2, 2),
            leaving_date=dt.date(2025, 8, 31),
        )
    ]


def test_progress_is_reported_per_row() -> None:
    seen: list[int] = []
    parse_staff_csv(staff_csv(staff_rows(250)), progress=seen.append)
    assert sum(seen) == 250


# -- matching -------------------------------------------------------------------------------


def person(
    pid: int,
    *,
    number: str | None = None,
    email: str | None = None,
    roles: tuple[KnownRole, ...] = (),
    given: str | None = "Ann",
    family: str | None = "Lee",
    name: str | None = None,
    start: dt.date | None = dt.date(2020, 9, 1),
    leaving: dt.date | None = None,
) -> KnownPerson:
    return KnownPerson(pid, number, email, given, family, name, start, leaving, roles)


def role(
    rid: int,
    school: KnownSchool,
    kind: R,
    *,
    started: dt.date | None = dt.date(2020, 9, 1),
    ended: dt.date | None = None,
) -> KnownRole:
    return KnownRole(rid, school.id, kind, started, ended)


def test_match_by_staff_number_is_per_school() -> None:
    people = People(
        [
            person(1, number="7", roles=(role(1, ALDER, R.TEACHER),)),
            person(2, number="7", roles=(role(2, BIRCH, R.TEACHER),)),
        ]
    )
    found = match_person(people, staff_number="7", email=None, school_id=ALDER.id)
    assert isinstance(found, KnownPerson)
    assert found.id == 1
    assert "belongs to 2 people" in str(
        match_person(people, staff_number="7", email=None, school_id=None)
    )


def test_match_by_staff_number_includes_people_on_no_list_yet() -> None:
    people = People([person(3, number="8")])
    found = match_person(people, staff_number="8", email=None, school_id=ALDER.id)
    assert isinstance(found, KnownPerson)
    assert found.id == 3


def test_match_by_email_ignores_case_and_school() -> None:
    people = People(
        [person(4, email="Ann.Lee@X.org", roles=(role(4, BIRCH, R.TEACHING_ASSISTANT),))]
    )
    found = match_person(people, staff_number="99", email="ann.lee@x.ORG", school_id=ALDER.id)
    assert isinstance(found, KnownPerson)
    assert found.id == 4


def test_number_and_email_of_two_people_is_a_conflict() -> None:
    people = People(
        [
            person(1, number="7", roles=(role(1, ALDER, R.TEACHER),)),
            person(2, email="b@x.org"),
        ]
    )
    found = match_person(people, staff_number="7", email="b@x.org", school_id=ALDER.id)
    assert isinstance(found, str)
    assert "belong to two different people" in found


def test_an_email_two_people_share_is_ambiguous() -> None:
    people = People([person(1, email="a@x.org"), person(2, email="A@x.org")])
    found = match_person(people, staff_number=None, email="a@x.org", school_id=ALDER.id)
    assert isinstance(found, str)
    assert "belongs to 2 people" in found


def test_nobody_matches() -> None:
    assert match_person(People([]), staff_number="1", email="a@x.org", school_id=1) is None


# -- the staff plan -------------------------------------------------------------------------

R_TA = R.TEACHING_ASSISTANT


def plan(
    rows: list[dict[str, str]],
    people: Sequence[KnownPerson] = (),
    *,
    school: KnownSchool | None = ALDER,
) -> StaffPlan:
    parsed = parse_staff_csv(staff_csv(rows))
    assert parsed.ok, parsed.errors
    return plan_staff(9, parsed, schools=SCHOOLS, people=People(people), school=school, today=TODAY)


def test_new_people_are_planned_with_their_roles() -> None:
    result = plan([staff_row(1, role="Teacher; SENCO", leaving_date="31/12/2024")])
    change = result.changes[0]
    assert change.action is RowAction.NEW
    assert change.fields == {
        "staff_number": "S00001",
        "staff_number_school_id": ALDER.id,
        "given_name": "Ben",
        "family_name": "Brown-1",
        "name": "Ben Brown-1",
        "email": "staff1@alder.example.org",
        "start_date": dt.date(2001, 2, 2),
        "leaving_date": dt.date(2024, 12, 31),
    }
    assert [(r.role, r.change, r.started_on) for r in change.roles] == [
        (R.TEACHER, "added", dt.date(2001, 2, 2)),
        (R.SENCO, "added", dt.date(2001, 2, 2)),
    ]
    assert change.leaver
    assert result.counts == {"new": 1, "updated": 0, "unchanged": 0, "leavers": 1}
    assert change.describe == "New (leaver)"


def _same(n: int = 1, **overrides: object) -> KnownPerson:
    """The person ``staff_row(n)`` describes, as the tool already holds them."""
    row = staff_row(n)
    d, m, y = (int(p) for p in row["Start date"].split("/"))
    values: dict[str, object] = {
        "number": row["Staff number"],
        "email": row["Email"],
        "given": row["First name"],
        "family": row["Last name"],
        "start": dt.date(y, m, d),
        "roles": (role(10 + n, ALDER, parse_roles(row["Role"])[0]),),
    }
    values.update(overrides)
    values.setdefault("name", f"{values['given']} {values['family']}")
    return person(n, **values)  # type: ignore[arg-type]


def test_the_same_file_twice_changes_nothing() -> None:
    result = plan(staff_rows(3), [_same(1), _same(2), _same(3)])
    assert result.ok
    assert result.counts == {"new": 0, "updated": 0, "unchanged": 3, "leavers": 0}
    assert result.changes[0].describe == "No change"


def test_details_follow_the_mis() -> None:
    known = _same(1, email="old@x.org", family="Old", start=dt.date(1999, 1, 1))
    change = plan([staff_row(1)], [known]).changes[0]
    assert change.action is RowAction.UPDATED
    assert change.fields == {
        "family_name": "Brown-1",
        "name": "Ben Brown-1",
        "email": "staff1@alder.example.org",
        "start_date": dt.date(2001, 2, 2),
    }
    assert change.describe == "Updated: last name, email, start date"


def test_a_name_the_lms_sent_is_kept() -> None:
    known = _same(1, family="Old", name="Dr Ben Old")
    change = plan([staff_row(1)], [known]).changes[0]
    assert change.fields == {"family_name": "Brown-1"}


def test_email_case_alone_is_no_change() -> None:
    known = _same(1, email="STAFF1@Alder.Example.org")
    assert plan([staff_row(1)], [known]).changes[0].action is RowAction.UNCHANGED


def test_a_staff_number_is_filled_in_but_never_overwritten() -> None:
    unnumbered = _same(1, number=None)
    assert plan([staff_row(1)], [unnumbered]).changes[0].fields == {
        "staff_number": "S00001",
        # Stored with the school that numbered them: numbers are unique per school.
        "staff_number_school_id": ALDER.id,
    }
    numbered = _same(1, number="OTHER-1")
    change = plan([staff_row(1)], [numbered]).changes[0]
    assert change.action is RowAction.UNCHANGED


def test_leaving_date_makes_a_leaver_and_clearing_it_brings_them_back() -> None:
    leaving = plan([staff_row(1, leaving_date="31/12/2024")], [_same(1)]).changes[0]
    assert leaving.fields == {"leaving_date": dt.date(2024, 12, 31)}
    assert leaving.roles == ()
    assert leaving.leaver
    assert leaving.describe == "Updated: leaving date (leaver)"
    back = plan([staff_row(1)], [_same(1, leaving=dt.date(2024, 12, 31))]).changes[0]
    assert back.fields == {"leaving_date": None}
    assert not back.leaver


def test_a_leaver_already_recorded_is_no_change() -> None:
    known = _same(1, leaving=dt.date(2024, 12, 31))
    change = plan([staff_row(1, leaving_date="31/12/2024")], [known]).changes[0]
    assert change.action is RowAction.UNCHANGED
    assert not change.leaver


def test_the_mis_role_replaces_the_role_at_this_school() -> None:
    known = _same(1, roles=(role(11, ALDER, R.TEACHER), role(12, BIRCH, R.TEACHER)))
    change = plan([staff_row(1, role="SENCO")], [known]).changes[0]
    assert [(r.role, r.role_id, r.started_on, r.ended_on, r.change) for r in change.roles] == [
        (R.SENCO, None, TODAY, None, "added"),
        (R.TEACHER, 11, dt.date(2020, 9, 1), TODAY, "ended"),
    ]
    assert change.describe == "Updated: role added: senco, role ended: teacher"


def test_a_role_set_at_launch_gives_way_to_the_mis_role_from_the_start_date() -> None:
    known = _same(1, roles=(role(11, ALDER, R.UNASSIGNED, started=None),))
    change = plan([staff_row(1, role="Teacher")], [known]).changes[0]
    assert [(r.role, r.started_on, r.ended_on, r.change) for r in change.roles] == [
        (R.TEACHER, dt.date(2001, 2, 2), None, "added"),
        (R.UNASSIGNED, None, TODAY, "ended"),
    ]


def test_an_ended_role_is_reopened() -> None:
    known = _same(
        1,
        roles=(
            role(11, ALDER, R.TEACHER, ended=dt.date(2023, 7, 31)),
            role(12, ALDER, R.SENCO),
        ),
    )
    change = plan([staff_row(1, role="Teacher; SENCO")], [known]).changes[0]
    assert [(r.role, r.role_id, r.ended_on, r.change) for r in change.roles] == [
        (R.TEACHER, 11, None, "reopened"),
    ]


def test_joining_a_second_school_of_the_trust_adds_a_role_there() -> None:
    known = _same(1, roles=(role(11, BIRCH, R.TEACHER),), start=dt.date(2010, 1, 1))
    change = plan([staff_row(1, role="Teacher")], [known]).changes[0]
    assert change.fields == {"start_date": dt.date(2001, 2, 2)}  # the earliest, trust-wide
    assert [(r.role, r.started_on, r.change) for r in change.roles] == [
        (R.TEACHER, dt.date(2001, 2, 2), "added")
    ]


def test_an_earlier_start_at_another_school_is_kept() -> None:
    known = _same(1, roles=(role(11, BIRCH, R.TEACHER),), start=dt.date(1990, 1, 1))
    assert "start_date" not in plan([staff_row(1)], [known]).changes[0].fields


def test_leaving_one_school_of_the_trust_ends_the_roles_there_only() -> None:
    known = _same(1, roles=(role(11, ALDER, R.TEACHER), role(12, BIRCH, R.TEACHER)))
    change = plan([staff_row(1, role="Teacher", leaving_date="31/12/2024")], [known]).changes[0]
    assert "leaving_date" not in change.fields
    assert [(r.role_id, r.ended_on, r.change) for r in change.roles] == [
        (11, dt.date(2024, 12, 31), "ended")
    ]
    assert change.leaver
    again = _same(
        1,
        roles=(
            role(11, ALDER, R.TEACHER, ended=dt.date(2024, 12, 31)),
            role(12, BIRCH, R.TEACHER),
        ),
    )
    repeat = plan([staff_row(1, role="Teacher", leaving_date="31/12/2024")], [again]).changes[0]
    assert repeat.action is RowAction.UNCHANGED


def test_leaving_one_school_in_a_new_role_records_it_ended() -> None:
    known = _same(1, roles=(role(12, BIRCH, R.TEACHER),))
    change = plan([staff_row(1, role="TA", leaving_date="31/12/2024")], [known]).changes[0]
    assert [(r.role, r.role_id, r.ended_on, r.change) for r in change.roles] == [
        (R_TA, None, dt.date(2024, 12, 31), "added")
    ]


def test_two_rows_for_one_person_is_an_error() -> None:
    known = _same(1)
    result = plan(
        [
            staff_row(1, email="new@alder.example.org"),
            staff_row(2, email="staff1@alder.example.org", staff_number="S9"),
        ],
        [known],
    )
    assert [str(e) for e in result.errors] == [
        "Row 3: is the same person in the tool as row 2 (matched by staff number or email); "
        "a person may appear once"
    ]


def test_conflicting_number_and_email_is_a_row_error() -> None:
    people = [_same(1), _same(2)]
    result = plan([staff_row(1, email="staff2@alder.example.org")], people)
    assert [p.row for p in result.errors] == [2]
    assert "belong to two different people" in result.errors[0].message


def test_urn_must_be_the_chosen_school() -> None:
    result = plan([staff_row(1, urn="100002"), staff_row(2, urn="")])
    assert [str(e) for e in result.errors] == [
        "Row 2: school URN 100002 is not Alder Primary (URN 100001): this import is for "
        "Alder Primary only. Remove the row, or import it for its own school"
    ]
    assert result.counts["new"] == 1


def test_without_a_school_each_row_names_one_of_the_organisation() -> None:
    result = plan(
        [staff_row(1, urn="100002"), staff_row(2, urn="999999"), staff_row(3, urn="")],
        school=None,
    )
    assert [str(e) for e in result.errors] == [
        "Row 3: school URN 999999 is not a school of your organisation in the tool",
        "Row 4: school URN is empty: give the URN of the person's school",
    ]
    assert result.changes[0].school == BIRCH


def test_plan_keeps_parse_errors_and_reports_progress() -> None:
    parsed = parse_staff_csv(staff_csv([staff_row(1), staff_row(2, role="Cook")]))
    seen: list[int] = []
    result = plan_staff(
        9,
        parsed,
        schools=SCHOOLS,
        people=People([]),
        school=ALDER,
        today=TODAY,
        progress=seen.append,
    )
    assert not result.ok
    assert [p.row for p in result.errors] == [3]
    assert sum(seen) == 1


def test_problem_text() -> None:
    assert str(Problem(None, "Whole file")) == "Whole file"
    assert str(Problem(4, "bad")) == "Row 4: bad"


# -- completions ----------------------------------------------------------------------------

AWARENESS = KnownModule(1, "send-awareness", "SEND awareness", Decimal("1.50"))
AUTISM = KnownModule(2, "autism-basics", "Autism basics", Decimal("2"))
CATALOGUE = Catalogue([AWARENESS, AUTISM])


def completions_plan(
    rows: list[dict[str, str]],
    *,
    people: list[KnownPerson] | None = None,
    existing: set[tuple[int, int, dt.date]] | None = None,
    school: KnownSchool | None = ALDER,
    catalogue: Catalogue = CATALOGUE,
) -> CompletionPlan:
    parsed = parse_completions_csv(completions_csv(rows))
    return plan_completions(
        9,
        parsed,
        people=People([_same(1), _same(2)] if people is None else people),
        catalogue=catalogue,
        existing=existing or set(),
        school=school,
        today=TODAY,
    )


def test_completions_read_and_planned() -> None:
    result = completions_plan(
        [
            completion_row(),
            completion_row(
                staff_number="",
                email="STAFF2@alder.example.org",
                module="Autism Basics",
                hours="3",
                provider="LA SEND team",
            ),
        ]
    )
    assert result.ok, result.errors
    first, second = result.changes
    assert (first.person_id, first.module, first.hours) == (1, AWARENESS, Decimal("1.50"))
    assert (second.person_id, second.module, second.hours) == (2, AUTISM, Decimal("3"))
    assert second.row.provider == "LA SEND team"
    assert result.counts == {"added": 2, "already_recorded": 0}
    assert first.describe == "New completion"
    assert first.person_name == "Ben Brown-1"


def test_already_recorded_and_repeated_rows_are_skipped_not_errors() -> None:
    result = completions_plan(
        [
            completion_row(),
            completion_row(completed_on="02/09/2024"),
            completion_row(completed_on="2024-09-02"),
        ],
        existing={(1, 1, dt.date(2024, 9, 1))},
    )
    assert result.ok
    assert [c.describe for c in result.changes] == [
        "Already recorded: skipped",
        "New completion",
        "Same as row 3: skipped",
    ]
    assert result.counts == {"added": 1, "already_recorded": 2}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"module": "Makaton"}, "module 'Makaton' is not in your organisation's catalogue"),
        ({"module": ""}, "module is empty"),
        ({"completed_on": "16/01/2025"}, "completion date 16 January 2025 is in the future"),
        ({"completed_on": ""}, "completion date is empty"),
        ({"completed_on": "1/2/25"}, "completion date '1/2/25' has a two-digit year"),
        ({"hours": "two"}, "CPD hours 'two' is not a number"),
        ({"hours": "-1"}, "CPD hours '-1' must be between 0 and 999.99"),
        ({"hours": "NaN"}, "CPD hours 'NaN' must be between 0 and 999.99"),
        ({"hours": "1.255"}, "CPD hours '1.255' has more than two decimal places"),
        ({"provider": "P" * 201}, "provider is longer than 200 characters"),
        ({"staff_number": "", "email": ""}, "give a staff number or an email address"),
        ({"staff_number": "9" * 51}, "staff number is longer than 50 characters"),
        ({"staff_number": "", "email": "nope"}, "email 'nope' is not an email address"),
        ({"staff_number": "S404"}, "staff number S404 is not on the staff list of Alder Primary"),
    ],
)
def test_bad_completion_rows(overrides: dict[str, str], message: str) -> None:
    result = completions_plan([completion_row(**overrides)])
    assert not result.changes
    assert any(str(e).startswith(f"Row 2: {message}") for e in result.errors), result.errors


def test_completion_for_someone_at_another_school_is_refused_to_a_school_import() -> None:
    elsewhere = person(5, email="b@x.org", roles=(role(5, BIRCH, R.TEACHER),))
    row = completion_row(staff_number="", email="b@x.org")
    refused = completions_plan([row], people=[elsewhere])
    assert "b@x.org is not on the staff list of Alder Primary" in str(refused.errors[0])
    trust_wide = completions_plan([row], people=[elsewhere], school=None)
    assert trust_wide.ok


def test_a_past_member_of_staff_counts_as_at_the_school() -> None:
    left = person(5, email="b@x.org", roles=(role(5, ALDER, R.TEACHER, ended=TODAY),))
    assert completions_plan([completion_row(staff_number="", email="b@x.org")], people=[left]).ok


def test_completions_ambiguous_person() -> None:
    twins = [person(5, number="7"), person(6, number="7")]
    result = completions_plan([completion_row(staff_number="7")], people=twins, school=None)
    assert "staff number 7 belongs to 2 people in the tool" in str(result.errors[0])


def test_completions_trust_wide_nobody_found() -> None:
    result = completions_plan([completion_row(staff_number="S404")], school=None)
    assert "staff number S404 is not on your organisation's staff" in str(result.errors[0])


def test_module_titles_shared_by_two_modules_need_the_slug() -> None:
    twin = KnownModule(3, "send-awareness-2", "SEND Awareness", Decimal(1))
    result = completions_plan(
        [completion_row(module="send awareness")], catalogue=Catalogue([AWARENESS, twin])
    )
    assert "matches 2 modules with that title" in str(result.errors[0])
    assert "send-awareness, send-awareness-2" in str(result.errors[0])


def test_an_empty_catalogue_says_so() -> None:
    result = completions_plan([completion_row()], catalogue=Catalogue([]))
    assert "has no modules in the tool yet" in str(result.errors[0])


def test_completions_file_problems() -> None:
    parsed = parse_completions_csv(to_csv([["x"]], ["Staff number"]))
    assert "'Module'" in str(parsed.errors[0])
    assert "'Completed on'" in str(parsed.errors[0])
    headings = [*COMPLETION_HEADINGS]
    parsed = parse_completions_csv(
        to_csv([["S1", "", "send-awareness", "01/09/2024", "", "", "", "x"]], headings)
    )
    assert "Row 2: has 1 more value(s)" in str(parsed.errors[0])


def test_completions_file_level_problem_skips_planning() -> None:
    parsed = parse_completions_csv(b"")
    result = plan_completions(
        9,
        parsed,
        people=People([]),
        catalogue=CATALOGUE,
        existing=set(),
        school=None,
        today=TODAY,
    )
    assert [str(e) for e in result.errors] == [
        "The file is empty. Export the list again and upload the CSV file."
    ]
