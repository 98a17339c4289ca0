"""Migrations are reviewed code: they must build exactly the models' schema, and go down too.

Runs on whichever database the suite runs on (SQLite, or PostgreSQL with TEST_DATABASE_URL).
"""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from cpd_tracker import migrate
from cpd_tracker.models import Base


def test_migrations_match_the_models(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == []


def test_every_model_table_exists_after_upgrade(database_url: str) -> None:
    engine = create_engine(database_url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_downgrade_to_base_and_back(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = create_engine(f"sqlite:///{tmp_path / 'roundtrip.sqlite3'}")
    migrate.upgrade(engine)
    migrate.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    migrate.upgrade(engine)
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_0029_carries_each_schools_pupils_into_the_current_years_census(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Pupil numbers entered before 0029 were today's: they become the figures of the academic
    year current at the upgrade (and a school without any gets no census row)."""
    import datetime as dt

    from sqlalchemy import text

    engine = create_engine(f"sqlite:///{tmp_path / 'census.sqlite3'}")
    migrate.upgrade(engine, "0028")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO organisation (id, name, kind, spend_year, created_at) "
                "VALUES (1, 'Trust', 'trust', 'academy', '2026-01-01 00:00:00')"
            )
        )
        for school_id, pupils in ((1, 412), (2, None)):
            connection.execute(
                text(
                    "INSERT INTO school (id, organisation_id, urn, name, pupil_count, "
                    "evidence_notice_at_once, created_at) VALUES (:id, 1, :urn, :name, "
                    ":pupils, 0, '2026-01-01 00:00:00')"
                ),
                {
                    "id": school_id,
                    "urn": f"99000{school_id}",
                    "name": f"S{school_id}",
                    "pupils": pupils,
                },
            )
    migrate.upgrade(engine)
    today = dt.date.today()
    year = today.year if today.month >= 9 else today.year - 1
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT school_id, academic_year, pupils, entered_by_id FROM school_census")
        ).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [(1, year, 412, None)]
