"""The console's API client against a real server on 127.0.0.1."""

from __future__ import annotations

import sqlite3
import time

import pytest

from console.api.client import ApiClient
from console.api.errors import AuthError, NotFound, NotSignedIn, RateLimited, Unreachable
from console.api.models import Me, Neighbourhood, Tokens
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
    live_server: LiveServer,
) -> None:
    rotated: list[Tokens] = []
    async with ApiClient(live_server.url, on_tokens=rotated.append) as client:
        first = await client.sign_in("officer@denhaag.demo", DEMO_PASSWORD)
        expire_access_tokens(live_server)
        me = await client.me()  # 401 expired -> refresh -> retried
        assert me.email == "officer@denhaag.demo"
        assert len(rotated) == 2 and rotated[1].refresh_token != first.refresh_token
        assert client.refresh_token == rotated[1].refresh_token


async def test_concurrent_calls_refresh_only_once(live_server: LiveServer) -> None:
    import asyncio

    rotated: list[Tokens] = []
    async with ApiClient(live_server.url, on_tokens=rotated.append) as client:
        await client.sign_in("admin@denhaag.demo", DEMO_PASSWORD)
        expire_access_tokens(live_server)
        results = await asyncio.gather(*(client.me() for _ in range(5)))
        assert {m.email for m in results} == {"admin@denhaag.demo"}
        # One sign-in and exactly one refresh: a second refresh would reuse the token.
        assert len(rotated) == 2


async def test_revoked_sign_in_is_an_auth_error(live_server: LiveServer) -> None:
    async with ApiClient(live_server.url) as client:
        tokens = await client.sign_in("admin@mons.demo", DEMO_PASSWORD)
    async with ApiClient(live_server.url, refresh_token=tokens.refresh_token) as other:
        await other.sign_out()
    async with ApiClient(live_server.url, refresh_token=tokens.refresh_token) as stale:
        with pytest.raises(NotSignedIn):
            await stale.me()  # no access token at all: nothing to send
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
        assert wrong.value.exit_code == 3
        await client.sign_in("cpas@mons.demo", DEMO_PASSWORD)
        with pytest.raises(NotFound) as missing:
            await client.neighbourhood(1)  # Mechelen's: another municipality
        assert "niet zichtbaar voor uw organisatie" in missing.value.message


async def test_rate_limit_carries_retry_after(live_server: LiveServer) -> None:
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
    assert caught.value.exit_code == 6
    assert time.monotonic() - started < 5


async def test_user_agent_names_the_version(live_server: LiveServer) -> None:
    from console import __version__
    from console.api.client import USER_AGENT

    assert f"buurt-console/{__version__}" in USER_AGENT
