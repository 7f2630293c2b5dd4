"""Exactly once: a write sent again with the same `Idempotency-Key` gets the first answer.

The key is stored in the same transaction as the write it guards, inserted first: a racing
twin blocks on the unique key (PostgreSQL) or on the write lock (SQLite), then finds the
committed answer and replays it. A crash before commit leaves neither key nor write.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.db import begin_write
from server.models import IdempotencyKey, utcnow
from server.principal import Principal
from server.services.errors import DomainError

KEEP_FOR = timedelta(hours=48)
KEY_MAX = 200


@dataclass
class Outcome:
    """The answer of a guarded write; `replayed` when it is the stored first answer."""

    status: int
    body: dict[str, Any]
    replayed: bool = False


def request_hash(method: str, path: str, body: Any) -> str:
    """A fingerprint of the request: the same key with another request is an error."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def _replay(row: IdempotencyKey, fingerprint: str) -> Outcome:
    if row.request_hash != fingerprint:
        raise DomainError(
            "idempotency-key-reused",
            "This Idempotency-Key was already used for a different request.",
        )
    return Outcome(row.status_code, dict(row.response), replayed=True)


async def run_once(
    session: AsyncSession,
    principal: Principal,
    key: str | None,
    fingerprint: str,
    work: Callable[[], Awaitable[tuple[int, dict[str, Any]]]],
) -> Outcome:
    """Do `work` once per key; `work` must not commit (it is committed here, with the key)."""
    await begin_write(session)
    if key is None:
        status, body = await work()
        await session.commit()
        return Outcome(status, body)
    org_id = principal.organisation.id
    row = IdempotencyKey(
        organisation_id=org_id, key=key, request_hash=fingerprint, status_code=0, response={}
    )
    session.add(row)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        existing = await session.scalar(
            select(IdempotencyKey).where(
                IdempotencyKey.organisation_id == org_id, IdempotencyKey.key == key
            )
        )
        if existing is None:  # pragma: no cover - purged between the two statements
            raise DomainError("conflict", "Send the request again.") from None
        return _replay(existing, fingerprint)
    try:
        status, body = await work()
    except BaseException:
        await session.rollback()
        raise
    row.status_code = status
    row.response = body
    await session.commit()
    return Outcome(status, body)


async def purge(session: AsyncSession) -> int:
    """Forget keys older than the retention (48 h; at least 24 h is promised)."""
    result = await session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.created_at < utcnow() - KEEP_FOR)
    )
    await session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
