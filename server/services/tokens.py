"""API tokens for scripts: made by a signed-in person, scoped, shown once, stored hashed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db import begin_write
from server.models import ApiToken, utcnow
from server.principal import Principal, scopes_for_roles
from server.schemas import ApiTokenOut
from server.security import API_PREFIX, new_token, token_hash
from server.services import audit
from server.services.errors import DomainError, NotFound
from server.services.listing import shown_columns


async def create(
    session: AsyncSession,
    principal: Principal,
    *,
    name: str,
    scopes: list[str],
    expires_in_days: int | None,
) -> tuple[ApiToken, str]:
    """Make a token; a scope beyond the person's roles is refused (403)."""
    await begin_write(session)
    allowed = scopes_for_roles(principal.roles)
    beyond = sorted(set(scopes) - allowed)
    if beyond:
        raise DomainError(
            "missing-role",
            f"Your roles do not allow the scope {', '.join(beyond)}.",
            scopes_not_allowed=beyond,
        )
    secret = new_token(API_PREFIX)
    token = ApiToken(
        organisation_id=principal.organisation.id,
        account_id=principal.account.id,
        name=name,
        prefix=secret[:12],
        token_hash=token_hash(secret),
        scopes=sorted(set(scopes)),
        expires_at=utcnow() + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    session.add(token)
    await session.flush()
    audit.record(
        session,
        "token.create",
        principal=principal,
        object_type="api_token",
        object_id=token.id,
        details={"name": name, "scopes": token.scopes},
    )
    await session.commit()
    return token, secret


def _visible(principal: Principal):  # type: ignore[no-untyped-def]
    # Admins see every token of their organisation; others see their own.
    stmt = select(ApiToken).where(ApiToken.organisation_id == principal.organisation.id)
    if "admin" not in principal.roles:
        stmt = stmt.where(ApiToken.account_id == principal.account.id)
    return stmt


async def list_tokens(
    session: AsyncSession, principal: Principal, *, after_id: int | None, limit: int
) -> list[Any]:
    """One page of the tokens the caller may see, oldest first, as rows (no ORM object)."""
    stmt = _visible(principal).with_only_columns(*shown_columns(ApiTokenOut, ApiToken))
    if after_id is not None:
        stmt = stmt.where(ApiToken.id > after_id)
    return list((await session.execute(stmt.order_by(ApiToken.id).limit(limit + 1))).all())


async def revoke(session: AsyncSession, principal: Principal, token_id: int) -> ApiToken:
    """Revoke a token; another organisation's (or another person's) is a 404."""
    await begin_write(session)
    token = await session.scalar(_visible(principal).where(ApiToken.id == token_id))
    if token is None:
        raise NotFound("No such API token.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(
            session,
            "token.revoke",
            principal=principal,
            object_type="api_token",
            object_id=token.id,
            details={"name": token.name},
        )
        await session.commit()
    return token
