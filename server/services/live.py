"""Queue an event for the live stream, in the transaction of the change it describes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from server.models import StreamEvent, utcnow

RETENTION_HOURS = 24


def emit(
    session: AsyncSession,
    municipality_id: int,
    type_: str,
    data: dict[str, Any],
    *,
    neighbourhood_id: int | None = None,
    organisation_id: int | None = None,
) -> None:
    """Add a stream event; it is sent once the transaction commits."""
    session.add(
        StreamEvent(
            municipality_id=municipality_id,
            neighbourhood_id=neighbourhood_id,
            organisation_id=organisation_id,
            type=type_,
            data=data,
        )
    )


async def purge(session: AsyncSession) -> None:
    """Forget stream events older than the resume window."""
    from datetime import timedelta

    await session.execute(
        delete(StreamEvent).where(StreamEvent.at < utcnow() - timedelta(hours=RETENTION_HOURS))
    )
    await session.commit()
