"""What a list selects: the columns its API schema shows, not whole ORM objects."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


def shown_columns(schema: type[BaseModel], table: Any) -> list[Any]:
    """The columns of an ORM class that an API schema shows (same names): a list selects
    these, not the whole row (a token's hash, a message's search text), and builds no ORM
    object."""
    return [table.__table__.c[name] for name in schema.model_fields]
