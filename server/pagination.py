"""Cursor pagination: opaque cursors that encode the last row's sort key (keyset paging)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Query

from server.problems import Problem


def encode_cursor(key: list[Any]) -> str:
    """Make an opaque cursor from the sort key of the last row of a page."""
    raw = json.dumps(key, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, length: int) -> list[Any]:
    """Read a cursor back; a tampered or foreign cursor is a clear 400 problem."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, json.JSONDecodeError):
        raise Problem(
            "bad-request", "The cursor is not valid; start again from the first page."
        ) from None
    if not isinstance(key, list) or len(key) != length:
        raise Problem("bad-request", "The cursor is not valid; start again from the first page.")
    return key


class PageParams:
    """`?limit=&cursor=` of a list route; limits beyond 200 are a 422 problem."""

    def __init__(self, limit: int = 50, cursor: str | None = None) -> None:
        self.limit = limit
        self.cursor = cursor

    def after(self, length: int) -> list[Any] | None:
        """The decoded sort key to continue after, or None on the first page."""
        return decode_cursor(self.cursor, length) if self.cursor else None

    def page(
        self, rows: list[Any], key: Callable[[Any], list[Any]]
    ) -> tuple[list[Any], str | None]:
        """Cut the extra row fetched to know whether a next page exists."""
        if len(rows) > self.limit:
            rows = rows[: self.limit]
            return rows, encode_cursor(key(rows[-1]))
        return rows, None


def page_params(
    limit: Annotated[int, Query(ge=1, le=200, description="Items per page (1-200)")] = 50,
    cursor: Annotated[
        str | None, Query(max_length=500, description="next_cursor of the previous page")
    ] = None,
) -> PageParams:
    """FastAPI dependency for the paging query parameters."""
    return PageParams(limit, cursor)


Paging = Annotated[PageParams, Depends(page_params)]
