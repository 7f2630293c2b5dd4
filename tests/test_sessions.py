"""Time passes for a signed-in officer: the access token expires (after 15 minutes in real
life; here it is made to expire in the database) and everything goes on without a new
sign-in, through the stored refresh token: a CLI command, a new TUI start, a TUI left open
(dashboard, inbox, the live stream) and a CSV export. An open stream ends within a stated
bound once its access has ended (expired, signed out, revoked)."""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from httpx_sse import aconnect_sse

from console.api.stream import LiveEvent
from console.app import BuurtApp
from console.cli import main
from console.screens.dashboard import DashboardScreen
from console.screens.inbox import InboxScreen
from console.session import resolve
from tests.conftest import DEMO_PASSWORD, MemoryKeyring, auth_headers, settle, sign_in, wait_until
from tests.live import LiveServer

if TYPE_CHECKING:  # a plugin of conftest, so that pytest rewrites its asserts
    from tests.console_helpers import CommandLine


RECHECK = 0.5  # seconds between the stream's checks of its token, here
FAST = {"min_delay": 0.1, "honour_retry": False}


@pytest.fixture
def server(sqlite_template: Path, tmp_path: Path) -> Iterator[LiveServer]:
    shutil.copy(sqlite_template, tmp_path / "buurt.db")
    live = LiveServer(tmp_path / "buurt.db", stream_recheck_seconds=RECHECK)
    live.start()
    yield live
    live.stop()


def expire_access_tokens(server: LiveServer) -> None:
    """What a quarter of an hour does: every access token of the server has expired."""
    with sqlite3.connect(server.database) as db:
        db.execute("UPDATE access_tokens SET expires_at = '2000-01-01 00:00:00.000000'")


def time_passes(server: LiveServer, keyring: MemoryKeyring) -> None:
    """Expired on the server, and known to be expired by the stored credential's own clock."""
    expire_access_tokens(server)
    entry = json.loads(keyring.entries[("buurt", "default")])
    entry["access_expires_at"] = 1.0
    keyring.entries[("buurt", "default")] = json.dumps(entry)


def stored_refresh_token(keyring: MemoryKeyring) -> str:
    return str(json.loads(keyring.entries[("buurt", "default")])["refresh_token"])


async def publish(url: str, title: str) -> None:
    async with httpx.AsyncClient(base_url=url) as http:
        officer = await auth_headers(http, "officer@mechelen.demo")
        answer = await http.post(
            "/v1/messages",
            headers={**officer, "Idempotency-Key": uuid.uuid4().hex},
            json={"kind": "announcement", "title": {"nl": title}, "body": {"nl": "x"},
                  "targets": "all", "action": "publish"},
        )  # fmt: skip
        assert answer.status_code == 201, answer.text


def test_a_cli_command_after_expiry_needs_no_new_sign_in(
    server: LiveServer, memory_keyring: MemoryKeyring, cli: CommandLine
) -> None:
    assert cli.login(server.url, "officer@mechelen.demo") == 0
    before = stored_refresh_token(memory_keyring)
    time_passes(server, memory_keyring)
    cli.output()
    assert main(["whoami", "--json"]) == 0, cli.output().err
    assert json.loads(cli.output().out)["email"] == "officer@mechelen.demo"
    # The refresh rotated the token, and the new one was stored for the next command.
    assert stored_refresh_token(memory_keyring) != before
    time_passes(server, memory_keyring)
    assert main(["submissions", "list", "--json"]) == 0
    assert json.loads(cli.output().out)


@pytest.mark.slow
async def test_the_tui_after_expiry_and_left_open_past_it(
    server: LiveServer, console_home: Path, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    context = resolve(url=server.url)
    async with context.client() as client:
        await client.sign_in("officer@mechelen.demo", DEMO_PASSWORD)
    time_passes(server, memory_keyring)
    # A new start a quarter of an hour later: straight to the dashboard, no sign-in screen.
    app = BuurtApp(resolve(url=server.url), language="en", stream_options=FAST)
    heard: list[LiveEvent] = []
    async with app.run_test(size=(150, 45)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        app.subscribe(heard.append)
        await wait_until(pilot, lambda: app.connection == "live", 20)
        # Left open past the next expiry: the server ends the stream, the console refreshes
        # and comes back; what is published meanwhile still arrives.
        expire_access_tokens(server)
        title = f"Na het verlopen {uuid.uuid4().hex[:6]}"
        await asyncio.sleep(RECHECK * 3)
        await publish(server.url, title)
        await wait_until(
            pilot,
            lambda: any(
                e.type == "message.published" and e.data["title"]["nl"] == title for e in heard
            ),
            20,
        )
        # The inbox, opened after the expiry, loads (its request refreshes first).
        expire_access_tokens(server)
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, InboxScreen)
        assert app.screen.items, "the inbox loaded no submissions"
        # And a CSV export after expiry.
        expire_access_tokens(server)
        rows = await app.client.export_submissions(tmp_path / "export.csv")
        assert rows > 0 and (tmp_path / "export.csv").read_text().startswith("id,")


async def read_until_end(url: str, token: str, ready: asyncio.Event) -> str | None:
    """The reason of the stream's `auth.ended` event, or None if it never came."""
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        headers = {"Authorization": f"Bearer {token}"}
        async with aconnect_sse(http, "GET", "/v1/stream", headers=headers) as source:
            ready.set()
            async for event in source.aiter_sse():
                if event.event == "auth.ended":
                    return str(json.loads(event.data)["reason"])
    return None


@pytest.mark.slow
@pytest.mark.parametrize("how", ["signed out", "expired", "revoked API token"])
async def test_an_open_stream_ends_when_its_access_ends(server: LiveServer, how: str) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        tokens = await sign_in(http, "admin@mechelen.demo")
        token = tokens["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        if how == "revoked API token":
            made = await http.post(
                "/v1/tokens", headers=auth, json={"name": "watch", "scopes": ["stats:read"]}
            )
            api = made.json()
            token = api["token"]
        ready = asyncio.Event()
        reader = asyncio.create_task(read_until_end(server.url, token, ready))
        await ready.wait()
        if how == "signed out":
            await http.post("/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]})
        elif how == "expired":
            expire_access_tokens(server)
        else:
            assert (await http.delete(f"/v1/tokens/{api['id']}", headers=auth)).status_code == 204
        # The bound: the next check (RECHECK) plus a poll of the stream (1 s).
        reason = await asyncio.wait_for(reader, RECHECK + 1 + 3)
    assert reason == ("expired" if how == "expired" else "revoked")


async def test_the_console_stream_stops_on_what_cannot_succeed(server: LiveServer) -> None:
    """A token that may not read the stream is told so at once, not retried forever."""
    from console.api.client import ApiClient
    from console.api.errors import AuthError, PermissionDenied
    from console.api.stream import LiveStream

    async with httpx.AsyncClient(base_url=server.url) as http:
        made = await http.post(
            "/v1/tokens", headers=await auth_headers(http, "admin@mechelen.demo"),
            json={"name": "cron", "scopes": ["messages:write"]},
        )  # fmt: skip
    states: list[str] = []
    async with ApiClient(server.url, api_token=made.json()["token"]) as client:
        stream = LiveStream(client, on_state=states.append, min_delay=0.05, honour_retry=False)
        with pytest.raises(PermissionDenied) as refused:
            await asyncio.wait_for(anext(stream.events()), 5)
    assert "stats:read" in refused.value.message
    assert states == ["offline"]
    # A revoked one likewise, as an AuthError (the TUI then shows the sign-in screen).
    async with ApiClient(server.url, api_token="bpt_revoked") as client:
        stream = LiveStream(client, min_delay=0.05, honour_retry=False)
        with pytest.raises(AuthError):
            await asyncio.wait_for(anext(stream.events()), 5)
