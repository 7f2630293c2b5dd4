"""`buurt stats` through the real CLI, and the simulator through the API, on a real server."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from console.cli import main
from server import simulator
from tests.conftest import DEMO_PASSWORD, MemoryKeyring, seed_demo_messages
from tests.live import LiveServer

if TYPE_CHECKING:  # a plugin of conftest, so that pytest rewrites its asserts
    from tests.console_helpers import CommandLine


async def admin_token(
    url: str, email: str, scopes: tuple[str, ...] = ("events:write", "stats:read")
) -> str:
    async with httpx.AsyncClient(base_url=url) as http:
        access = (
            await http.post("/v1/auth/token", json={"email": email, "password": DEMO_PASSWORD})
        ).json()["access_token"]
        created = await http.post(
            "/v1/tokens", headers={"Authorization": f"Bearer {access}"},
            json={"name": "sim", "scopes": list(scopes)},
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


@pytest.mark.slow
async def test_views_belong_to_the_messages_residents_saw(own_server: LiveServer) -> None:
    """The demo starts with published messages; the simulator's views and survey answers
    name them, only after they came out and only where they were sent."""
    await asyncio.to_thread(seed_demo_messages, own_server.settings.database_url)
    token = await admin_token(
        own_server.url, "admin@mechelen.demo", ("events:write", "stats:read", "messages:read")
    )
    async with httpx.AsyncClient(
        base_url=own_server.url, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as http:
        before = (await http.get("/v1/messages", params={"state": "published"})).json()["items"]
        assert len(before) >= 5  # the demo's history of city messages
        # The demo's own answers count in the figures already (as live ones do).
        start = (await http.get("/v1/stats/overview", params={"period": "30d"})).json()
        await simulator.backfill(http, days=7, scale=1.0, seed=5)
        after = {
            m["id"]: m
            for m in (await http.get("/v1/messages", params={"state": "published"})).json()["items"]
        }
        # 30 days: the whole of the 7 days sent, whatever the hour (7d starts at a midnight).
        overview = (await http.get("/v1/stats/overview", params={"period": "30d"})).json()
    views = {i: after[i]["views"] - m["views"] for i, m in ((m["id"], m) for m in before)}
    # Every view is of a message: per message they add up to the city-wide figure.
    assert sum(views.values()) == overview["metrics"]["message_views"] > 0
    recent = next(m for m in before if m["title"]["nl"] == "Nieuwe afvalkalender 2027")
    old = next(m for m in before if m["title"]["nl"].startswith("Meer groen"))
    assert views[recent["id"]] > views[old["id"]]  # most views in the first days
    # A message sent to two neighbourhoods is seen by far fewer than one sent to all.
    party = next(m for m in before if m["title"]["nl"].startswith("Buurtfeest"))
    assert views[party["id"]] < views[old["id"]] or views[party["id"]] < views[recent["id"]] / 5
    survey = next(m for m in before if m["kind"] == "survey")
    answers = after[survey["id"]]["survey_responses"] - survey["survey_responses"]
    sent = overview["metrics"]["survey_responses"] - start["metrics"]["survey_responses"]
    assert answers == sent > 0


def test_stats_cli(
    live_server: LiveServer, memory_keyring: MemoryKeyring, cli: CommandLine
) -> None:
    token = asyncio.run(admin_token(live_server.url, "admin@mons.demo"))
    cli.monkeypatch.setenv("BUURT_TOKEN", token)
    cli.monkeypatch.setenv("BUURT_URL", live_server.url)
    assert main(["stats", "--period", "90d", "--json"]) == 0
    overview = json.loads(cli.output().out)
    assert overview["neighbourhoods"] == 16 and overview["period_days"] == 90
    assert main(["stats", "--neighbourhood", "Jemappes", "--csv"]) == 0
    rows = dict(csv.reader(io.StringIO(cli.output().out)))
    assert rows["neighbourhoods"] == "1" and "posts" in rows
    assert main(["--lang", "fr", "stats"]) == 0
    assert "Ménages inscrits" in cli.output().out
    assert main(["stats", "--neighbourhood", "Atlantis"]) == 2
    assert "Atlantis" in cli.output().err


@pytest.mark.slow
async def test_statistics_keys_and_the_neighbourhood_selector(
    live_server: LiveServer,
    console_home: Path,
    memory_keyring: MemoryKeyring,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from textual.widgets import DataTable, Select

    from console.app import BuurtApp
    from console.screens.statistics import COLUMNS, METRICS, StatisticsScreen
    from console.session import resolve
    from tests.conftest import settle, wait_until

    monkeypatch.chdir(tmp_path)
    context = resolve(url=live_server.url)
    async with context.client() as client:
        await client.sign_in("analyst@mechelen.demo", DEMO_PASSWORD)
        hood = (await client.all_neighbourhoods())[0]
        whole = await client.stats_timeseries("posts", granularity="day", period="30d")
        only = await client.stats_timeseries(
            "posts", granularity="day", period="30d", neighbourhoods=[hood.id]
        )
    app = BuurtApp(resolve(url=live_server.url), language="en")
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        await pilot.press("g")
        await wait_until(pilot, lambda: isinstance(app.screen, StatisticsScreen))
        screen = app.screen
        assert isinstance(screen, StatisticsScreen)
        await wait_until(pilot, lambda: screen.series is not None)
        assert screen.series == whole
        # The selector narrows what is shown to one neighbourhood.
        screen.query_one("#stats-hood", Select).value = hood.id
        await wait_until(pilot, lambda: screen.series == only and screen.overview is not None
                         and screen.overview.neighbourhoods == 1)  # fmt: skip
        # n: the next metric; p: the next period; s: the next sort; x: the table as CSV.
        await pilot.press("n")
        await wait_until(pilot, lambda: screen.series is not None
                         and screen.series.metric == METRICS[1][0])  # fmt: skip
        period = screen.period
        await pilot.press("p")
        await wait_until(pilot, lambda: screen.period != period)
        table = screen.query_one(DataTable)
        before = screen.sort_index
        await pilot.press("s")
        assert screen.sort_index == (before + 1) % len(COLUMNS)
        key = COLUMNS[screen.sort_index][0]
        best = max(getattr(r, key) for r in screen.rows if getattr(r, key) is not None)
        leaders = {r.name for r in screen.rows if getattr(r, key) == best}
        assert str(table.get_row_at(0)[0]) in leaders  # the largest comes first
        # The sorted column is marked, and only that one.
        labels = [str(c.label) for c in table.ordered_columns]
        assert [i for i, label in enumerate(labels) if label.endswith("▼")] == [screen.sort_index]
        shown = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        await pilot.press("x")
        await settle(pilot)
        # The screen moves with the city: an event is followed by fresh figures.
        loaded = screen.overview
        token = await admin_token(live_server.url, "admin@mechelen.demo")
        async with httpx.AsyncClient(base_url=live_server.url) as http:
            response = await http.post(
                "/v1/events", headers={"Authorization": f"Bearer {token}"},
                json={"events": [{"id": str(uuid.uuid4()), "type": "post", "topic": "safety",
                                  "neighbourhood_id": hood.id, "household": "h-live-1",
                                  "at": datetime.now(UTC).isoformat()}]},
            )  # fmt: skip
            assert response.status_code == 200, response.text
        await wait_until(pilot, lambda: screen.overview is not loaded, seconds=15)
    saved = list(tmp_path.glob("buurt-stats-*.csv"))
    assert len(saved) == 1
    lines = saved[0].read_text().splitlines()
    assert lines[0] == ",".join(k for k, _label in COLUMNS) and len(lines) == 1 + 20
    # The file is in the order the screen showed.
    assert [line.split(",")[0] for line in lines[1:]] == shown


@pytest.mark.slow
def test_stats_watch_follows_the_stream_until_ctrl_c(
    own_server: LiveServer, console_home: Path
) -> None:
    """`buurt stats watch` in a real process, into a pipe: posts sent while it runs are added
    to what it shows, a line per change (none missed between its first read and the stream),
    and Ctrl-C ends it with 0."""
    import os
    import re
    import signal
    import subprocess
    import sys
    import threading
    import time
    from datetime import UTC, datetime

    token = asyncio.run(admin_token(own_server.url, "admin@mons.demo"))
    headers = {"Authorization": f"Bearer {token}"}
    hood = httpx.get(f"{own_server.url}/v1/neighbourhoods", headers=headers).json()["items"][0]
    env = {**os.environ, "BUURT_TOKEN": token, "BUURT_URL": own_server.url, "COLUMNS": "100"}
    watcher = subprocess.Popen(
        [str(Path(sys.executable).parent / "buurt"), "--lang", "en", "stats", "watch",
         "--period", "7d"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert watcher.stdout is not None
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(watcher.stdout or []), daemon=True)
    reader.start()

    def posts_shown() -> list[int]:
        found = [re.search(r"· Posts ([\d\u202f,.]+)(?: ·|$)", line) for line in list(lines)]
        assert all(found), lines
        return [int(re.sub(r"\D", "", m.group(1))) for m in found if m]

    try:
        now = datetime.now(UTC).isoformat()
        # Posts keep coming while it starts and runs (some before its stream is open).
        for batch in range(12):
            events = [{"id": f"watch-{batch}-{i}", "type": "post", "topic": "help",
                       "household": f"w{i}", "neighbourhood_id": hood["id"], "at": now}
                      for i in range(3)]  # fmt: skip
            sent = httpx.post(
                f"{own_server.url}/v1/events", headers=headers, json={"events": events}
            )
            assert sent.status_code == 200
            time.sleep(0.25)  # a script's pace, not a wait for the watcher
        final = httpx.get(
            f"{own_server.url}/v1/stats/overview", headers=headers, params={"period": "7d"}
        ).json()["metrics"]["posts"]
        # Wait for the watcher to show the final figure (its lines arrive as they change).
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and (not lines or posts_shown()[-1] != final):
            time.sleep(0.1)
    finally:
        watcher.send_signal(signal.SIGINT)
        watcher.wait(timeout=15)
        reader.join(timeout=5)
        err = watcher.stderr.read() if watcher.stderr else ""
    assert watcher.returncode == 0, err
    assert "Traceback" not in err
    posts = posts_shown()
    assert len(posts) > 1, lines
    assert posts == sorted(posts) and posts[-1] == final


@pytest.mark.slow
async def test_exported_files_are_named_in_the_municipality_time(
    live_server: LiveServer,
    console_home: Path,
    memory_keyring: MemoryKeyring,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A machine on another clock (UTC on a server, Auckland here): the statistics' and the
    inbox's CSV are named with Mechelen's time, like every time the console shows."""
    import time
    from zoneinfo import ZoneInfo

    from console.screens.statistics import StatisticsScreen
    from tests.conftest import settle, signed_in_console, wait_until

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TZ", "Pacific/Auckland")
    time.tzset()
    try:
        app = await signed_in_console(live_server.url, "analyst@mechelen.demo", live=False)
        async with app.run_test(size=(160, 45)) as pilot:
            await settle(pilot)
            await pilot.press("g")
            await wait_until(pilot, lambda: isinstance(app.screen, StatisticsScreen))
            await settle(pilot)
            await pilot.press("x")
            await wait_until(pilot, lambda: bool(list(tmp_path.glob("buurt-stats-*.csv"))))
            await pilot.press("t")
            await settle(pilot)
            await pilot.press("x")
            await wait_until(pilot, lambda: bool(list(tmp_path.glob("buurt-inbox-*.csv"))))
            await settle(pilot)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    brussels = datetime.now(ZoneInfo("Europe/Brussels"))
    hours = {(brussels - timedelta(minutes=m)).strftime("%Y%m%d-%H") for m in (0, 2)}
    for pattern in ("buurt-stats-*.csv", "buurt-inbox-*.csv"):
        name = next(tmp_path.glob(pattern)).name
        stamp = name.rsplit("-", 2)[-2] + "-" + name.rsplit("-", 1)[-1][:2]
        assert stamp in hours, (name, hours)


def axis_labels(lines: list[str], side: str) -> list[float]:
    """The numbers a plot writes along its axis: left of the y axis (`side="y"`), or on the
    line under the x axis (`side="x"`)."""
    import re

    if side == "y":
        found = [re.match(r"\s*([\d.,]+)\s*[┤│├┼]", line) for line in lines]
        return [float(m.group(1).replace(",", "")) for m in found if m]
    axis = next(i for i, line in enumerate(lines) if "└" in line)
    return [float(n.replace(",", "")) for n in re.findall(r"[\d][\d.,]*", lines[axis + 1])]


def evenly_spaced(values: list[float]) -> bool:
    """Ticks a person reads at a glance: at least three, one step apart, the step 1, 2 or 5
    times a power of ten."""
    import itertools
    import math

    if len(values) < 3:
        return False
    ordered = sorted(values)
    steps = {round(b - a, 6) for a, b in itertools.pairwise(ordered)}
    if len(steps) != 1:
        return False
    step = steps.pop()
    mantissa = step / 10 ** math.floor(math.log10(step))
    return round(mantissa, 6) in (1.0, 2.0, 5.0)


async def test_chart_axes_have_even_ticks(
    own_server: LiveServer, console_home: Path, memory_keyring: MemoryKeyring
) -> None:
    """The metric over time and the shares compared: ticks at round, even steps (0, 5, 10,
    15), not where the plotting library divides the range (0, 8.3, 16.7)."""
    from console.screens.statistics import StatisticsScreen
    from tests.conftest import settle, signed_in_console, wait_until

    token = await admin_token(own_server.url, "admin@mechelen.demo")
    now = datetime.now(UTC)
    async with httpx.AsyncClient(base_url=own_server.url) as http:
        headers = {"Authorization": f"Bearer {token}"}
        hood = (await http.get("/v1/neighbourhoods", headers=headers)).json()["items"][0]["id"]
        events = [
            {"id": f"tick-{day}-{i}", "type": "post", "topic": "safety", "household": f"t{i}",
             "neighbourhood_id": hood, "at": (now - timedelta(days=day)).isoformat()}
            for day in range(20) for i in range((day * 7) % 23 + 1)
        ]  # fmt: skip
        sent = await http.post("/v1/events", headers=headers, json={"events": events})
        assert sent.status_code == 200, sent.text
    app = await signed_in_console(own_server.url, "analyst@mechelen.demo", live=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("g")
        await wait_until(pilot, lambda: isinstance(app.screen, StatisticsScreen))
        await settle(pilot)
        await pilot.pause(0.3)
        series = app.screen.query_one("#series-plot")
        lines = [series.render_line(y).text for y in range(series.size.height)]
        assert evenly_spaced(axis_labels(lines, "y")), "\n".join(lines)
        bars = app.screen.query_one("#bars-plot")
        lines = [bars.render_line(y).text for y in range(bars.size.height)]
        assert evenly_spaced(axis_labels(lines, "x")), "\n".join(lines)


def test_nice_ticks() -> None:
    from console.figures import nice_ticks

    assert nice_ticks(0) == [0.0, 1.0]
    assert nice_ticks(3) == [0.0, 1.0, 2.0, 3.0]
    assert nice_ticks(23) == [0.0, 5.0, 10.0, 15.0, 20.0, 25.0]
    assert nice_ticks(53.4, most=5) == [0.0, 20.0, 40.0, 60.0]
    assert nice_ticks(1234) == [0.0, 500.0, 1000.0, 1500.0]
    for top in (2, 7, 9.5, 11, 99, 101, 4321, 99999):
        ticks = nice_ticks(top)
        assert ticks[0] == 0 and ticks[-1] >= top and len(ticks) <= 6 and evenly_spaced(ticks)
