"""INSERT ... ON CONFLICT for the two databases we run on (both speak it, each its dialect).

Rows go in sorted by their key: concurrent batches then lock shared rows in the same order,
so two of them never wait for each other (a deadlock on PostgreSQL).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def dialect_insert(session: AsyncSession, table: Any) -> Any:
    """`insert()` of the session's dialect, which has `on_conflict_*`."""
    assert session.bind is not None
    if session.bind.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


async def increment(
    session: AsyncSession, table: Any, keys: list[str], rows: list[dict[str, Any]]
) -> None:
    """Add each row's `value` to the stored one (insert when missing)."""
    if not rows:
        return
    rows = sorted(rows, key=lambda row: tuple(row[k] for k in keys))
    stmt = dialect_insert(session, table)
    stmt = stmt.on_conflict_do_update(
        index_elements=keys, set_={"value": table.c.value + stmt.excluded.value}
    )
    await session.execute(stmt, rows)


async def insert_new(
    session: AsyncSession,
    table: Any,
    rows: list[dict[str, Any]],
    returning: list[str],
    keys: list[str],
) -> list[tuple[Any, ...]]:
    """Insert the rows that are not there yet (`keys`: the unique key); returns the chosen
    columns of those inserted."""
    if not rows:
        return []
    rows = sorted(rows, key=lambda row: tuple(row[k] for k in keys))
    stmt = (
        dialect_insert(session, table)
        .on_conflict_do_nothing()
        .returning(*[table.c[name] for name in returning])
    )
    result = await session.execute(stmt, rows)
    return [tuple(row) for row in result.all()]


async def keep_latest(
    session: AsyncSession, table: Any, keys: list[str], column: str, rows: list[dict[str, Any]]
) -> None:
    """Insert the rows, or raise the stored `column` to the row's where that is later (an
    event sent late never moves a household's last active day back)."""
    if not rows:
        return
    rows = sorted(rows, key=lambda row: tuple(row[k] for k in keys))
    stmt = dialect_insert(session, table)
    stored, offered = table.c[column], stmt.excluded[column]
    stmt = stmt.on_conflict_do_update(
        index_elements=keys, set_={column: case((offered > stored, offered), else_=stored)}
    )
    await session.execute(stmt, rows)
