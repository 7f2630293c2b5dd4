"""Callers resolved a moment ago, kept so that a burst of requests with one token does not
ask the database each time (on SQLite every query is several trips to aiosqlite's thread).

The bound: an entry lives `caller_cache_seconds` (2 s by default, 5 s at most) by the
server's clock (`server.clock`, which tests hold). A change to accounts, sessions or tokens
committed in this process clears every entry at once: a sign-out, a revoked token, a
disabled account or a changed role work on the next request here. Another process (a second
`--workers` worker, another instance, `buurt-server` commands) sees it within the bound,
when the entry lapses and the database is asked again. A token's own expiry is checked
against the clock on every request, cached or not. Entries are keyed by the token's hash,
never the token.

Entries are detached copies (an account with its organisation and municipality); each
request gets them merged into its own session without a query, so nothing is shared
between requests' sessions.
"""

from __future__ import annotations

import asyncio
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
    StaffAccount,
)
from server.singleflight import once

# Who may call, and what a cached caller carries: a change to one of these rows clears the
# cache. A new row changes no cached caller (a sign-in, a new token); a refresh token is
# no bearer (its reuse ends the session, a change to AuthSession).
WATCHED = (
    StaffAccount,
    AuthSession,
    AccessToken,
    ApiToken,
    Organisation,
    Municipality,
)
MAX_ENTRIES = 10_000
_CHANGED = "buurt_callers_changed"
# The execution option of a statement that changes a watched table but not who may call
# (an API token's last use): without it, every script's first call a minute would clear
# every entry, and the caller it resolved would not be kept.
_UNCHANGED = "buurt_access_unchanged"
ACCESS_UNCHANGED = {_UNCHANGED: True}


@dataclass(frozen=True)
class Caller:
    """What a token resolved to, without any session."""

    account: StaffAccount  # detached; .organisation and its .municipality loaded
    roles: frozenset[str]
    scopes: frozenset[str] | None
    session_id: int | None
    api_token_id: int | None
    expires_at: datetime | None
    read_at: datetime  # when the database said so (server.clock)
    until: datetime  # from then on the database is asked again

    def fresh(self, now: datetime) -> bool:
        """Whether the entry may still answer at `now`: within the bound since it was read
        (a clock set back before the read makes it stale, never older than it looks)."""
        return self.read_at <= now < self.until


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


def get(database: str, digest: str, now: datetime) -> Caller | None:
    """The cached caller of a token (its hash), while fresh at `now`."""
    found = _entries.get((database, digest))
    if found is None or not found.fresh(now):
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
    if any(isinstance(o, WATCHED) for o in (*session.dirty, *session.deleted)):
        session.info[_CHANGED] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    # Bulk UPDATE / DELETE statements (revoking tokens, ending sessions) skip the flush.
    mapper = state.bind_mapper
    if (
        (state.is_update or state.is_delete)
        and mapper is not None
        and mapper.class_ in WATCHED
        and not state.execution_options.get(_UNCHANGED)
    ):
        state.session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        clear()
