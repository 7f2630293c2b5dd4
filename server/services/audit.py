"""The audit log: every staff write is recorded here, in the same transaction as the write."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.models import AuditEntry
from server.principal import Principal
from server.schemas import AuditEntryOut
from server.services.listing import shown_columns


def record(
    session: AsyncSession,
    action: str,
    *,
    principal: Principal | None = None,
    organisation_id: int | None = None,
    account_id: int | None = None,
    object_type: str | None = None,
    object_id: int | str | None = None,
    details: dict[str, Any] | None = None,
    client_address: str | None = None,
) -> AuditEntry:
    """Add an audit entry to the session; it commits with the write it describes.

    Never put a password, a token or a resident's text in `details`.
    """
    entry = AuditEntry(
        organisation_id=principal.organisation.id if principal else organisation_id,
        actor_account_id=principal.account.id if principal else account_id,
        actor_token_id=principal.api_token_id if principal else None,
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else None,
        details=details or {},
        client_address=principal.client_address if principal else client_address,
    )
    session.add(entry)
    return entry


async def list_entries(
    session: AsyncSession,
    organisation_id: int,
    *,
    before_id: int | None,
    limit: int,
    action: str | None = None,
    actor_account_id: int | None = None,
) -> list[Any]:
    """The organisation's audit entries, newest first, one page of rows (no ORM object)."""
    stmt = select(*shown_columns(AuditEntryOut, AuditEntry)).where(
        AuditEntry.organisation_id == organisation_id
    )
    if before_id is not None:
        stmt = stmt.where(AuditEntry.id < before_id)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if actor_account_id is not None:
        stmt = stmt.where(AuditEntry.actor_account_id == actor_account_id)
    stmt = stmt.order_by(AuditEntry.id.desc()).limit(limit + 1)
    return list((await session.execute(stmt)).all())
