"""API tokens for scripts: shown once, stored hashed, scoped, revocable, expiring."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update

from server.models import ApiToken, AuditEntry, utcnow
from tests.conftest import assert_problem, auth_headers

OFFICER = "officer@mechelen.demo"


async def make_token(
    client: httpx.AsyncClient, headers: dict[str, str], scopes: list[str], name: str = "cron"
) -> dict:
    response = await client.post(
        "/v1/tokens", headers=headers, json={"name": name, "scopes": scopes}
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_token_is_shown_once_and_stored_hashed(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    headers = await auth_headers(client, OFFICER)
    created = await make_token(client, headers, ["messages:write", "stats:read"])
    secret = created["token"]
    assert secret.startswith("bpt_") and created["prefix"] == secret[:12]
    assert created["scopes"] == ["messages:write", "stats:read"]
    assert created["expires_at"] is not None
    listed = (await client.get("/v1/tokens", headers=headers)).json()["items"]
    assert [t["id"] for t in listed] == [created["id"]]
    assert "token" not in listed[0] and secret not in str(listed)
    async with app.state.sessionmaker() as session:
        row = await session.get(ApiToken, created["id"])
        assert row is not None and row.token_hash != secret and secret not in row.token_hash
        audit = await session.scalar(select(AuditEntry).where(AuditEntry.action == "token.create"))
        assert audit is not None and secret not in str(audit.details)


async def test_token_acts_within_its_scopes(client: httpx.AsyncClient, app: FastAPI) -> None:
    headers = await auth_headers(client, OFFICER)
    secret = (await make_token(client, headers, ["stats:read"]))["token"]
    script = {"Authorization": f"Bearer {secret}"}
    me = await client.get("/v1/me", headers=script)
    assert me.status_code == 200 and me.json()["token_scopes"] == ["stats:read"]
    hoods = await client.get("/v1/neighbourhoods", headers=script)
    assert hoods.status_code == 200 and len(hoods.json()["items"]) == 20
    # A token cannot mint tokens, whatever its scopes.
    mint = await client.post(
        "/v1/tokens", headers=script, json={"name": "x", "scopes": ["stats:read"]}
    )
    assert_problem(mint, 403, "forbidden")
    async with app.state.sessionmaker() as session:
        row = await session.scalar(select(ApiToken))
        assert row is not None and row.last_used_at is not None


async def test_scope_beyond_roles_is_refused(client: httpx.AsyncClient) -> None:
    headers = await auth_headers(client, "analyst@mechelen.demo")
    response = await client.post(
        "/v1/tokens", headers=headers, json={"name": "x", "scopes": ["messages:write"]}
    )
    body = assert_problem(response, 403, "missing-role")
    assert body["scopes_not_allowed"] == ["messages:write"]


async def test_unknown_scope_is_a_validation_problem(client: httpx.AsyncClient) -> None:
    headers = await auth_headers(client, OFFICER)
    response = await client.post(
        "/v1/tokens", headers=headers, json={"name": "x", "scopes": ["everything"]}
    )
    body = assert_problem(response, 422, "validation")
    assert body["errors"][0]["loc"][:2] == ["body", "scopes"]


async def test_revoked_and_expired_tokens_stop_working(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    headers = await auth_headers(client, OFFICER)
    revoked = await make_token(client, headers, ["stats:read"], "old")
    expiring = await make_token(client, headers, ["stats:read"], "short")
    assert (await client.delete(f"/v1/tokens/{revoked['id']}", headers=headers)).status_code == 204
    assert_problem(
        await client.get("/v1/me", headers={"Authorization": f"Bearer {revoked['token']}"}),
        401,
        "invalid-token",
    )
    async with app.state.sessionmaker() as session:
        await session.execute(
            update(ApiToken)
            .where(ApiToken.id == expiring["id"])
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
        await session.commit()
    body = assert_problem(
        await client.get("/v1/me", headers={"Authorization": f"Bearer {expiring['token']}"}),
        401,
        "invalid-token",
    )
    assert body["expired"] is True


async def test_tokens_of_others_are_404(client: httpx.AsyncClient) -> None:
    mine = await make_token(client, await auth_headers(client, OFFICER), ["stats:read"])
    # Another organisation: 404, as if it did not exist.
    mons = await auth_headers(client, "officer@mons.demo")
    assert_problem(await client.delete(f"/v1/tokens/{mine['id']}", headers=mons), 404, "not-found")
    assert (await client.get("/v1/tokens", headers=mons)).json()["items"] == []
    # Another person of the same organisation, without admin: also 404.
    colleague = await auth_headers(client, "moderator@mechelen.demo")
    assert_problem(
        await client.delete(f"/v1/tokens/{mine['id']}", headers=colleague), 404, "not-found"
    )
    missing = await client.delete("/v1/tokens/999999", headers=colleague)
    assert (
        missing.json()["detail"]
        == (await client.delete(f"/v1/tokens/{mine['id']}", headers=colleague)).json()["detail"]
    )
    # The organisation's admin sees and may revoke it.
    admin = await auth_headers(client, "admin@mechelen.demo")
    assert [t["id"] for t in (await client.get("/v1/tokens", headers=admin)).json()["items"]] == [
        mine["id"]
    ]
    assert (await client.delete(f"/v1/tokens/{mine['id']}", headers=admin)).status_code == 204


async def test_token_list_pages(client: httpx.AsyncClient) -> None:
    headers = await auth_headers(client, OFFICER)
    ids = [(await make_token(client, headers, ["stats:read"], f"t{i}"))["id"] for i in range(5)]
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/v1/tokens", headers=headers, params=params)).json()
        seen += [t["id"] for t in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == ids
