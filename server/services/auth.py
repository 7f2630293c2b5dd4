"""Sign-in, token refresh with rotation and reuse detection, sign-out, bearer resolution."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from server import callers
from server.db import begin_write
from server.models import (
    AccessToken,
    ApiToken,
    AuthSession,
    Organisation,
    RefreshToken,
    StaffAccount,
    utcnow,
)
from server.principal import Principal
from server.security import (
    ACCESS_PREFIX,
    API_PREFIX,
    REFRESH_PREFIX,
    hash_password,
    needs_rehash,
    new_token,
    token_hash,
    verify_password,
)
from server.services import audit, ratelimit
from server.services.errors import DomainError
from server.settings import Settings


@dataclass
class TokenPair:
    """What a sign-in or a refresh gives back."""

    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_at: datetime
    account: StaffAccount


def _account_options() -> list:
    return [
        selectinload(StaffAccount.organisation).selectinload(Organisation.municipality),
    ]


async def _issue(session: AsyncSession, settings: Settings, auth: AuthSession) -> TokenPair:
    now = utcnow()
    access = new_token(ACCESS_PREFIX)
    refresh = new_token(REFRESH_PREFIX)
    refresh_expires = now + timedelta(seconds=settings.refresh_token_ttl_seconds)
    session.add(
        AccessToken(
            session_id=auth.id,
            token_hash=token_hash(access),
            expires_at=now + timedelta(seconds=settings.access_token_ttl_seconds),
        )
    )
    session.add(
        RefreshToken(session_id=auth.id, token_hash=token_hash(refresh), expires_at=refresh_expires)
    )
    return TokenPair(
        access_token=access,
        refresh_token=refresh,
        expires_in=settings.access_token_ttl_seconds,
        refresh_expires_at=refresh_expires,
        account=auth.account,
    )


async def login(
    session: AsyncSession,
    settings: Settings,
    email: str,
    password: str,
    *,
    client_address: str | None,
    user_agent: str | None,
) -> TokenPair:
    """Check email and password under the rate limit; open a sign-in session."""
    await begin_write(session)  # a sign-in always writes: a failure or a session
    email = email.strip().lower()
    await ratelimit.check(session, settings, email, client_address)
    account = await session.scalar(
        select(StaffAccount).where(StaffAccount.email == email).options(*_account_options())
    )
    ok = verify_password(account.password_hash if account else None, password)
    if not ok or account is None or not account.active:
        await ratelimit.record_failure(session, settings, email, client_address)
        audit.record(
            session,
            "auth.login_failed",
            organisation_id=account.organisation_id if account else None,
            account_id=account.id if account else None,
            client_address=client_address,
        )
        await session.commit()
        raise DomainError("invalid-credentials", "The email or the password is not right.")
    if needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    await ratelimit.clear_account(session, email)
    auth = AuthSession(
        account=account,
        client_address=client_address,
        user_agent=(user_agent or "")[:300] or None,
    )
    session.add(auth)
    await session.flush()
    pair = await _issue(session, settings, auth)
    audit.record(
        session,
        "auth.login",
        organisation_id=account.organisation_id,
        account_id=account.id,
        object_type="auth_session",
        object_id=auth.id,
        client_address=client_address,
    )
    await session.commit()
    return pair


async def _revoke_session(
    session: AsyncSession, auth: AuthSession, reason: str, client_address: str | None
) -> None:
    """End a sign-in (all its tokens at once), audit it and commit."""
    if auth.revoked_at is None:
        auth.revoked_at = utcnow()
        auth.revoked_reason = reason
    audit.record(
        session,
        f"auth.{reason}",
        organisation_id=auth.account.organisation_id,
        account_id=auth.account_id,
        object_type="auth_session",
        object_id=auth.id,
        client_address=client_address,
    )
    await session.commit()


async def refresh(
    session: AsyncSession, settings: Settings, refresh_token: str, *, client_address: str | None
) -> TokenPair:
    """Rotate a refresh token. A token used twice revokes its whole family (it leaked)."""
    await begin_write(session)
    row = await session.scalar(
        select(RefreshToken)
        .where(RefreshToken.token_hash == token_hash(refresh_token))
        .options(
            selectinload(RefreshToken.session)
            .selectinload(AuthSession.account)
            .selectinload(StaffAccount.organisation)
            .selectinload(Organisation.municipality)
        )
    )
    if row is None:
        raise DomainError("invalid-token", "This refresh token is not known. Sign in again.")
    auth = row.session
    now = utcnow()
    grace = timedelta(seconds=settings.refresh_reuse_grace_seconds)
    if row.used_at is not None and now - row.used_at <= grace and auth.revoked_at is None:
        # Two processes of one sign-in refreshing at once: the later one gets its own pair.
        if row.expires_at <= now or not auth.account.active:
            raise DomainError("invalid-token", "This sign-in has ended. Sign in again.")
        pair = await _issue(session, settings, auth)
        await session.commit()
        return pair
    if row.used_at is not None:
        await _revoke_session(session, auth, "refresh_reuse", client_address)
        raise DomainError(
            "refresh-token-reused",
            "This refresh token was already used, so every token of this sign-in was revoked. "
            "Sign in again.",
        )
    if auth.revoked_at is not None or row.expires_at <= now or not auth.account.active:
        raise DomainError("invalid-token", "This sign-in has ended. Sign in again.")
    # Mark used with a guarded update; a concurrent refresh of the same token that marked
    # it a moment before is within the grace window, and gets a pair of its own too.
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == row.id, RefreshToken.used_at.is_(None))
        .values(used_at=now)
    )
    pair = await _issue(session, settings, auth)
    await session.commit()
    return pair


async def logout(session: AsyncSession, token: str, *, client_address: str | None) -> None:
    """Revoke the sign-in session of a refresh or access token. Unknown tokens are a no-op."""
    await begin_write(session)
    digest = token_hash(token)
    auth_id: int | None = None
    if token.startswith(REFRESH_PREFIX):
        auth_id = await session.scalar(
            select(RefreshToken.session_id).where(RefreshToken.token_hash == digest)
        )
    elif token.startswith(ACCESS_PREFIX):
        auth_id = await session.scalar(
            select(AccessToken.session_id).where(AccessToken.token_hash == digest)
        )
    if auth_id is None:
        return
    auth = await session.get(AuthSession, auth_id, options=[selectinload(AuthSession.account)])
    if auth is None or auth.revoked_at is not None:
        return
    await _revoke_session(session, auth, "logout", client_address)


async def resolve_bearer(
    session: AsyncSession,
    token: str,
    *,
    client_address: str | None,
    touch: bool = True,
    cache_seconds: float = 0.0,
) -> Principal:
    """Turn a bearer token into the calling principal, or raise a 401 problem. `touch`
    records an API token's use (at most once a minute). With `cache_seconds`, a caller
    resolved that recently (by the server's clock) is taken from `server.callers` (its
    bound) without a query; the token's expiry is checked against the clock all the same."""
    now = utcnow()
    digest = token_hash(token)
    if cache_seconds <= 0:
        return (await _resolve(session, token, digest, now, client_address, touch))[0]
    database = str(session.sync_session.get_bind().engine.url)
    own: Principal | None = None

    async def fetch() -> callers.Caller:
        nonlocal own
        own, expires_at = await _resolve(session, token, digest, now, client_address, touch)
        return callers.Caller(
            account=callers.detached_account(own.account),
            roles=own.roles,
            scopes=own.scopes,
            session_id=own.session_id,
            api_token_id=own.api_token_id,
            expires_at=expires_at,
            # From when this request began: what the database said is at least that fresh.
            read_at=now,
            until=now + timedelta(seconds=cache_seconds),
        )

    # Requests that miss together ask the database once (one of them asks, the others wait).
    known = callers.get(database, digest, now) or await callers.shared(database, digest, fetch)
    if own is not None:
        return own
    if known.expires_at is not None and known.expires_at <= now:
        return (await _resolve(session, token, digest, now, client_address, touch))[0]
    # Merged into this request's session as it is: no query, nothing shared.
    account = await session.merge(known.account, load=False)
    return Principal(
        account=account,
        organisation=account.organisation,
        roles=known.roles,
        scopes=known.scopes,
        session_id=known.session_id,
        api_token_id=known.api_token_id,
        client_address=client_address,
    )


async def _resolve(
    session: AsyncSession,
    token: str,
    digest: str,
    now: datetime,
    client_address: str | None,
    touch: bool,
) -> tuple[Principal, datetime | None]:
    """The caller from the database, and when its token expires."""
    if token.startswith(ACCESS_PREFIX):
        row = await session.scalar(
            select(AccessToken)
            .where(AccessToken.token_hash == digest)
            # One query (a join along the many-to-one chain), not one round trip each.
            .options(
                joinedload(AccessToken.session, innerjoin=True)
                .joinedload(AuthSession.account, innerjoin=True)
                .joinedload(StaffAccount.organisation, innerjoin=True)
                .joinedload(Organisation.municipality, innerjoin=True)
            )
        )
        if row is None or row.session.revoked_at is not None:
            raise DomainError("invalid-token", "This access token is not valid. Sign in again.")
        if row.expires_at <= now:
            raise DomainError("invalid-token", "This access token has expired.", expired=True)
        account = row.session.account
        if not account.active:
            raise DomainError("invalid-token", "This account is disabled.")
        return Principal(
            account=account,
            organisation=account.organisation,
            roles=frozenset(account.roles),
            scopes=None,
            session_id=row.session_id,
            client_address=client_address,
        ), row.expires_at
    if token.startswith(API_PREFIX):
        api = await session.scalar(
            select(ApiToken)
            .where(ApiToken.token_hash == digest)
            .options(
                joinedload(ApiToken.account, innerjoin=True)
                .joinedload(StaffAccount.organisation, innerjoin=True)
                .joinedload(Organisation.municipality, innerjoin=True)
            )
        )
        if api is None or api.revoked_at is not None:
            raise DomainError("invalid-token", "This API token is not valid or was revoked.")
        if api.expires_at is not None and api.expires_at <= now:
            raise DomainError("invalid-token", "This API token has expired.", expired=True)
        if not api.account.active:
            raise DomainError("invalid-token", "The account behind this API token is disabled.")
        # Touch last-used at most once a minute: a busy script should not write on every call.
        if touch and (api.last_used_at is None or now - api.last_used_at > timedelta(minutes=1)):
            # A write of its own (waiting its turn), not an upgrade of this read.
            api_id = api.id
            await begin_write(session)
            await session.execute(
                update(ApiToken).where(ApiToken.id == api_id).values(last_used_at=now),
                execution_options=callers.ACCESS_UNCHANGED,
            )
            await session.commit()
        return Principal(
            account=api.account,
            organisation=api.account.organisation,
            roles=frozenset(api.account.roles),
            scopes=frozenset(api.scopes),
            api_token_id=api.id,
            client_address=client_address,
        ), api.expires_at
    raise DomainError("invalid-token", "This is not a buurt token.")
