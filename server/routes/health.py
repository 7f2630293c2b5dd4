"""Health checks for load balancers: `/healthz` (alive) and `/readyz` (database reachable)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import text

from server.problems import Problem

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> dict[str, str]:
    """The database answers too. `stream` tells how this process learns of other processes'
    live events: `listening` (PostgreSQL LISTEN), `polling` (reconnecting; streams still
    work, a second late at most) or `local` (SQLite: one process)."""
    try:
        async with request.app.state.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:
        raise Problem("service-unavailable", "The database cannot be reached.") from exc
    listening = request.app.state.stream_hub.listening
    mode = "local" if listening is None else "listening" if listening else "polling"
    return {"status": "ready", "stream": mode}
