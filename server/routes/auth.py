"""Sign-in and tokens: `/v1/auth/*`, `/v1/me`, `/v1/tokens`."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from server.deps import AnyStaff, AppSettings, ClientAddress, DbSession, PersonOnly
from server.pagination import Paging, page_json
from server.schemas import (
    ApiTokenCreate,
    ApiTokenCreated,
    ApiTokenOut,
    LogoutRequest,
    MeOut,
    OrganisationOut,
    Page,
    PathId,
    RefreshRequest,
    TokenRequest,
    TokenResponse,
)
from server.services import auth as auth_service
from server.services import tokens as token_service
from server.services.auth import TokenPair

router = APIRouter(prefix="/v1", tags=["auth"])


def _token_response(pair: TokenPair) -> TokenResponse:
    return TokenResponse(
        access_token=pair.access_token,
        expires_in=pair.expires_in,
        refresh_token=pair.refresh_token,
        refresh_expires_at=pair.refresh_expires_at,
    )


@router.post("/auth/token", response_model=TokenResponse)
async def sign_in(
    body: TokenRequest,
    request: Request,
    response: Response,
    session: DbSession,
    settings: AppSettings,
    address: ClientAddress,
) -> TokenResponse:
    """Sign in with email and password: a short-lived access token and a refresh token."""
    response.headers["Cache-Control"] = "no-store"
    pair = await auth_service.login(
        session,
        settings,
        body.email,
        body.password,
        client_address=address,
        user_agent=request.headers.get("user-agent"),
    )
    return _token_response(pair)


@router.post("/auth/refresh", response_model=TokenResponse)
async def refresh(
    body: RefreshRequest,
    response: Response,
    session: DbSession,
    settings: AppSettings,
    address: ClientAddress,
) -> TokenResponse:
    """Trade a refresh token for a new pair; the old one stops working."""
    response.headers["Cache-Control"] = "no-store"
    pair = await auth_service.refresh(session, settings, body.refresh_token, client_address=address)
    return _token_response(pair)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(
    request: Request, session: DbSession, address: ClientAddress, body: LogoutRequest | None = None
) -> Response:
    """End a sign-in: revokes its refresh and access tokens (by either token)."""
    token = body.refresh_token if body and body.refresh_token else None
    if token is None:
        scheme, _, bearer = request.headers.get("authorization", "").partition(" ")
        token = bearer.strip() if scheme.lower() == "bearer" else None
    if token:
        await auth_service.logout(session, token, client_address=address)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=MeOut)
async def me(principal: AnyStaff) -> MeOut:
    """Who you are: account, organisation, municipality, roles."""
    account = principal.account
    return MeOut(
        id=account.id,
        email=account.email,
        name=account.name,
        language=account.language,
        roles=sorted(principal.roles),
        organisation=OrganisationOut.model_validate(principal.organisation),
        token_scopes=sorted(principal.scopes) if principal.scopes is not None else None,
    )


@router.post("/tokens", response_model=ApiTokenCreated, status_code=status.HTTP_201_CREATED)
async def create_token(
    body: ApiTokenCreate, principal: PersonOnly, session: DbSession
) -> ApiTokenCreated:
    """Make an API token for a script. The token is in this answer only: keep it safe."""
    token, secret = await token_service.create(
        session,
        principal,
        name=body.name,
        scopes=list(body.scopes),
        expires_in_days=body.expires_in_days,
    )
    return ApiTokenCreated.model_validate(
        {**ApiTokenOut.model_validate(token).model_dump(), "token": secret}
    )


@router.get("/tokens", response_model=Page[ApiTokenOut])
async def list_tokens(principal: PersonOnly, session: DbSession, paging: Paging) -> Response:
    """Your API tokens (an admin sees the whole organisation's), never their secrets."""
    after = paging.after("tokens", int)
    rows = await token_service.list_tokens(
        session, principal, after_id=int(after[0]) if after else None, limit=paging.limit
    )
    rows, next_cursor = paging.page(rows, "tokens", lambda t: [t.id])
    return page_json(ApiTokenOut, rows, next_cursor)


@router.delete("/tokens/{token_id:int}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_token(token_id: PathId, principal: PersonOnly, session: DbSession) -> Response:
    """Revoke an API token at once."""
    await token_service.revoke(session, principal, token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
