"""Answers the routes give beyond a plain body: an object with its version as the ETag
(for the next If-Match), and a write done once per Idempotency-Key."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from server.principal import Principal
from server.services import idempotency


class Versioned(Protocol):
    """An API body with the version of its object."""

    version: int

    def model_dump(self, *, mode: str) -> dict[str, Any]: ...


def with_etag(out: Versioned, status_code: int = 200) -> JSONResponse:
    """`out` as JSON, its version in the ETag header."""
    return JSONResponse(
        out.model_dump(mode="json"), status_code=status_code, headers={"ETag": f'"{out.version}"'}
    )


async def once(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    key: str | None,
    body: BaseModel | None,
    work: Callable[[], Awaitable[tuple[int, dict[str, Any]]]],
) -> JSONResponse:
    """Do `work` once per Idempotency-Key (always, without one) and answer with its first
    answer: `Idempotent-Replayed: true` when this is a retry, the ETag when it has a
    version. `work` must not commit (`idempotency.run_once` commits it, with the key)."""
    sent = body.model_dump(mode="json") if body is not None else None
    fingerprint = idempotency.request_hash(request.method, request.url.path, sent)
    outcome = await idempotency.run_once(session, principal, key, fingerprint, work)
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else {}
    if "version" in outcome.body:
        headers["ETag"] = f'"{outcome.body["version"]}"'
    return JSONResponse(outcome.body, status_code=outcome.status, headers=headers)
