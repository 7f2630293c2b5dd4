"""Requests that need the same thing at once ask for it once; the others wait for it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


async def once(
    pending: dict[Any, asyncio.Future[T]], key: Hashable, fetch: Callable[[], Awaitable[T]]
) -> tuple[T, bool]:
    """`fetch()`'s answer, and whether this call fetched it (only that one should keep it):
    calls that come while one fetches wait for it. When the one fetching is cancelled (its
    client left), a waiter fetches for itself."""
    waiting = pending.get(key)
    if waiting is not None:
        try:
            return await asyncio.shield(waiting), False
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if not waiting.cancelled() or (task is not None and task.cancelling()):
                raise
            return await fetch(), False
    future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
    pending[key] = future
    try:
        value = await fetch()
    except BaseException as error:
        if isinstance(error, asyncio.CancelledError):
            future.cancel()
        else:
            future.set_exception(error)
            future.exception()  # retrieved: the waiters raise it, nobody else need log it
        raise
    finally:
        del pending[key]
    future.set_result(value)
    return value, True
