"""FastAPI dependencies: the database session, the caller, role or scope checks, and the
request's preconditions (If-Match, Idempotency-Key) as plain values."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Literal

from fastapi import Depends, Header, Request
from sqlalchemy.ext.asyncio import AsyncSession

from server.principal import Principal
from server.problems import DomainError, Problem
from server.schemas.vocabulary import Role, Scope
from server.services import auth as auth_service
from server.services import idempotency
from server.settings import Settings


async def db_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One database session per request."""
    async with request.app.state.sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise


# Dependencies are `async def` even when they do not wait: FastAPI runs a plain `def` one in
# a worker thread, a thread hop per dependency per request.


async def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


async def client_address(request: Request) -> str | None:
    """The caller's address: behind a trusted proxy, the client it names
    (server/requestlog.py)."""
    return request.client.host if request.client else None


DbSession = Annotated[AsyncSession, Depends(db_session)]
AppSettings = Annotated[Settings, Depends(get_settings)]
ClientAddress = Annotated[str | None, Depends(client_address)]


def bearer_token(request: Request) -> str:
    """The bearer token of the request, or a 401 problem."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem(
            "unauthenticated",
            "Send a bearer token: sign in, or use an API token.",
            headers={"WWW-Authenticate": 'Bearer realm="buurt"'},
        )
    return token.strip()


async def current_principal(
    request: Request, session: DbSession, address: ClientAddress
) -> Principal:
    """The authenticated caller of this request (resolved a moment ago, within the bound of
    `server.callers`)."""
    return await _principal(request, session, address, request.app.state.settings)


async def fresh_principal(
    request: Request, session: DbSession, address: ClientAddress
) -> Principal:
    """The caller, asked of the database now: what stays open (a live stream) never starts
    on a token revoked a moment ago elsewhere."""
    return await _principal(request, session, address, None)


async def _principal(
    request: Request, session: DbSession, address: str | None, settings: Settings | None
) -> Principal:
    token = bearer_token(request)
    try:
        return await auth_service.resolve_bearer(
            session,
            token,
            client_address=address,
            cache_seconds=settings.caller_cache_seconds if settings else 0.0,
        )
    except DomainError as error:
        challenge = {"WWW-Authenticate": 'Bearer realm="buurt", error="invalid_token"'}
        raise Problem(error.slug, error.detail, headers=challenge, **error.extensions) from None


ANY_SCOPE: Literal["*"] = "*"


def require(
    *roles: Role,
    scope: Scope | Literal["*"] | tuple[Scope, ...] | None = None,
    fresh: bool = False,
) -> Callable[..., Awaitable[Principal]]:
    """A dependency that lets in callers holding one of `roles` (none given: any staff role).

    Every route states what an API token needs: one of the scopes in `scope`; `ANY_SCOPE`
    for a route any token may call (who am I); `None` for a route for people only (minting
    tokens, the audit log). README lists them, route by route. `fresh`: the caller is
    asked of the database, never taken from the cache of callers.
    """
    scopes = (scope,) if isinstance(scope, str) else scope

    source = fresh_principal if fresh else current_principal

    # A default, not an annotation: annotations are strings here, resolved in the module's
    # globals, where `source` is not.
    async def dependency(principal: Principal = Depends(source)) -> Principal:
        if principal.is_api_token:
            assert principal.scopes is not None
            if scopes is None:
                raise Problem("forbidden", "This needs a signed-in person, not an API token.")
            if ANY_SCOPE not in scopes and not principal.scopes.intersection(scopes):
                names = " or ".join(scopes)
                raise Problem(
                    "missing-scope",
                    f"This API token lacks the scope {names}.",
                    missing_scope=scopes[0],
                    missing_scopes=list(scopes),
                )
        if roles and not principal.roles.intersection(roles):
            names = " or ".join(roles)
            raise Problem(
                "missing-role",
                f"This needs the role {names}.",
                missing_roles=list(roles),
            )
        return principal

    return dependency


# Who am I: any staff member, any API token.
AnyStaff = Annotated[Principal, Depends(require(scope=ANY_SCOPE))]
PersonOnly = Annotated[Principal, Depends(require())]
Admin = Annotated[Principal, Depends(require("admin"))]
# Reading messages, their reach and the neighbourhoods they go to.
MESSAGE_READ_SCOPES: tuple[Scope, ...] = ("messages:read", "messages:write")
# Who may read the inbox (its routes and its events on the live stream).
INBOX_READ_ROLES: tuple[Role, ...] = ("moderator", "admin", "analyst")
MessageReader = Annotated[Principal, Depends(require(scope=MESSAGE_READ_SCOPES))]


async def if_match(
    value: Annotated[
        str | None,
        Header(alias="If-Match", description='The version you saw, e.g. "3" (the GET\'s ETag)'),
    ] = None,
) -> int | None:
    """The version an If-Match header names (`"3"`, `W/"3"` or `3`), None without one; a
    value that names no version is a 422 problem (it can never match, so a 412 would
    mislead)."""
    if value is None:
        return None
    text = value.strip().removeprefix("W/").strip('"')
    if not (text.isascii() and text.isdigit() and len(text) <= 10):
        raise Problem("validation", 'If-Match: the version you saw, e.g. "3".')
    return int(text)


async def required_if_match(version: Annotated[int | None, Depends(if_match)]) -> int:
    """The If-Match version of a write that overwrites: without one, a 428 problem."""
    if version is None:
        raise Problem(
            "precondition-required",
            "Send If-Match with the version you saw, so no colleague's change is overwritten.",
        )
    return version


# The version the caller saw: optional where a write overwrites nothing (a reply, a note).
IfMatch = Annotated[int | None, Depends(if_match)]
RequiredIfMatch = Annotated[int, Depends(required_if_match)]


async def idempotency_key(
    value: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="A retry with the same key does nothing new and gets the first answer",
        ),
    ] = None,
) -> str | None:
    """The Idempotency-Key header's value, None without one (or a blank one)."""
    if value is None or not value.strip():
        return None
    key = value.strip()
    if len(key) > idempotency.KEY_MAX or not key.isprintable():
        raise Problem(
            "validation", f"The Idempotency-Key must be printable, at most {idempotency.KEY_MAX}."
        )
    return key


def key_required(key: str | None) -> str:
    """`key`, or a 428 problem where a write must not happen twice (publishing)."""
    if key is None:
        raise Problem(
            "idempotency-key-required",
            "Send an Idempotency-Key header (any unique string, e.g. a UUID) so that a "
            "retry never publishes twice.",
        )
    return key


async def required_idempotency_key(key: Annotated[str | None, Depends(idempotency_key)]) -> str:
    """The Idempotency-Key of a route that always needs one."""
    return key_required(key)


IdempotencyKey = Annotated[str | None, Depends(idempotency_key)]
RequiredIdempotencyKey = Annotated[str, Depends(required_idempotency_key)]
