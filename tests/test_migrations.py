"""Alembic is the only way the schema is made: models and migrations agree, both ways."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect
from sqlalchemy.ext.asyncio import create_async_engine

from server import migrate
from server.models import Base
from tests.conftest import seed_demo_messages
from tests.pgserver import PostgresServer


def _diff_and_tables(url: str) -> tuple[list, set[str]]:
    async def run() -> tuple[list, set[str]]:
        engine = create_async_engine(url)

        def inspect_sync(conn: Connection) -> tuple[list, set[str]]:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
            )
            return diff, set(inspect(conn).get_table_names())

        async with engine.connect() as conn:
            result = await conn.run_sync(inspect_sync)
        await engine.dispose()
        return result

    return asyncio.run(run())


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    postgres: PostgresServer = request.getfixturevalue("postgres")
    postgres.psql("CREATE DATABASE empty_for_migrations")
    yield postgres.url("empty_for_migrations")
    postgres.psql("DROP DATABASE empty_for_migrations")


@pytest.mark.dialect
def test_upgrade_matches_models_and_downgrades_to_empty(empty_database: str) -> None:
    migrate.upgrade(empty_database)
    diff, tables = _diff_and_tables(empty_database)
    assert diff == [], f"models and migrations disagree: {diff}"
    assert set(Base.metadata.tables) <= tables
    migrate.downgrade(empty_database, "base")
    _diff, tables = _diff_and_tables(empty_database)
    assert tables <= {"alembic_version"}
    # And up again: the downgrade left nothing behind that blocks a fresh upgrade.
    migrate.upgrade(empty_database)
    diff, _tables = _diff_and_tables(empty_database)
    assert diff == []


@pytest.mark.dialect
def test_city_rollups_are_filled_from_existing_activity(empty_database: str) -> None:
    from sqlalchemy import text

    migrate.upgrade(empty_database, "0004")

    async def fill_and_read(after_upgrade: bool) -> list:
        engine = create_async_engine(empty_database)
        async with engine.begin() as conn:
            if not after_upgrade:
                await conn.execute(
                    text(
                        "INSERT INTO municipalities (id, slug, name, languages, timezone, total_households, created_at) "
                        "VALUES (1, 'm', 'M', '[\"nl\"]', 'Europe/Brussels', 100, '2026-01-01 00:00:00')"
                    )
                )
                for hood in (1, 2):
                    await conn.execute(
                        text(
                            "INSERT INTO neighbourhoods (id, municipality_id, slug, name, total_households, "
                            "registered_households, created_at) "
                            f"VALUES ({hood}, 1, 'n{hood}', 'N{hood}', 50, 10, '2026-01-01 00:00:00')"
                        )
                    )
                    await conn.execute(
                        text(
                            "INSERT INTO daily_rollups (neighbourhood_id, day, metric, value) "
                            f"VALUES ({hood}, '2026-11-01', 'posts', {hood * 3})"
                        )
                    )
                rows: list = []
            else:
                rows = list(
                    (
                        await conn.execute(
                            text("SELECT municipality_id, metric, value FROM municipality_rollups")
                        )
                    ).all()
                )
        await engine.dispose()
        return rows

    asyncio.run(fill_and_read(False))
    migrate.upgrade(empty_database, "0005")
    assert [tuple(r) for r in asyncio.run(fill_and_read(True))] == [(1, "posts", 9)]


@pytest.mark.dialect
def test_days_are_rebucketed_into_the_city_s_days(empty_database: str) -> None:
    """0008 rebuilds the rollups from the kept events in the municipality's time zone and
    keeps each household's last active day; down again gives the calendar sets back."""
    from sqlalchemy import text

    migrate.upgrade(empty_database, "0007")
    # Two posts of one household: at 23:30 UTC on 14 January (00:30 on the 15th in
    # Brussels) and at 22:30 UTC on 1 July (00:30 on the 2nd, summer time); a view of another.
    moments = [
        ("e1", "post", "h1", "2026-01-14 23:30:00"),
        ("e2", "post", "h1", "2026-07-01 22:30:00"),
        ("e3", "message_view", "h2", "2026-07-01 12:00:00"),
    ]

    async def run(statements: list[str], query: str | None = None) -> list:
        engine = create_async_engine(empty_database)
        async with engine.begin() as conn:
            for statement in statements:
                await conn.execute(text(statement))
            rows = list((await conn.execute(text(query))).all()) if query else []
        await engine.dispose()
        return [tuple(r) for r in rows]

    asyncio.run(
        run(
            [
                "INSERT INTO municipalities (id, slug, name, languages, timezone, total_households, created_at) "
                "VALUES (1, 'm', 'M', '[\"nl\"]', 'Europe/Brussels', 100, '2026-01-01 00:00:00')",
                "INSERT INTO neighbourhoods (id, municipality_id, slug, name, total_households, "
                "registered_households, created_at) VALUES (1, 1, 'n', 'N', 50, 10, '2026-01-01 00:00:00')",
                *(
                    "INSERT INTO engagement_events (municipality_id, event_id, type, household, "
                    f"neighbourhood_id, at, attrs) VALUES (1, '{eid}', '{kind}', '{hh}', 1, '{at}', '{{}}')"
                    for eid, kind, hh, at in moments
                ),
                # What the older code counted: the UTC day.
                "INSERT INTO daily_rollups VALUES (1, '2026-01-14', 'posts', 1)",
                "INSERT INTO daily_rollups VALUES (1, '2026-07-01', 'posts', 1)",
            ]
        )
    )
    migrate.upgrade(empty_database)
    rollups = asyncio.run(
        run([], "SELECT day, metric, value FROM daily_rollups ORDER BY day, metric")
    )
    assert [(str(d), m, v) for d, m, v in rollups] == [
        ("2026-01-15", "posts", 1),
        ("2026-07-01", "message_views", 1),
        ("2026-07-02", "posts", 1),
    ]
    city = asyncio.run(run([], "SELECT SUM(value) FROM municipality_rollups"))
    assert city == [(3,)]
    activity = asyncio.run(
        run([], "SELECT set_name, household, last_day FROM household_activity ORDER BY 1, 2")
    )
    assert [(s, h, str(d)) for s, h, d in activity] == [
        ("active", "h1", "2026-07-02"),
        ("active", "h2", "2026-07-01"),
        ("contributor", "h1", "2026-07-02"),
    ]
    migrate.downgrade(empty_database, "0007")
    counts = asyncio.run(run([], "SELECT period, set_name, value FROM period_counts ORDER BY 1, 2"))
    assert counts == [
        ("M2026-01", "active", 1), ("M2026-01", "contributor", 1),
        ("M2026-07", "active", 2), ("M2026-07", "contributor", 1),
        ("W2026-03", "active", 1), ("W2026-03", "contributor", 1),
        ("W2026-27", "active", 2), ("W2026-27", "contributor", 1),
    ]  # fmt: skip


@pytest.mark.dialect
def test_the_demo_survives_the_rebucketing_both_ways(database_url: str) -> None:
    """On a copy of the demo: down to 0007 (calendar sets, UTC days) and up again gives the
    same rollups and last active days as the demo had, every event still there."""
    from sqlalchemy import text

    queries = {
        "events": "SELECT COUNT(*) FROM engagement_events",
        "daily": "SELECT neighbourhood_id, day, metric, value FROM daily_rollups",
        "city": "SELECT municipality_id, day, metric, value FROM municipality_rollups",
        "activity": "SELECT neighbourhood_id, set_name, household, last_day FROM household_activity",
    }

    async def read() -> dict[str, set]:
        engine = create_async_engine(database_url)
        async with engine.connect() as conn:
            out = {
                name: {tuple(map(str, row)) for row in (await conn.execute(text(q))).all()}
                for name, q in queries.items()
            }
        await engine.dispose()
        return out

    seed_demo_messages(database_url)  # with its surveys and budget, answered and voted
    before = asyncio.run(read())
    assert before["daily"] and before["activity"]  # the demo's answers and votes count
    migrate.downgrade(database_url, "0007")
    migrate.upgrade(database_url)
    assert asyncio.run(read()) == before
