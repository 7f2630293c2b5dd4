"""`buurt-server migrate` says what it does: a downgrade is named as one, with the tables and
columns whose data it drops, and needs --allow-data-loss; `--check` exits 1 unless the
database is at the newest revision; "newest" is never said of an older one; a database that
cannot be reached is one sentence, no traceback."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from server import migrate
from tests.pgserver import free_port
from tests.processes import server_cli


def cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return server_cli(database_url, *args, timeout=180)


def sql(database_url: str, statement: str) -> list[tuple]:
    async def run() -> list[tuple]:
        engine = create_async_engine(database_url)
        async with engine.begin() as conn:
            result = await conn.execute(text(statement))
            rows = [tuple(r) for r in result.all()] if result.returns_rows else []
        await engine.dispose()
        return rows

    return asyncio.run(run())


@pytest.mark.dialect
@pytest.mark.slow
def test_check_then_a_downgrade_that_says_what_it_drops(database_url: str) -> None:
    newest = migrate.head()
    at_newest = cli(database_url, "migrate", "--check")
    assert at_newest.returncode == 0 and f"at the newest revision, {newest}" in at_newest.stderr
    again = cli(database_url, "migrate")
    assert again.returncode == 0 and "already at the newest revision" in again.stderr

    # Down to 0003 without --allow-data-loss: said, listed, refused, nothing changed.
    refused = cli(database_url, "migrate", "0003")
    assert refused.returncode == 1
    said = refused.stderr
    assert f"Going from {newest}" in said and "to 0003 (submissions) is a downgrade" in said
    # Tables that 0003 does not have, with their rows (the demo's stream events), and the
    # columns later revisions added to tables 0003 keeps.
    stream_rows = sql(database_url, "SELECT COUNT(*) FROM stream_events")[0][0]
    assert stream_rows > 0
    assert f"table stream_events ({stream_rows:,} rows)" in said
    assert "table proposals (0 rows)" in said and "table engagement_events" in said
    assert "column submissions.channel" in said and "column city_messages.views" in said
    assert "table submissions" not in said  # kept
    assert "--allow-data-loss" in said and "Nothing was changed" in said
    assert cli(database_url, "migrate", "--check").returncode == 0

    done = cli(database_url, "migrate", "0003", "--allow-data-loss")
    assert done.returncode == 0, done.stderr
    assert "now at 0003 (submissions), older than the newest revision" in done.stderr
    assert "now at the newest" not in done.stderr
    assert sql(database_url, "SELECT version_num FROM alembic_version") == [("0003",)]

    behind = cli(database_url, "migrate", "--check")
    assert behind.returncode == 1
    assert "is at 0003 (submissions)" in behind.stderr
    assert f"the newest revision is {newest}" in behind.stderr

    # Up a step is not the newest either; then all the way.
    step = cli(database_url, "migrate", "0005")
    assert step.returncode == 0 and "now at 0005" in step.stderr
    assert "now at the newest" not in step.stderr
    up = cli(database_url, "migrate")
    assert up.returncode == 0 and f"now at the newest revision, {newest}" in up.stderr
    assert cli(database_url, "migrate", "--check").returncode == 0
    # The submissions kept their rows through it all.
    assert sql(database_url, "SELECT COUNT(*) FROM submissions")[0][0] > 0


@pytest.mark.slow
def test_migrate_check_on_an_empty_database(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    empty = cli(url, "migrate", "--check")
    assert empty.returncode == 1 and "has no schema yet" in empty.stderr
    assert "newest revision is" in empty.stderr


@pytest.mark.slow
def test_unknown_revisions_either_way(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.db'}"
    migrate.upgrade(url)
    unknown = cli(url, "migrate", "0042")
    assert unknown.returncode == 1
    assert "no migration revision '0042'" in unknown.stderr and "0001" in unknown.stderr
    # A database migrated by a newer version of buurt-server.
    sql(url, "UPDATE alembic_version SET version_num = '0099'")
    for args in (("migrate",), ("migrate", "--check")):
        newer = cli(url, *args)
        assert newer.returncode == 1
        assert "revision 0099, which this version of buurt-server does not know" in newer.stderr


@pytest.mark.slow
def test_an_unreachable_database_is_one_sentence() -> None:
    url = f"postgresql+asyncpg://buurt:s3cret@127.0.0.1:{free_port()}/buurt"
    for args in (("migrate",), ("migrate", "--check"), ("migrate", "0003")):
        down = cli(url, *args)
        assert down.returncode == 1
        lines = down.stderr.strip().splitlines()
        assert len(lines) == 1, down.stderr
        assert lines[0].startswith("error: The database at postgresql+asyncpg://buurt:***@")
        assert "cannot be reached" in lines[0] and "s3cret" not in lines[0]
