"""PostgreSQL stops under the server: requests get a 503 problem, nothing is half-written,
and service comes back by itself when the database does."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from sqlalchemy import text

from server.app import create_app
from server.settings import Settings
from tests.conftest import TEST_CLIENT, assert_problem, sign_in
from tests.pgserver import PostgresServer


async def test_database_outage_is_a_503_and_heals(own_postgres: PostgresServer) -> None:
    app = create_app(Settings(database_url=own_postgres.url("outage"), scheduler_enabled=False))
    transport = httpx.ASGITransport(app=app, client=TEST_CLIENT)
    async with httpx.AsyncClient(transport=transport, base_url="http://buurt.test") as client:
        headers = {
            "Authorization": f"Bearer {(await sign_in(client, 'officer@mechelen.demo'))['access_token']}"
        }
        assert (await client.get("/v1/me", headers=headers)).status_code == 200

        own_postgres.pause()
        title = f"Tijdens de panne {uuid.uuid4().hex[:6]}"
        body = {
            "kind": "announcement",
            "title": {"nl": title},
            "body": {"nl": "x"},
            "targets": "all",
            "action": "publish",
        }
        key = uuid.uuid4().hex
        down = await client.post(
            "/v1/messages", headers={**headers, "Idempotency-Key": key}, json=body
        )
        problem = assert_problem(down, 503, "service-unavailable")
        assert "Traceback" not in down.text and "asyncpg" not in str(problem)
        assert down.headers["retry-after"]
        assert_problem(await client.get("/readyz"), 503, "service-unavailable")

        own_postgres.resume()
        for _ in range(50):
            if (await client.get("/readyz")).status_code == 200:
                break
            await asyncio.sleep(0.2)
        assert (await client.get("/v1/me", headers=headers)).status_code == 200
        # Nothing of the failed publish was written; the same retry now publishes once.
        listed = (await client.get("/v1/messages", headers=headers, params={"q": title})).json()[
            "items"
        ]
        assert listed == []
        retry = await client.post(
            "/v1/messages", headers={**headers, "Idempotency-Key": key}, json=body
        )
        assert retry.status_code == 201 and retry.json()["state"] == "published"
        listed = (await client.get("/v1/messages", headers=headers, params={"q": title})).json()[
            "items"
        ]
        assert len(listed) == 1
    await app.state.engine.dispose()


async def test_a_deadlock_is_a_503_to_retry_not_a_500(
    postgres: PostgresServer, postgres_template: str
) -> None:
    # Two transactions that lock two rows in opposite orders: PostgreSQL ends one of them.
    name = f"dl{uuid.uuid4().hex[:8]}"
    postgres.psql(f"CREATE DATABASE {name} TEMPLATE {postgres_template}")
    app = create_app(Settings(database_url=postgres.url(name), scheduler_enabled=False))
    maker = app.state.sessionmaker
    touch = "UPDATE neighbourhoods SET total_households = total_households WHERE id = :id"

    async def crosswise(first: int, second: int, ready: asyncio.Barrier) -> None:
        async with maker() as session:
            await session.execute(text(touch), {"id": first})
            await ready.wait()
            await session.execute(text(touch), {"id": second})
            await session.commit()

    barrier = asyncio.Barrier(2)
    outcomes = await asyncio.gather(crosswise(1, 2, barrier), crosswise(2, 1, barrier),
                                    return_exceptions=True)  # fmt: skip
    [deadlock] = [o for o in outcomes if isinstance(o, Exception)]

    @app.get("/v1/deadlock-probe")
    async def probe() -> None:
        raise deadlock

    # The handler answers, then Starlette raises it again for servers to log: let it.
    transport = httpx.ASGITransport(app=app, client=TEST_CLIENT, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://buurt.test") as client:
        body = assert_problem(await client.get("/v1/deadlock-probe"), 503, "service-unavailable")
        assert "Try again" in body["detail"]
        assert (await client.get("/v1/deadlock-probe")).headers["Retry-After"] == "1"
    await app.state.engine.dispose()
