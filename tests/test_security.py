"""Security probes over every staff route of the OpenAPI document: expired, revoked and
signed-out credentials get 401; an API token without the route's scope gets 403; no
response or log line carries a password, a token, a resident's conversation or a
reporter's contact details. (Other tenants' ids: test_cross_tenant.py; no token at all
and fuzzing: test_fuzz.py.)"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from server.models import AccessToken, ApiToken
from server.security import token_hash
from tests.conftest import DEMO_PASSWORD, sign_in
from tests.pgserver import free_port
from tests.processes import start_server

PUBLIC = {"/healthz", "/readyz", "/v1/auth/token", "/v1/auth/refresh", "/v1/auth/logout"}
# Any staff member or API token of the organisation may call these, whatever its scopes.
ANY_SCOPE = {("GET", "/v1/me")}


def staff_routes(app: FastAPI) -> list[tuple[str, str]]:
    routes = [
        (method.upper(), path)
        for path, methods in app.openapi()["paths"].items()
        if path not in PUBLIC and not path.startswith("/open311/")
        for method in methods
    ]
    assert len(routes) >= 25
    return routes


async def call(client: httpx.AsyncClient, route: tuple[str, str], token: str) -> httpx.Response:
    method, path = route
    return await client.request(
        method, re.sub(r"\{[^}]+\}", "1", path), json={},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex,
                 "If-Match": '"1"'},
    )  # fmt: skip


async def api_token(client: httpx.AsyncClient, access: str, scopes: list[str]) -> dict:
    created = await client.post(
        "/v1/tokens", headers={"Authorization": f"Bearer {access}"},
        json={"name": f"probe {uuid.uuid4().hex[:6]}", "scopes": scopes},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    return created.json()


async def test_expired_revoked_and_signed_out_credentials_are_refused_everywhere(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    admin = "admin@mechelen.demo"
    expired = (await sign_in(client, admin))["access_token"]
    signed_out = (await sign_in(client, admin))["access_token"]
    access = (await sign_in(client, admin))["access_token"]
    every_scope = ["messages:read", "messages:write", "submissions:read", "submissions:write", "stats:read",
                   "events:write", "open311:submit"]  # fmt: skip
    revoked = await api_token(client, access, every_scope)
    lapsed = await api_token(client, access, every_scope)

    past = datetime.now(UTC) - timedelta(minutes=1)
    async with app.state.sessionmaker() as session:
        await session.execute(
            update(AccessToken).where(AccessToken.token_hash == token_hash(expired))
            .values(expires_at=past)
        )  # fmt: skip
        await session.execute(
            update(ApiToken).where(ApiToken.id == lapsed["id"]).values(expires_at=past)
        )
        await session.commit()
    auth = {"Authorization": f"Bearer {access}"}
    assert (await client.delete(f"/v1/tokens/{revoked['id']}", headers=auth)).status_code == 204
    logout = await client.post("/v1/auth/logout", headers={"Authorization": f"Bearer {signed_out}"})
    assert logout.status_code == 204

    routes = staff_routes(app)
    for name, token in [("expired access token", expired), ("signed-out access token", signed_out),
                        ("revoked API token", revoked["token"]), ("expired API token", lapsed["token"])]:  # fmt: skip
        for route in routes:
            response = await call(client, route, token)
            assert response.status_code == 401, (name, route, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.json()["type"] == "/problems/invalid-token", (name, route)
    # The credentials that were not touched still work: the 401s above are about the token.
    assert (await client.get("/v1/me", headers=auth)).status_code == 200


async def test_a_token_lacking_the_scope_is_refused_on_every_other_route(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    access = (await sign_in(client, "admin@mechelen.demo"))["access_token"]
    stats_only = (await api_token(client, access, ["stats:read"]))["token"]
    submit_only = (await api_token(client, access, ["open311:submit"]))["token"]
    checked = 0
    for route in staff_routes(app):
        # stats:read reaches the figures, the stream and the neighbourhoods they are about.
        stats = route[1].startswith(("/v1/stats", "/v1/stream", "/v1/neighbourhoods"))
        stats = stats and route[0] == "GET"
        for token, allowed in ((stats_only, stats), (submit_only, False)):
            if route in ANY_SCOPE or allowed:
                continue  # reachable with this token; its own tests cover what it answers
            response = await call(client, route, token)
            assert response.status_code == 403, (route, response.text)
            assert response.json()["type"] in {"/problems/missing-scope", "/problems/forbidden"}
            checked += 1
    assert checked >= 40


async def exercise(client: httpx.AsyncClient) -> list[str]:
    """Sign in (wrongly, then rightly), refresh, mint a token, report through Open311 with the
    key in the query string, send an event carrying a resident's words, read the inbox and
    the public list; answers every secret and every piece of resident data that went by."""
    marker = uuid.uuid4().hex[:10]
    wrong_password = f"wrong-{marker}"
    conversation = f"Wie heeft mijn kat gezien {marker}"
    email, name = f"reporter-{marker}@example.org", f"Jansens{marker}"
    description = f"Sluikstort aan de hoek {marker}"
    bad = await client.post(
        "/v1/auth/token", json={"email": "admin@mechelen.demo", "password": wrong_password}
    )
    assert bad.status_code == 401 and wrong_password not in bad.text
    tokens = await sign_in(client, "admin@mechelen.demo")
    renewed = (
        await client.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    ).json()
    auth = {"Authorization": f"Bearer {renewed['access_token']}"}
    key = (await api_token(client, renewed["access_token"], ["open311:submit"]))["token"]
    events = (await api_token(client, renewed["access_token"], ["events:write"]))["token"]
    created = await client.post(
        "/open311/v2/requests.json", params={"api_key": key},
        data={"jurisdiction_id": "mechelen", "service_code": "illegal-dumping", "lat": "51.0262",
              "long": "4.4780", "email": email, "last_name": name, "description": description},
    )  # fmt: skip
    assert created.status_code == 200, created.text
    # The same name encoded or in capitals is the same parameter to the server: and to the log.
    for name_in_url in ("api%5Fkey", "API_KEY"):
        again = await client.post(
            f"/open311/v2/requests.json?{name_in_url}={key}",
            data={"jurisdiction_id": "mechelen", "service_code": "illegal-dumping",
                  "address_string": "Bruul 1", "description": description},
        )  # fmt: skip
        assert again.status_code in (200, 403), again.text
    hood = (await client.get("/v1/neighbourhoods", headers=auth)).json()["items"][0]["id"]
    refused = await client.post(
        "/v1/events", headers={"Authorization": f"Bearer {events}"},
        json={"events": [{"id": f"e-{marker}", "type": "post", "household": "h1", "neighbourhood_id": hood,
                          "at": datetime.now(UTC).isoformat(), "text": conversation}]},
    )  # fmt: skip
    assert refused.status_code in (200, 422), refused.text
    assert conversation not in refused.text
    if refused.status_code == 200:
        assert refused.json()["accepted"] == 0
    broken = await client.post("/v1/messages", headers={**auth, "Content-Type": "application/json"},
                               content=f'{{"title": "{conversation}"')  # fmt: skip
    assert broken.status_code == 422 and conversation not in broken.text
    inbox = await client.get("/v1/submissions", headers=auth, params={"q": marker})
    assert description in inbox.text  # staff see the report: it was sent to the city
    public = await client.get("/open311/v2/requests.json", params={"jurisdiction_id": "mechelen"})
    assert description in public.text and email not in public.text and name not in public.text
    return [wrong_password, DEMO_PASSWORD, tokens["access_token"], tokens["refresh_token"],
            renewed["access_token"], renewed["refresh_token"], key, events, conversation, email,
            name, description]  # fmt: skip


@pytest.mark.dialect
async def test_no_log_line_holds_a_secret_or_a_residents_words(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secrets = await exercise(client)
    # The server runs in this process; httpx and httpcore log the test's own requests.
    server_side = "\n".join(
        r.getMessage() + (r.exc_text or "")
        for r in caplog.records
        if not r.name.startswith(("httpx", "httpcore"))
    )
    for secret in secrets:
        assert secret not in server_side


@pytest.mark.slow
def test_the_access_log_of_a_real_server_holds_no_secret(
    sqlite_template: Path, tmp_path: Path
) -> None:
    database = tmp_path / "logs.db"
    shutil.copy(sqlite_template, database)
    port, log = free_port(), tmp_path / "server.log"
    env = {**os.environ, "BUURT_DATABASE_URL": f"sqlite+aiosqlite:///{database}"}
    server = start_server(env, port, log, log_level="debug")

    async def run() -> list[str]:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            return await exercise(http)

    try:
        secrets = asyncio.run(run())
    finally:
        server.terminate()
        server.wait(timeout=15)
    text = log.read_text()
    assert "POST /open311/v2/requests.json?api_key=[redacted]" in text  # the access log is on
    assert "POST /open311/v2/requests.json?api%5Fkey=[redacted]" in text
    for secret in secrets:
        assert secret not in text


async def test_passwords_are_hashed_at_full_cost_and_cheaper_hashes_are_upgraded(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """The suite hashes cheaply (conftest); the product's own hasher is argon2id at its full
    cost, and an account whose hash is cheaper is upgraded at its next sign-in."""
    from argon2 import PasswordHasher, extract_parameters
    from sqlalchemy import select

    from server import security
    from server.models import StaffAccount

    product = PasswordHasher()
    assert product.time_cost >= 2 and product.memory_cost >= 19 * 1024  # OWASP's floor
    cheap = security._hasher
    security.use_hasher(product)
    try:
        await sign_in(client, "analyst@mechelen.demo")
    finally:
        security.use_hasher(cheap)
    async with app.state.sessionmaker() as session:
        stored = await session.scalar(
            select(StaffAccount.password_hash).where(StaffAccount.email == "analyst@mechelen.demo")
        )
    assert stored is not None and stored.startswith("$argon2id$")
    params = extract_parameters(stored)
    assert (params.time_cost, params.memory_cost) == (product.time_cost, product.memory_cost)
    assert security.verify_password(stored, DEMO_PASSWORD)
