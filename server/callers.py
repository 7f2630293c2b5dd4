"""Callers resolved a moment ago, kept so that a burst of requests with one token does not
ask the database each time (on SQLite every query is several trips to aiosqlite's thread).

The bound: an entry lives `caller_cache_seconds` (2 s by default). A change to accounts,
sessions or tokens committed in this process clears every entry at once (sign-out, a revoked
token, a disabled account work on the next request here); another instance sees it within
the bound. A token's own expiry is checked on every request, cached or not.

Entries are detached copies (an account with its organisation and municipality); each
request gets them merged into its own session without a query, so nothing is shared
between requests' sessions.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, make_transient_to_detached

from server.models import (
    AccessToken,
    ApiToken,
    AuthSession,
    Municipality,
    Organisation,
    RefreshToken,
    StaffAccount,
)
from server.singleflight import once

# Who may call: any change to these clears the cache.
WATCHED = (
    StaffAccount,
    AuthSession,
    AccessToken,
    RefreshToken,
    ApiToken,
    Organisation,
    Municipality,
)
MAX_ENTRIES = 10_000
_CHANGED = "buurt_callers_changed"


@dataclass(frozen=True)
class Caller:
    """What a token resolved to, without any session."""

    account: StaffAccount  # detached; .organisation and its .municipality loaded
    roles: frozenset[str]
    scopes: frozenset[str] | None
    session_id: int | None
    api_token_id: int | None
    expires_at: datetime | None
    until: float  # time.monotonic() after which the database is asked again


_entries: dict[tuple[str, str], Caller] = {}
# Moves at every clear: a caller read before a change was committed is not kept after it.
_generation = 0


def _copy(obj: Any) -> Any:
    """A detached copy of a loaded row: its columns only, no session, nothing dirty."""
    mapper = obj.__mapper__
    fresh = mapper.class_manager.new_instance()
    for column in mapper.column_attrs:
        setattr(fresh, column.key, getattr(obj, column.key))
    return fresh


def detached_account(account: StaffAccount) -> StaffAccount:
    """The account with its organisation and municipality, as detached copies."""
    municipality = _copy(account.organisation.municipality)
    organisation = _copy(account.organisation)
    organisation.municipality = municipality
    copy = _copy(account)
    copy.organisation = organisation
    for row in (municipality, organisation, copy):
        make_transient_to_detached(row)
    return copy


def get(database: str, digest: str) -> Caller | None:
    """The cached caller of a token, while fresh."""
    found = _entries.get((database, digest))
    if found is None or found.until < time.monotonic():
        return None
    return found


def put(database: str, digest: str, caller: Caller) -> None:
    if len(_entries) >= MAX_ENTRIES:
        _entries.clear()  # rare: many tokens at once; asking the database again is correct
    _entries[(database, digest)] = caller


_pending: dict[tuple[str, str], asyncio.Future[Caller]] = {}


async def shared(database: str, digest: str, fetch: Callable[[], Awaitable[Caller]]) -> Caller:
    """The caller from `fetch`, kept; requests that come while one fetches wait for it
    instead of each asking the database (a burst when an entry lapses)."""
    read_in = _generation
    caller, fetched = await once(_pending, (database, digest), fetch)
    if fetched and read_in == _generation:
        put(database, digest, caller)
    return caller


def clear() -> None:
    """Forget every caller (a change to who may call was committed)."""
    global _generation
    _generation += 1
    _entries.clear()


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context: Any) -> None:
    if any(isinstance(o, WATCHED) for o in (*session.new, *session.dirty, *session.deleted)):
        session.info[_CHANGED] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    # Bulk UPDATE / DELETE statements (revoking tokens, ending sessions) skip the flush.
    mapper = state.bind_mapper
    if (state.is_update or state.is_delete) and mapper is not None and mapper.class_ in WATCHED:
        state.session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        clear()
