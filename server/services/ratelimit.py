"""Failed sign-in limits per account and per client address, kept in the database.

Keeping failures in a table (not in memory) means the limit survives a restart and holds
across several server processes.
"""

from __future__ import annotations

import math
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.models import LoginFailure, utcnow
from server.services.errors import DomainError
from server.settings import Settings


def _keys(email: str, address: str | None) -> list[tuple[str, str]]:
    keys = [("account", f"account:{email.strip().lower()}")]
    if address:
        keys.append(("address", f"address:{address}"))
    return keys


async def check(session: AsyncSession, settings: Settings, email: str, address: str | None) -> None:
    """Refuse (429 with Retry-After) when the account or the address failed too often."""
    window = timedelta(seconds=settings.login_window_seconds)
    since = utcnow() - window
    limits = {
        "account": settings.login_max_failures_per_account,
        "address": settings.login_max_failures_per_address,
    }
    for kind, key in _keys(email, address):
        count, oldest = (
            await session.execute(
                select(func.count(), func.min(LoginFailure.at)).where(
                    LoginFailure.key == key, LoginFailure.at >= since
                )
            )
        ).one()
        if count >= limits[kind] and oldest is not None:
            retry_after = max(1, math.ceil((oldest + window - utcnow()).total_seconds()))
            raise DomainError(
                "rate-limited",
                f"Too many failed sign-ins for this {kind}. Try again in {retry_after} seconds.",
                retry_after=retry_after,
            )


async def record_failure(
    session: AsyncSession, settings: Settings, email: str, address: str | None
) -> None:
    """Remember a failed sign-in, and forget those older than the window."""
    cutoff = utcnow() - timedelta(seconds=settings.login_window_seconds)
    for _kind, key in _keys(email, address):
        await session.execute(
            delete(LoginFailure).where(LoginFailure.key == key, LoginFailure.at < cutoff)
        )
        session.add(LoginFailure(key=key))


async def clear_account(session: AsyncSession, email: str) -> None:
    """A successful sign-in clears the account's failures (not the address's)."""
    key = _keys(email, None)[0][1]
    await session.execute(delete(LoginFailure).where(LoginFailure.key == key))
