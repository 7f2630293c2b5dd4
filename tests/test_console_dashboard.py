"""The dashboard through the pilot, on a real server: tiles move when events arrive, and the
header shows a lost server and recovers by itself when it returns."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from console.api.stream import LiveEvent
from console.app import BuurtApp
from console.screens.dashboard import DashboardScreen
from console.screens.login import LoginScreen
from console.screens.statistics import StatisticsScreen
from console.session import resolve
from console.widgets.status import StatusHeader
from tests.conftest import DEMO_PASSWORD, MemoryKeyring, settle, signed_in_console
from tests.live import LiveServer

SIZE = (150, 45)
FAST = {"min_delay": 0.1, "honour_retry": False}


async def signed_in(url: str, email: str) -> BuurtApp:
    return await signed_in_console(url, email, stream_options=FAST)


async def wait_for(pilot: Pilot[None], check, seconds: float = 6.0) -> bool:  # type: ignore[no-untyped-def]
    for _ in range(int(seconds / 0.1)):
        if check():
            return True
        await pilot.pause(0.1)
    return check()


def posts_batch(hood: int, prefix: str, n: int) -> dict:
    now = datetime.now(UTC).isoformat()
    return {"events": [{"id": f"{prefix}{i}", "type": "post", "topic": "safety", "household": f"x{i}",
                        "neighbourhood_id": hood, "at": now} for i in range(n)]}  # fmt: skip


async def test_dashboard_moves_when_events_arrive(
    live_server: LiveServer, console_home: Path, memory_keyring: MemoryKeyring
) -> None:
    app = await signed_in(live_server.url, "admin@mons.demo")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        header = screen.query_one(StatusHeader)
        assert await wait_for(pilot, lambda: header.connection == "live")
        before = screen.overview.metrics.get("posts", 0) if screen.overview else 0
        async with httpx.AsyncClient(base_url=live_server.url) as http:
            token = (
                await http.post(
                    "/v1/auth/token", json={"email": "admin@mons.demo", "password": DEMO_PASSWORD}
                )
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            hood = (await http.get("/v1/neighbourhoods", headers=headers)).json()["items"][0]["id"]
            response = await http.post(
                "/v1/events", headers=headers, json=posts_batch(hood, "dash-", 7)
            )
            assert response.json()["accepted"] == 7
        assert await wait_for(
            pilot,
            lambda: (
                screen.overview is not None
                and screen.overview.metrics.get("posts", 0) == before + 7
            ),
        )
        assert screen.query_one("#tile-posts").has_class("changed")
        shown = str(screen.query_one("#value-posts", Static).render())
        assert shown.replace(",", "") == str(before + 7)
        # A reload that read the figures after a change, then that change's delta arriving
        # late: counted once. A newer delta still counts.
        await screen.load().wait()
        assert screen.overview is not None and screen.overview.as_of_event
        as_of, posts = screen.overview.as_of_event, screen.overview.metrics["posts"]
        late = {"neighbourhood_id": hood, "metrics": {"posts": 7}}
        screen.on_live_event(LiveEvent(id=str(as_of), type="stats.delta", data=late))
        assert screen.overview.metrics["posts"] == posts
        screen.on_live_event(LiveEvent(id=str(as_of + 1), type="stats.delta", data=late))
        assert screen.overview.metrics["posts"] == posts + 7
        # The statistics screen shows the same activity, aggregated by the server.
        await pilot.press("g")
        await settle(pilot)
        assert isinstance(app.screen, StatisticsScreen)
        # Topics by their name in the person's language, never by their code.
        await pilot.pause(0.2)
        box = app.screen.query_one("#topics", Static)
        topics = "\n".join(box.render_line(y).text for y in range(box.size.height))
        assert "Safety" in topics and "safety" not in topics


@pytest.mark.slow
async def test_indicator_shows_a_lost_server_and_recovers(
    own_server: LiveServer, console_home: Path, memory_keyring: MemoryKeyring
) -> None:
    app = await signed_in(own_server.url, "officer@mechelen.demo")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        header = app.screen.query_one(StatusHeader)
        assert await wait_for(pilot, lambda: header.connection == "live")
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        assert await wait_for(pilot, lambda: screen.overview is not None)
        before = screen.overview.metrics.get("posts", 0) if screen.overview else 0
        own_server.stop()
        assert await wait_for(pilot, lambda: header.connection in ("reconnecting", "offline"))
        own_server.start()  # the same port, the same database
        # Events written before the console is back are not lost: it resumes by Last-Event-ID.
        async with httpx.AsyncClient(base_url=own_server.url) as http:
            token = (
                await http.post(
                    "/v1/auth/token",
                    json={"email": "admin@mechelen.demo", "password": DEMO_PASSWORD},
                )
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            hood = (await http.get("/v1/neighbourhoods", headers=headers)).json()["items"][0]["id"]
            for round_ in range(3):
                sent = await http.post(
                    "/v1/events", headers=headers, json=posts_batch(hood, f"gap{round_}-", 2)
                )
                assert sent.json()["accepted"] == 2
        assert await wait_for(pilot, lambda: header.connection == "live", seconds=15)
        assert await wait_for(
            pilot,
            lambda: (
                screen.overview is not None
                and screen.overview.metrics.get("posts", 0) == before + 6
            ),
        )


async def test_dashboard_fits_the_roles_and_counts_every_new_report(
    own_server: LiveServer, console_home: Path, memory_keyring: MemoryKeyring
) -> None:
    # (Its own server: the shared one's sign-in limit has seen other tests' wrong passwords.)
    # A communicator alone may not read the inbox: the figures show, the inbox box does not.
    app = await signed_in(own_server.url, "werf@mechelen.demo")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        assert await wait_for(pilot, lambda: screen.overview is not None)
        assert not screen.query_one("#dashboard-error").display
        assert not screen.query_one("#inbox-box").display
    # A moderator sees the count of every new submission, not of a first page.
    app = await signed_in(own_server.url, "moderator@mechelen.demo")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        assert await wait_for(pilot, lambda: screen.overview is not None)
        async with app.context.client() as client:
            expected = (await client.submission_counts()).by_status["new"]
        shown = str(screen.query_one("#inbox-count", Static).render())
        assert screen.query_one("#inbox-box").display
        assert screen.new_submissions == expected and str(expected) in shown


@pytest.mark.slow
async def test_the_next_start_draws_the_last_figures_at_once(
    own_server: LiveServer, console_home: Path, memory_keyring: MemoryKeyring
) -> None:
    app = await signed_in(own_server.url, "officer@mechelen.demo")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        assert await wait_for(pilot, lambda: screen.overview is not None)
        assert "figures of" not in str(screen.query_one("#dashboard-title", Static).render())
        share = str(screen.query_one("#value-registered", Static).render())
    kept = console_home / "data" / "last-seen" / "default.json"
    assert kept.stat().st_mode & 0o777 == 0o600  # it names the person signed in
    text = kept.read_text()
    assert "officer@mechelen.demo" in text
    # Never a token: the keyring holds the sign-in (a JSON blob with both tokens).
    blob = next(iter(memory_keyring.entries.values()))
    tokens = [v for k, v in json.loads(blob).items() if k.endswith("token")]
    assert len(tokens) == 2 and not any(token in text for token in tokens)

    # The next morning the server is down: the console still opens on the dashboard, with
    # the last figures marked with their time, and says the server cannot be reached.
    own_server.stop()
    app = BuurtApp(resolve(url=own_server.url), stream_options=FAST)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        assert app.me is not None and app.me.email == "officer@mechelen.demo"
        assert str(screen.query_one("#value-registered", Static).render()) == share
        title = str(screen.query_one("#dashboard-title", Static).render())
        assert "figures of" in title and "updating" not in title
        assert screen.query_one("#dashboard-error").display
        header = screen.query_one(StatusHeader)
        assert await wait_for(pilot, lambda: header.connection in ("reconnecting", "offline"))

    # Back up, and the sign-in was revoked meanwhile: the sign-in screen, not old figures.
    own_server.start()
    async with app.context.client() as client:
        await client.sign_out()
    app = BuurtApp(resolve(url=own_server.url), stream_options=FAST)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert app.me is None


async def test_signing_out_forgets_what_was_seen(
    live_server: LiveServer, console_home: Path, memory_keyring: MemoryKeyring
) -> None:
    app = await signed_in(live_server.url, "officer@mechelen.demo")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        assert await wait_for(pilot, lambda: screen.overview is not None)
        kept = console_home / "data" / "last-seen" / "default.json"
        assert kept.exists()
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert not kept.exists()
