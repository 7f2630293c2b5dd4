"""`buurt stats` through the real CLI, and the simulator through the API, on a real server."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path

import httpx
import pytest

from console.cli import main
from server import simulator
from tests.conftest import DEMO_PASSWORD, MemoryKeyring
from tests.live import LiveServer


async def admin_token(url: str, email: str) -> str:
    async with httpx.AsyncClient(base_url=url) as http:
        access = (
            await http.post("/v1/auth/token", json={"email": email, "password": DEMO_PASSWORD})
        ).json()["access_token"]
        created = await http.post(
            "/v1/tokens", headers={"Authorization": f"Bearer {access}"},
            json={"name": "sim", "scopes": ["events:write", "stats:read"]},
        )  # fmt: skip
        return created.json()["token"]


async def test_simulator_follows_the_figures(live_server: LiveServer) -> None:
    token = await admin_token(live_server.url, "admin@denhaag.demo")
    async with httpx.AsyncClient(
        base_url=live_server.url, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as http:
        sent = await simulator.backfill(http, days=14, scale=1.0, seed=3)
        assert sent > 1000
        overview = (await http.get("/v1/stats/overview", params={"period": "30d"})).json()
    m = overview["metrics"]
    # Per registered household and month, from Mechelen's published figures (~0.078 posts).
    posts_per_household_month = m["posts"] / overview["registered_households"] / 14 * 30
    assert 0.05 < posts_per_household_month < 0.11
    assert 0.3 < overview["help_solved_share"] < 0.6  # 45.9% of help requests solved
    assert m["message_views"] > m["posts"]
    assert (
        overview["topics"]
        and m["registrations_invitation"] + m["registrations_organic"] == m["registrations"]
    )


def test_stats_cli(
    live_server: LiveServer,
    console_home: Path,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    token = asyncio.run(admin_token(live_server.url, "admin@mons.demo"))
    monkeypatch.setenv("BUURT_TOKEN", token)
    monkeypatch.setenv("BUURT_URL", live_server.url)
    assert main(["stats", "--period", "90d", "--json"]) == 0
    overview = json.loads(capsys.readouterr().out)
    assert overview["neighbourhoods"] == 16 and overview["period_days"] == 90
    assert main(["stats", "--neighbourhood", "Jemappes", "--csv"]) == 0
    rows = dict(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows["neighbourhoods"] == "1" and "posts" in rows
    assert main(["--lang", "fr", "stats"]) == 0
    assert "Ménages inscrits" in capsys.readouterr().out
    assert main(["stats", "--neighbourhood", "Atlantis"]) == 2
    assert "Atlantis" in capsys.readouterr().err
