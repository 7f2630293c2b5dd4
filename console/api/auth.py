"""Bearer authentication for every request the console makes (calls, downloads, the stream),
as an `httpx.Auth` flow: httpx runs it around each request, so no caller handles tokens.

An API token (scripts) is sent as it is. A person's sign-in is a short-lived access token and
a refresh token: the access token is refreshed first when it is missing or about to expire,
and once more when the server refuses it (401). Refreshes of one client wait for each other
(a refresh token is used once); before refreshing, the flow looks whether another process of
the same sign-in (a CLI command beside the TUI) already stored newer tokens, and adopts them.
The server's grace window covers two processes that refresh at the very same moment.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass

import httpx

from console.api.errors import NotSignedIn, error_of
from console.api.models import Tokens

# An access token this close to its end is refreshed before use, not after a 401.
EXPIRY_MARGIN = 10.0


@dataclass
class TokenState:
    """The tokens of a sign-in as the console holds them."""

    access_token: str | None = None
    refresh_token: str | None = None
    access_expires_at: float | None = None  # epoch seconds; None: unknown, use until refused

    def access_usable(self) -> bool:
        """An access token that is not known to be expired."""
        if not self.access_token:
            return False
        expires = self.access_expires_at
        return expires is None or expires - EXPIRY_MARGIN > time.time()


class BearerAuth(httpx.Auth):
    """The console's authentication flow; see the module's docstring."""

    def __init__(
        self,
        refresh_url: str,
        *,
        api_token: str | None = None,
        state: TokenState | None = None,
        on_tokens: Callable[[Tokens], None] | None = None,
        stored: Callable[[], TokenState | None] | None = None,
    ) -> None:
        self.refresh_url = refresh_url
        self.api_token = api_token
        self.state = state or TokenState()
        self.on_tokens = on_tokens
        self.stored = stored
        self._lock = asyncio.Lock()

    @property
    def signed_in(self) -> bool:
        """Whether there is anything to authenticate with."""
        return bool(self.api_token or self.state.access_token or self.state.refresh_token)

    def accept(self, tokens: Tokens) -> None:
        """New tokens from a sign-in or a refresh: use them, and let the owner store them."""
        self.state = TokenState(
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            access_expires_at=time.time() + tokens.expires_in,
        )
        if self.on_tokens:
            self.on_tokens(tokens)

    def forget(self) -> None:
        """Drop the tokens (after signing out)."""
        self.state = TokenState()

    def _adopt_stored(self) -> bool:
        # Another process of this sign-in may have refreshed (and so used up our refresh
        # token): its stored tokens are ours too.
        if self.stored is None:
            return False
        found = self.stored()
        if found is None or found.refresh_token == self.state.refresh_token:
            return False
        self.state = found
        return found.access_usable()

    def _refresh_request(self) -> httpx.Request | None:
        """The refresh to send, or None when stored tokens of another process will do."""
        if self._adopt_stored():
            return None
        if not self.state.refresh_token:
            raise NotSignedIn()
        return httpx.Request(
            "POST", self.refresh_url, json={"refresh_token": self.state.refresh_token}
        )

    async def _refreshed(self, response: httpx.Response) -> None:
        await response.aread()
        if response.is_error:
            if response.status_code in (400, 401, 403):
                # The sign-in has ended (expired, revoked, reused): nothing left to refresh.
                # A server that is merely away (5xx) leaves the sign-in as it is.
                self.state = TokenState()
            raise error_of(response)
        self.accept(Tokens.model_validate(response.json()))

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        if self.api_token:
            request.headers["Authorization"] = f"Bearer {self.api_token}"
            yield request
            return
        if not self.state.access_usable():
            async with self._lock:
                if not self.state.access_usable():
                    refresh = self._refresh_request()
                    if refresh is not None:
                        await self._refreshed((yield refresh))
        if not self.state.access_token:
            raise NotSignedIn()
        used = self.state.access_token
        request.headers["Authorization"] = f"Bearer {used}"
        response = yield request
        if response.status_code != 401 or not self.state.refresh_token:
            return
        # Refused although we thought it valid (revoked, or the clocks disagree): refresh
        # once and send the request again.
        async with self._lock:
            if self.state.access_token == used:  # nobody refreshed meanwhile
                refresh = self._refresh_request()
                if refresh is not None:
                    await self._refreshed((yield refresh))
        request.headers["Authorization"] = f"Bearer {self.state.access_token}"
        yield request
