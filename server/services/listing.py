"""How a list's SQL is written: the columns its API schema shows (not whole ORM objects), and
what the planner is told."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import Boolean


def shown_columns(schema: type[BaseModel], table: Any) -> list[Any]:
    """The columns of an ORM class that an API schema shows (same names): a list selects
    these, not the whole row (a token's hash, a message's search text), and builds no ORM
    object."""
    return [table.__table__.c[name] for name in schema.model_fields]


class likely(FunctionElement[bool]):
    """A condition most rows meet, said so to SQLite's planner, which keeps no statistics:
    `likelihood(condition, 0.9)` there, the condition itself elsewhere. (The inbox's overdue
    view: told nothing, SQLite reads every overdue row through the due-date index and sorts
    them, 270 ms at 100,000 submissions, instead of its page in created order, 1 ms.)"""

    type = Boolean()
    inherit_cache = True
    name = "likely"


@compiles(likely)
def _condition(element: likely, compiler: SQLCompiler, **kw: Any) -> str:
    (condition,) = element.clauses.clauses
    return str(compiler.process(condition, **kw))


@compiles(likely, "sqlite")
def _likelihood(element: likely, compiler: SQLCompiler, **kw: Any) -> str:
    (condition,) = element.clauses.clauses
    return f"likelihood({compiler.process(condition, **kw)}, 0.9)"
