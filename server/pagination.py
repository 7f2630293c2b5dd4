"""Cursor pagination: opaque cursors that encode the last row's sort key (keyset paging);
the JSON answer of a page or a list, serialised once."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import cache
from typing import Annotated, Any

from fastapi import Depends, Query, Response
from pydantic import BaseModel, TypeAdapter

from server.problems import Problem
from server.schemas import ID_MAX, Page, storable_text

INVALID = "The cursor is not one this list gave out; start again from the first page."


def encode_cursor(scope: str, key: list[Any]) -> str:
    """Make an opaque cursor from the sort key of the last row of a page. `scope` names the
    list and its order, so a cursor is refused by any other list."""
    raw = json.dumps([scope, *key], separators=(",", ":"), default=datetime.isoformat).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _typed(value: Any, kind: type) -> Any:
    # bool is an int in Python, never in our keys.
    if kind is int and type(value) is int and 0 <= value <= ID_MAX:
        return value
    if kind is str and isinstance(value, str):
        storable_text(value)
        return value
    if kind is datetime and isinstance(value, str):
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError("naive time")
        return parsed
    raise ValueError(f"not a {kind.__name__}")


def decode_cursor(cursor: str, scope: str, types: tuple[type, ...]) -> list[Any]:
    """Read a cursor back, checking that this list made it and that every part has the
    type its column needs; anything else is a 400 `invalid-cursor` problem."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        if not isinstance(decoded, list) or len(decoded) != len(types) + 1:
            raise ValueError("wrong shape")
        if decoded[0] != scope:
            raise ValueError("another list's cursor")
        return [_typed(value, kind) for value, kind in zip(decoded[1:], types, strict=True)]
    except (ValueError, TypeError, RecursionError):
        raise Problem("invalid-cursor", INVALID) from None


class PageParams:
    """`?limit=&cursor=` of a list route; limits beyond 200 are a 422 problem."""

    def __init__(self, limit: int = 50, cursor: str | None = None) -> None:
        self.limit = limit
        self.cursor = cursor

    def after(self, scope: str, *types: type) -> list[Any] | None:
        """The decoded sort key (of `types`) to continue after, or None on the first page."""
        return decode_cursor(self.cursor, scope, types) if self.cursor else None

    def page(
        self, rows: list[Any], scope: str, key: Callable[[Any], list[Any]]
    ) -> tuple[list[Any], str | None]:
        """Cut the extra row fetched to know whether a next page exists."""
        if len(rows) > self.limit:
            rows = rows[: self.limit]
            return rows, encode_cursor(scope, key(rows[-1]))
        return rows, None


async def page_params(
    limit: Annotated[int, Query(ge=1, le=200, description="Items per page (1-200)")] = 50,
    cursor: Annotated[
        str | None,
        Query(
            max_length=500,
            description="next_cursor of the previous page, as given: an opaque token that "
            "only the same list (and order) accepts; anything else is a 400 invalid-cursor",
        ),
    ] = None,
) -> PageParams:
    """FastAPI dependency for the paging query parameters."""
    return PageParams(limit, cursor)


Paging = Annotated[PageParams, Depends(page_params)]


# A route that returns models has FastAPI validate them again against its response_model,
# then serialise them in Python: once a list's query is one SELECT of columns, that was most
# of a page's time. These answer with the rows (dicts, or objects read by attribute, such as
# result rows) validated once and serialised in one pass, both in pydantic's core; the route
# keeps `response_model=` for the API document.


@cache
def _adapter(shape: Any) -> TypeAdapter[Any]:
    return TypeAdapter(shape)


def json_answer(shape: Any, value: Any) -> Response:
    """`value` (dicts, objects with the attributes, models) as the JSON of type `shape`."""
    adapter = _adapter(shape)
    return Response(
        adapter.dump_json(adapter.validate_python(value, from_attributes=True)),
        media_type="application/json",
    )


def page_json(item: type[BaseModel], items: Iterable[Any], next_cursor: str | None) -> Response:
    """A page of `item`s as a route's answer (`json_answer`)."""
    return json_answer(Page[item], {"items": items, "next_cursor": next_cursor})  # type: ignore[valid-type]


def list_json(item: type[BaseModel], items: Iterable[Any]) -> Response:
    """A whole list of `item`s as a route's answer (`json_answer`)."""
    return json_answer(list[item], items)  # type: ignore[valid-type]
