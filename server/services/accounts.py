"""Staff accounts: creation with validated roles and an argon2 password hash."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.models import ROLES, Organisation, StaffAccount
from server.problems import Problem
from server.security import hash_password

MIN_PASSWORD_LENGTH = 10


async def create_account(
    session: AsyncSession,
    *,
    organisation_slug: str,
    email: str,
    name: str,
    roles: list[str],
    password: str,
    language: str = "nl",
) -> StaffAccount:
    """Create an account in an organisation; refuses unknown roles and short passwords."""
    unknown = sorted(set(roles) - set(ROLES))
    if unknown or not roles:
        raise Problem("validation", f"Roles must be among {', '.join(ROLES)}.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Problem(
            "validation", f"The password needs at least {MIN_PASSWORD_LENGTH} characters."
        )
    org = await session.scalar(select(Organisation).where(Organisation.slug == organisation_slug))
    if org is None:
        raise Problem("not-found", f"No organisation {organisation_slug!r}.")
    email = email.strip().lower()
    if await session.scalar(select(StaffAccount.id).where(StaffAccount.email == email)):
        raise Problem("conflict", f"An account {email} already exists.")
    account = StaffAccount(
        organisation_id=org.id,
        email=email,
        name=name,
        language=language,
        roles=sorted(set(roles)),
        password_hash=hash_password(password),
    )
    session.add(account)
    await session.commit()
    return account
