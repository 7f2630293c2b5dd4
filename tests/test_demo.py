"""`buurt demo`'s history: filled before the console opens, in the range of the published
figures (FIGURES.md), so the first frame of the dashboard shows real figures."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from textual.widgets import Static

from console import demo
from console.screens.dashboard import DashboardScreen
from tests.conftest import MemoryKeyring, settle, signed_in_console, wait_until
from tests.live import LiveServer


@pytest.mark.slow
async def test_the_demo_opens_on_a_month_of_figures(
    own_server: LiveServer,
    console_home: Path,
    memory_keyring: MemoryKeyring,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # As `buurt demo` does, before it opens the console (in a worker thread here: the test
    # itself runs in an event loop): migrate and seed with its messages, fill the history.
    await asyncio.to_thread(demo.prepare_database, own_server.settings.database_url)
    token, _empty = await asyncio.to_thread(demo.simulator_token, own_server.settings.database_url)
    await asyncio.to_thread(demo.fill_history, own_server.url, token)
    assert f"{demo.HISTORY_DAYS}/{demo.HISTORY_DAYS}" in capsys.readouterr().err
    async with httpx.AsyncClient(
        base_url=own_server.url, headers={"Authorization": f"Bearer {token}"}
    ) as http:
        o = (await http.get("/v1/stats/overview", params={"period": "30d"})).json()
    m, registered = o["metrics"], o["registered_households"]
    # Mechelen: 1,682 posts a month; 54,115 reactions and conversations a quarter; city
    # messages viewed 296,505 times a quarter; 45.9% of help requests solved.
    assert 1682 * 0.75 < m["posts"] < 1682 * 1.25
    assert 54115 / 3 * 0.75 < m["comments"] + m["reactions"] < 54115 / 3 * 1.25
    assert 296505 / 3 * 0.7 < m["message_views"] < 296505 / 3 * 1.3
    assert 0.3 < o["help_solved_share"] < 0.6
    # The Hague's pilot: 72% active weekly, 70% contributors; a whole city somewhat less.
    # Rolling windows (the last 7 and 30 days): the same on a Monday and on the 1st.
    assert 0.45 < o["active_7d"] / registered < 0.8
    assert 0.35 < o["contributors_30d_share"] < 0.75
    assert 21571 <= registered < 21571 * 1.05  # 2% growth a month

    # The console's first frame of the dashboard has those figures, not zeros.
    app = await signed_in_console(own_server.url, "officer@mechelen.demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await wait_until(pilot, lambda: isinstance(app.screen, DashboardScreen))
        screen = app.screen
        await wait_until(pilot, lambda: screen.overview is not None)
        active = str(screen.query_one("#value-active_7d", Static).render())
        assert not active.startswith("0 "), active
        assert screen.query_one("#recent-messages").row_count == 5  # the newest five
