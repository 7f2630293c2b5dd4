"""The console's API client against a real server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import sqlite3
import time

import pytest

from console.api.auth import TokenState
from console.api.client import ApiClient
from console.api.errors import AuthError, NotFound, NotSignedIn, RateLimited, Unreachable
from console.api.models import Me, Neighbourhood, Tokens
from console.commands.common import exit_code
from console.i18n import set_language
from tests.conftest import DEMO_PASSWORD
from tests.live import LiveServer
from tests.pgserver import free_port


def expire_access_tokens(server: LiveServer) -> None:
    """Make every access token of the live server's database expired."""
    with sqlite3.connect(server.database) as db:
        db.execute("UPDATE access_tokens SET expires_at = '2000-01-01 00:00:00.000000'")


async def test_typed_objects(live_server: LiveServer) -> None:
    async with ApiClient(live_server.url) as client:
        await client.sign_in("officer@mons.demo", DEMO_PASSWORD)
        me = await client.me()
        assert isinstance(me, Me) and me.organisation.municipality.name == "Mons"
        page = await client.neighbourhoods(limit=5)
        assert len(page.items) == 5 and page.next_cursor
        assert all(isinstance(n, Neighbourhood) for n in page.items)
        every = await client.all_neighbourhoods()
        assert len(every) == 16 and every[0].name == "Ciply"
        one = await client.neighbourhood(every[0].id)
        assert one == every[0]


async def test_expired_access_token_is_refreshed_once_transparently(
    own_server: LiveServer,
) -> None:
    live_server = own_server
    rotated: list[Tokens] = []
    async with ApiClient(live_server.url, on_tokens=rotated.append) as client:
        first = await client.sign_in("officer@denhaag.demo", DEMO_PASSWORD)
        expire_access_tokens(live_server)
        me = await client.me()  # 401 expired -> refresh -> retried
        assert me.email == "officer@denhaag.demo"
        assert len(rotated) == 2 and rotated[1].refresh_token != first.refresh_token
        assert client.auth.state.refresh_token == rotated[1].refresh_token


async def test_concurrent_calls_refresh_only_once(own_server: LiveServer) -> None:
    live_server = own_server
    import asyncio

    rotated: list[Tokens] = []
    async with ApiClient(live_server.url, on_tokens=rotated.append) as client:
        await client.sign_in("admin@denhaag.demo", DEMO_PASSWORD)
        expire_access_tokens(live_server)
        results = await asyncio.gather(*(client.me() for _ in range(5)))
        assert {m.email for m in results} == {"admin@denhaag.demo"}
        # One sign-in and exactly one refresh: a second refresh would reuse the token.
        assert len(rotated) == 2


async def test_a_stored_refresh_token_alone_signs_in(live_server: LiveServer) -> None:
    # What a CLI command or a new TUI start has after the access token expired: only the
    # refresh token. It is used, not refused as "not signed in".
    async with ApiClient(live_server.url) as client:
        tokens = await client.sign_in("officer@mons.demo", DEMO_PASSWORD)
    rotated: list[Tokens] = []
    async with ApiClient(
        live_server.url, refresh_token=tokens.refresh_token, on_tokens=rotated.append
    ) as later:
        assert (await later.me()).email == "officer@mons.demo"
    assert len(rotated) == 1 and rotated[0].refresh_token != tokens.refresh_token
    # Known to be expired: refreshed before the call, not after a 401.
    async with ApiClient(
        live_server.url,
        access_token=rotated[0].access_token,
        access_expires_at=time.time() - 1,
        refresh_token=rotated[0].refresh_token,
        on_tokens=rotated.append,
    ) as expired:
        assert (await expired.me()).email == "officer@mons.demo"
    assert len(rotated) == 2
    async with ApiClient(live_server.url) as nothing:
        with pytest.raises(NotSignedIn):
            await nothing.me()  # no credential at all: nothing to send


async def test_another_process_that_refreshed_first_is_followed(live_server: LiveServer) -> None:
    """Two processes of one stored sign-in: the one that refreshes second finds the first's
    tokens in the store and adopts them; refreshing at the same moment, both stay in."""
    store: dict[str, TokenState] = {}

    def keep(tokens: Tokens) -> None:
        store["now"] = TokenState(tokens.access_token, tokens.refresh_token, time.time() + 900)

    async with ApiClient(live_server.url, on_tokens=keep) as client:
        first = await client.sign_in("analyst@mechelen.demo", DEMO_PASSWORD)

    def process() -> ApiClient:
        return ApiClient(
            live_server.url, refresh_token=first.refresh_token, on_tokens=keep,
            stored=lambda: store.get("now"),
        )  # fmt: skip

    # At the same moment: the server's grace window gives each a pair.
    async with process() as a, process() as b:
        store["now"] = TokenState(None, first.refresh_token, None)
        both = await asyncio.gather(a.me(), b.me())
        assert {m.email for m in both} == {"analyst@mechelen.demo"}
    # One after the other: the second adopts what the first stored, and refreshes nothing.
    async with process() as a:
        await a.me()
    adopted = store["now"]
    async with process() as b:
        assert (await b.me()).email == "analyst@mechelen.demo"
        assert b.auth.state.refresh_token == adopted.refresh_token


async def test_revoked_sign_in_is_an_auth_error(live_server: LiveServer) -> None:
    async with ApiClient(live_server.url) as client:
        tokens = await client.sign_in("admin@mons.demo", DEMO_PASSWORD)
    async with ApiClient(live_server.url, refresh_token=tokens.refresh_token) as other:
        await other.sign_out()
    async with ApiClient(live_server.url, refresh_token=tokens.refresh_token) as stale:
        with pytest.raises(AuthError):
            await stale.me()  # the refresh is refused: the sign-in has ended
    async with ApiClient(
        live_server.url, access_token="bat_expired", refresh_token=tokens.refresh_token
    ) as stale:
        with pytest.raises(AuthError) as caught:
            await stale.me()
    assert caught.value.status == 401 and caught.value.slug == "invalid-token"
    assert "sign in again" in caught.value.message


async def test_problems_become_sentences_in_the_chosen_language(live_server: LiveServer) -> None:
    set_language("nl")
    async with ApiClient(live_server.url) as client:
        with pytest.raises(AuthError) as wrong:
            await client.sign_in("officer@mechelen.demo", "not-the-password")
        assert wrong.value.slug == "invalid-credentials"
        assert wrong.value.message == "Het e-mailadres of het wachtwoord klopt niet."
        assert exit_code(wrong.value) == 3
        await client.sign_in("cpas@mons.demo", DEMO_PASSWORD)
        with pytest.raises(NotFound) as missing:
            await client.neighbourhood(1)  # Mechelen's: another municipality
        assert "niet zichtbaar voor uw organisatie" in missing.value.message


async def test_rate_limit_carries_retry_after(own_server: LiveServer) -> None:
    live_server = own_server  # it locks an account out for 15 minutes
    set_language("fr")
    async with ApiClient(live_server.url) as client:
        for _ in range(live_server.settings.login_max_failures_per_account):
            with pytest.raises(AuthError):
                await client.sign_in("werf@mechelen.demo", "wrong")
        with pytest.raises(RateLimited) as limited:
            await client.sign_in("werf@mechelen.demo", "wrong")
    assert limited.value.retry_after and limited.value.retry_after > 0
    assert limited.value.message.startswith("Trop de tentatives. Réessayez dans")


async def test_unreachable_server_is_a_sentence_after_retries() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    async with ApiClient(url, access_token="bat_x", retries=2, backoff=0.05) as client:
        with pytest.raises(Unreachable) as caught:
            await client.me()
        assert await client.healthy() is False
    assert url in caught.value.message and "Check the address" in caught.value.message
    assert exit_code(caught.value) == 6
    assert time.monotonic() - started < 5


async def test_the_server_sees_the_console_and_its_version(live_server: LiveServer) -> None:
    from console import __version__

    async with ApiClient(live_server.url) as client:
        await client.sign_in("officer@mons.demo", DEMO_PASSWORD)
    with sqlite3.connect(live_server.database) as db:
        (agent,) = db.execute("SELECT user_agent FROM auth_sessions ORDER BY id DESC").fetchone()
    assert agent.startswith(f"buurt-console/{__version__} (Python ")
