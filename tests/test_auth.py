"""Sign-in, refresh rotation and reuse detection, logout, expiry, rate limits."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update

from server import clock
from server.app import create_app
from server.models import AccessToken, AuditEntry, LoginFailure, RefreshToken
from server.security import token_hash
from server.settings import Settings
from tests.conftest import TEST_CLIENT, assert_problem, auth_headers, sign_in

OFFICER = "officer@mechelen.demo"


async def test_sign_in_gives_tokens_and_me(client: httpx.AsyncClient) -> None:
    tokens = await sign_in(client, OFFICER)
    assert tokens["access_token"].startswith("bat_")
    assert tokens["refresh_token"].startswith("brt_")
    assert 60 <= tokens["expires_in"] <= 3600
    me = await client.get("/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 200
    body = me.json()
    assert body["email"] == OFFICER
    assert body["organisation"]["slug"] == "mechelen"
    assert body["organisation"]["municipality"]["name"] == "Mechelen"
    assert set(body["roles"]) == {"communicator", "moderator", "analyst"}
    assert body["token_scopes"] is None


@pytest.mark.dialect
async def test_email_is_case_insensitive(client: httpx.AsyncClient) -> None:
    await sign_in(client, "  Officer@Mechelen.DEMO ")


async def test_tokens_are_stored_hashed(client: httpx.AsyncClient, app: FastAPI) -> None:
    tokens = await sign_in(client, OFFICER)
    async with app.state.sessionmaker() as session:
        stored = await session.scalar(
            select(RefreshToken.token_hash).where(
                RefreshToken.token_hash == token_hash(tokens["refresh_token"])
            )
        )
        assert stored is not None and stored != tokens["refresh_token"]
        clear = await session.scalar(
            select(func.count())
            .select_from(AccessToken)
            .where(AccessToken.token_hash == tokens["access_token"])
        )
        assert clear == 0


async def test_wrong_password_and_unknown_email_look_the_same(client: httpx.AsyncClient) -> None:
    wrong = await client.post("/v1/auth/token", json={"email": OFFICER, "password": "nope"})
    unknown = await client.post(
        "/v1/auth/token", json={"email": "nobody@mechelen.demo", "password": "nope"}
    )
    a = assert_problem(wrong, 401, "invalid-credentials")
    b = assert_problem(unknown, 401, "invalid-credentials")
    assert a["detail"] == b["detail"]
    assert "nope" not in wrong.text


async def test_refresh_rotates(client: httpx.AsyncClient) -> None:
    first = await sign_in(client, OFFICER)
    response = await client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert response.status_code == 200
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    me = await client.get("/v1/me", headers={"Authorization": f"Bearer {second['access_token']}"})
    assert me.status_code == 200


async def used_long_ago(app: FastAPI, refresh_token: str) -> None:
    """Move a refresh token's use out of the grace window (the next day)."""
    async with app.state.sessionmaker() as session:
        await session.execute(
            update(RefreshToken)
            .where(RefreshToken.token_hash == token_hash(refresh_token))
            .values(used_at=datetime.now(UTC) - timedelta(days=1))
        )
        await session.commit()


@pytest.mark.dialect
async def test_two_processes_refreshing_at_once_both_stay_signed_in(
    client: httpx.AsyncClient,
) -> None:
    first = await sign_in(client, OFFICER)
    # The TUI and a CLI command hold the same stored refresh token and refresh together.
    answers = await asyncio.gather(
        *(
            client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
            for _ in range(2)
        )
    )
    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    for answer in answers:
        pair = answer.json()
        me = await client.get("/v1/me", headers={"Authorization": f"Bearer {pair['access_token']}"})
        assert me.status_code == 200
        again = await client.post("/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
        assert again.status_code == 200


@pytest.mark.dialect
async def test_reused_refresh_token_revokes_the_family(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    first = await sign_in(client, OFFICER)
    second = (
        await client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    ).json()
    await used_long_ago(app, first["refresh_token"])
    # A thief replays the first refresh token a day later: the whole sign-in is revoked.
    replay = await client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert_problem(replay, 401, "refresh-token-reused")
    # ... including the tokens the legitimate client got from the rotation.
    me = await client.get("/v1/me", headers={"Authorization": f"Bearer {second['access_token']}"})
    assert_problem(me, 401, "invalid-token")
    again = await client.post("/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert_problem(again, 401, "invalid-token")


async def test_logout_revokes_access_and_refresh(client: httpx.AsyncClient) -> None:
    tokens = await sign_in(client, OFFICER)
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    response = await client.post("/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]})
    assert response.status_code == 204
    assert_problem(await client.get("/v1/me", headers=headers), 401, "invalid-token")
    refresh = await client.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert_problem(refresh, 401, "invalid-token")


async def test_logout_with_bearer_only(client: httpx.AsyncClient) -> None:
    headers = await auth_headers(client, OFFICER)
    assert (await client.post("/v1/auth/logout", headers=headers)).status_code == 204
    assert_problem(await client.get("/v1/me", headers=headers), 401, "invalid-token")


async def test_expired_access_token_is_refused_then_refresh_works(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """A quarter of an hour later (the clock set, not slept): the access token is refused as
    expired, and the refresh token still gives a new pair."""
    signed_in = clock.now()
    tokens = await sign_in(client, OFFICER)
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    with clock.fixed(signed_in + timedelta(seconds=settings.access_token_ttl_seconds - 5)):
        assert (await client.get("/v1/me", headers=bearer)).status_code == 200
    with clock.fixed(signed_in + timedelta(seconds=settings.access_token_ttl_seconds + 5)):
        expired = await client.get("/v1/me", headers=bearer)
        body = assert_problem(expired, 401, "invalid-token")
        assert body["expired"] is True
        assert "invalid_token" in expired.headers["www-authenticate"]
        refresh = {"refresh_token": tokens["refresh_token"]}
        fresh = await client.post("/v1/auth/refresh", json=refresh)
        assert fresh.status_code == 200, fresh.text


async def test_expired_refresh_token_is_refused(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """Past its 30 days a refresh token is refused; the person signs in again."""
    signed_in = clock.now()
    tokens = await sign_in(client, OFFICER)
    with clock.fixed(signed_in + timedelta(seconds=settings.refresh_token_ttl_seconds + 5)):
        response = await client.post(
            "/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        )
    assert_problem(response, 401, "invalid-token")


@pytest.mark.dialect
async def test_account_rate_limit_survives_a_restart(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    for _ in range(settings.login_max_failures_per_account):
        r = await client.post("/v1/auth/token", json={"email": OFFICER, "password": "wrong"})
        assert r.status_code == 401
    limited = await client.post("/v1/auth/token", json={"email": OFFICER, "password": "wrong"})
    body = assert_problem(limited, 429, "rate-limited")
    retry_after = int(limited.headers["retry-after"])
    assert 0 < retry_after <= settings.login_window_seconds
    assert body["retry_after"] == retry_after
    # Even the right password is refused while the account is limited.
    right = await client.post("/v1/auth/token", json={"email": OFFICER, "password": "buurt-demo"})
    assert_problem(right, 429, "rate-limited")
    # Another account from another address is not affected.
    other_app = create_app(settings)
    other = httpx.ASGITransport(app=other_app, client=("198.51.100.1", 1))
    async with httpx.AsyncClient(transport=other, base_url="http://buurt.test") as c:
        await sign_in(c, "admin@mechelen.demo")
    await other_app.state.engine.dispose()
    # A new server process on the same database still knows the limit.
    restarted = create_app(settings)
    transport = httpx.ASGITransport(app=restarted, client=TEST_CLIENT)
    async with httpx.AsyncClient(transport=transport, base_url="http://buurt.test") as c:
        again = await c.post("/v1/auth/token", json={"email": OFFICER, "password": "buurt-demo"})
        assert_problem(again, 429, "rate-limited")
    await restarted.state.engine.dispose()


@pytest.mark.dialect
async def test_address_rate_limit_across_accounts(database_url: str) -> None:
    settings = Settings(database_url=database_url, login_max_failures_per_address=4)
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app, client=("192.0.2.99", 5555))
    async with httpx.AsyncClient(transport=transport, base_url="http://buurt.test") as c:
        for i in range(4):
            r = await c.post(
                "/v1/auth/token", json={"email": f"guess{i}@mechelen.demo", "password": "x"}
            )
            assert r.status_code == 401
        limited = await c.post(
            "/v1/auth/token", json={"email": "admin@mechelen.demo", "password": "buurt-demo"}
        )
        body = assert_problem(limited, 429, "rate-limited")
        assert "address" in body["detail"]
    await app.state.engine.dispose()


async def test_success_clears_account_failures(client: httpx.AsyncClient, app: FastAPI) -> None:
    for _ in range(3):
        await client.post("/v1/auth/token", json={"email": OFFICER, "password": "wrong"})
    await sign_in(client, OFFICER)
    async with app.state.sessionmaker() as session:
        left = await session.scalar(
            select(func.count())
            .select_from(LoginFailure)
            .where(LoginFailure.key == f"account:{OFFICER}")
        )
    assert left == 0


async def test_sign_ins_are_audited_without_secrets(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await client.post("/v1/auth/token", json={"email": OFFICER, "password": "s3cret-guess"})
    tokens = await sign_in(client, OFFICER)
    async with app.state.sessionmaker() as session:
        rows = (await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    actions = [r.action for r in rows]
    assert "auth.login_failed" in actions and "auth.login" in actions
    assert all(r.client_address == TEST_CLIENT[0] for r in rows)
    dump = repr([(r.details, r.object_id) for r in rows])
    assert "s3cret-guess" not in dump and tokens["refresh_token"] not in dump


async def test_missing_or_foreign_bearer(client: httpx.AsyncClient) -> None:
    missing = await client.get("/v1/me")
    assert_problem(missing, 401, "unauthenticated")
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert_problem(
        await client.get("/v1/me", headers={"Authorization": "Bearer bat_forged"}),
        401,
        "invalid-token",
    )
    assert_problem(
        await client.get("/v1/me", headers={"Authorization": "Bearer something-else"}),
        401,
        "invalid-token",
    )
    assert_problem(
        await client.get("/v1/me", headers={"Authorization": "Basic dXNlcjpwdw=="}),
        401,
        "unauthenticated",
    )
