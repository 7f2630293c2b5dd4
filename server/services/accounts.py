"""Staff accounts: creation with validated roles and an argon2 password hash; the demo
accounts that still have the demo password, and giving them new ones."""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.models import ROLES, AuthSession, Organisation, StaffAccount, utcnow
from server.security import hash_password, verify_password
from server.services import audit
from server.services.errors import DomainError, Invalid, NotFound

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
        raise Invalid(f"Roles must be among {', '.join(ROLES)}.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(f"The password needs at least {MIN_PASSWORD_LENGTH} characters.")
    org = await session.scalar(select(Organisation).where(Organisation.slug == organisation_slug))
    if org is None:
        raise NotFound(f"No organisation {organisation_slug!r}.")
    email = email.strip().lower()
    if await session.scalar(select(StaffAccount.id).where(StaffAccount.email == email)):
        raise DomainError("conflict", f"An account {email} already exists.")
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


# -- the demo accounts ------------------------------------------------------------------------


def demo_emails() -> tuple[str, frozenset[str]]:
    """The demo dataset's password and the e-mail addresses of its accounts."""
    from server.services.seed import load_dataset

    data = load_dataset()
    emails = {
        account["email"].lower()
        for municipality in data["municipalities"]
        for organisation in municipality["organisations"]
        for account in organisation.get("accounts", [])
    }
    return data["demo_password"], frozenset(emails)


async def demo_accounts(session: AsyncSession) -> list[StaffAccount]:
    """The active demo accounts that still have the demo password (checked against each
    one's argon2 hash: a handful of accounts, once at start-up)."""
    password, emails = demo_emails()
    accounts = (
        await session.scalars(
            select(StaffAccount)
            .where(StaffAccount.email.in_(sorted(emails)), StaffAccount.active.is_(True))
            .order_by(StaffAccount.id)
        )
    ).all()
    # argon2 is slow on purpose (~0.1-0.2 s a hash) and lets go of the GIL: all at once.
    with ThreadPoolExecutor(max_workers=min(8, len(accounts) or 1)) as pool:
        demo = list(pool.map(lambda a: verify_password(a.password_hash, password), accounts))
    return [a for a, is_demo in zip(accounts, demo, strict=True) if is_demo]


async def reset_demo_passwords(session: AsyncSession, *, disable: bool) -> list[tuple[str, str]]:
    """Give each demo account that still has the demo password a new random one (or, with
    `disable`, make it inactive), end its sign-ins, and audit each. Returns (email, new
    password or "disabled")."""
    done: list[tuple[str, str]] = []
    for account in await demo_accounts(session):
        if disable:
            account.active = False
            outcome = "disabled"
        else:
            outcome = secrets.token_urlsafe(15)
            account.password_hash = hash_password(outcome)
        await session.execute(
            update(AuthSession)
            .where(AuthSession.account_id == account.id, AuthSession.revoked_at.is_(None))
            .values(revoked_at=utcnow(), revoked_reason="password_reset")
        )
        audit.record(
            session,
            "staff_account.disabled" if disable else "staff_account.password_reset",
            organisation_id=account.organisation_id,
            object_type="staff_account",
            object_id=account.id,
            details={"by": "buurt-server reset-demo-passwords"},
            client_address="cli",
        )
        done.append((account.email, outcome))
    await session.commit()
    return done
