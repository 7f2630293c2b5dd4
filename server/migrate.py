"""Run Alembic migrations from code (`buurt-server migrate`, tests, `buurt demo`).

`buurt-server migrate` is honest about what it does: `plan` says where the database is,
where it goes, and, for a downgrade, which tables and columns lose their data (the schemas
of both revisions compared on a throwaway SQLite file, against the live database).
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from server.logs import describe as say
from server.logs import is_unreachable

T = TypeVar("T")
VERSION_TABLE = "alembic_version"


class MigrationError(Exception):
    """What keeps a migration from running, in one sentence for the person who runs it."""


def alembic_config(database_url: str) -> Config:
    """An Alembic config for our migrations package and the given database."""
    cfg = Config()
    cfg.set_main_option("script_location", "server:migrations")
    # ConfigParser interpolation: a literal % in a password must be doubled.
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database up to `revision` (the newest by default)."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    """Take the database down to `revision` (empty by default)."""
    command.downgrade(alembic_config(database_url), revision)


def revision(database_url: str, message: str, rev_id: str | None = None) -> None:
    """Autogenerate a new migration from the difference between models and database."""
    command.revision(
        alembic_config(database_url), message=message, autogenerate=True, rev_id=rev_id
    )


# -- where the database is, where it goes -----------------------------------------------------


def scripts() -> ScriptDirectory:
    """Our migrations."""
    return ScriptDirectory.from_config(alembic_config("sqlite://"))


def revisions() -> list[str]:
    """Every revision, oldest first."""
    return [r.revision for r in reversed(list(scripts().walk_revisions()))]


def head() -> str:
    """The newest revision."""
    newest = scripts().get_current_head()
    assert newest is not None
    return newest


def describe(rev: str | None) -> str:
    """`0005 (municipality rollups)`, or `no schema` for the empty database."""
    if rev is None:
        return "no schema (empty)"
    script = scripts().get_revision(rev)
    return f"{rev} ({script.doc})" if script is not None and script.doc else rev


def resolve(target: str) -> str | None:
    """A revision as typed (`head`, `base`, `0005`) as its id; None is `base` (no schema)."""
    if target in ("head", "heads"):
        return head()
    if target == "base":
        return None
    known = revisions()
    if target in known:
        return target
    raise MigrationError(
        f"There is no migration revision {target!r}: the revisions are {', '.join(known)} "
        "(or head, base)."
    )


def safe_url(database_url: str) -> str:
    """The database URL without its password, as a message may show it."""
    try:
        return make_url(database_url).render_as_string(hide_password=True)
    except Exception:
        return "the configured database"


def _with_connection(database_url: str, work: Callable[[Connection], T]) -> T:
    """Run `work` on a synchronous view of a connection to the database; an unreachable
    database is a MigrationError saying so."""

    async def run() -> T:
        engine = create_async_engine(database_url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(work)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(run())
    except MigrationError:
        raise
    except Exception as error:
        if is_unreachable(error):
            raise MigrationError(
                f"The database at {safe_url(database_url)} cannot be reached ({say(error)}): "
                "nothing was changed."
            ) from error
        raise


def current(database_url: str) -> str | None:
    """The database's revision (None: no schema yet). A revision this code does not know
    (the database was migrated by a newer version) is a MigrationError."""
    found = _with_connection(
        database_url, lambda conn: MigrationContext.configure(conn).get_current_revision()
    )
    if found is not None and found not in revisions():
        raise MigrationError(
            f"The database is at revision {found}, which this version of buurt-server does "
            f"not know (its newest is {head()}): it was migrated by a newer version. Run that "
            "version, or restore a backup made for this one."
        )
    return found


Schema = dict[str, set[str]]  # table -> its columns


def _schema(conn: Connection) -> Schema:
    inspector = inspect(conn)
    return {
        table: {c["name"] for c in inspector.get_columns(table)}
        for table in inspector.get_table_names()
        if table != VERSION_TABLE
    }


def schema_at(rev: str | None) -> Schema:
    """The tables and columns of our schema at `rev`, from a throwaway SQLite file."""
    if rev is None:
        return {}
    with tempfile.TemporaryDirectory(prefix="buurt-schema-") as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'schema.db'}"
        upgrade(url, rev)
        return _with_connection(url, _schema)


@dataclass
class Plan:
    """What `migrate TARGET` would do."""

    current: str | None
    target: str | None
    newest: str
    # For a downgrade: the tables whose data is dropped (with their row counts) and the
    # columns (`table.column`) dropped from tables that stay.
    dropped_tables: list[tuple[str, int]] = field(default_factory=list)
    dropped_columns: list[str] = field(default_factory=list)

    @property
    def direction(self) -> str:
        """`up`, `down` or `none`."""
        order = [None, *revisions()]
        here, there = order.index(self.current), order.index(self.target)
        return "up" if there > here else "down" if there < here else "none"


def plan(database_url: str, target: str) -> Plan:
    """Where the database is and what going to `target` does to it."""
    to = resolve(target)
    at = current(database_url)
    result = Plan(current=at, target=to, newest=head())
    if result.direction != "down":
        return result
    before, after = schema_at(at), schema_at(to)

    def inspect_live(conn: Connection) -> tuple[Schema, dict[str, int]]:
        live = _schema(conn)
        gone = [t for t in before if t not in after and t in live]
        quote = conn.dialect.identifier_preparer.quote
        counts = {
            t: int(conn.execute(text(f"SELECT COUNT(*) FROM {quote(t)}")).scalar_one())  # noqa: S608
            for t in gone
        }
        return live, counts

    live, counts = _with_connection(database_url, inspect_live)
    result.dropped_tables = sorted(counts.items())
    result.dropped_columns = sorted(
        f"{table}.{column}"
        for table, columns in before.items()
        if table in after and table in live
        for column in columns - after[table]
        if column in live[table]
    )
    return result


def go(database_url: str, the_plan: Plan) -> None:
    """Carry out a plan."""
    to = the_plan.target or "base"
    if the_plan.direction == "up":
        upgrade(database_url, to)
    elif the_plan.direction == "down":
        downgrade(database_url, to)


def table_names(database_url: str) -> list[tuple[str, str]]:
    """(schema, table) of every table in the database's default schema, Alembic's too."""

    def names(conn: Connection) -> list[tuple[str, str]]:
        inspector = inspect(conn)
        schema = inspector.default_schema_name or "public"
        return [(schema, t) for t in inspector.get_table_names()]

    return _with_connection(database_url, names)


def row_counts(database_url: str) -> dict[str, int]:
    """Rows per table of the database (not Alembic's own), for `restore` and tests."""

    def count(conn: Connection) -> dict[str, int]:
        quote = conn.dialect.identifier_preparer.quote
        return {
            table: int(conn.execute(text(f"SELECT COUNT(*) FROM {quote(table)}")).scalar_one())  # noqa: S608
            for table in sorted(_schema(conn))
        }

    return _with_connection(database_url, count)
