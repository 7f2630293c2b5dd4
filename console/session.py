"""From flags, environment and config to a ready API client, for the CLI and the TUI alike.

Order of precedence: `BUURT_TOKEN` (an API token, for scripts) and `BUURT_URL`, then the
`--profile`/`--url` flags, then the default profile of config.toml.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from console.credentials import Credential, CredentialStore, UnreadableCredential
from console.last_seen import LastSeen
from console.settings import ConsoleConfig, Profile, data_dir, load_config

if TYPE_CHECKING:
    from console.api.auth import TokenState
    from console.api.client import ApiClient
    from console.api.models import Tokens

DEFAULT_PROFILE = "default"


@dataclass
class Context:
    """Everything a command needs to reach the server as the right person."""

    config: ConsoleConfig
    profile_name: str
    url: str
    store: CredentialStore
    api_token: str | None = None
    # One-time warnings (e.g. "no keyring") for the caller to show.
    warnings: list[str] = field(default_factory=list)
    on_warning: Callable[[str], None] | None = None
    # `--json` output keeps the server's stored text (written ASCII-escaped); everything
    # else gets it made inert for the terminal (console.api.inert).
    stored_text: bool = False

    @property
    def profile(self) -> Profile | None:
        return self.config.profiles.get(self.profile_name)

    def credential(self) -> Credential | None:
        """The stored sign-in of this profile, if it is for this server."""
        if self.api_token:
            return None
        cred = self.store.load(self.profile_name)
        return cred if cred and cred.url.rstrip("/") == self.url.rstrip("/") else None

    def credential_location(self) -> str:
        """Where this profile's credential is kept, for `whoami`."""
        if self.api_token:
            return "BUURT_TOKEN"
        return self.store.where(self.profile_name)

    def client(self, *, fresh: bool = False, **kwargs: object) -> ApiClient:
        """An API client with the stored credential (none when `fresh`, for signing in);
        rotated tokens are saved back."""
        # Imported here: the client brings httpx, which the TUI's first frame does without.
        from console.api.client import ApiClient

        if self.api_token:
            return ApiClient(
                self.url,
                api_token=self.api_token,
                inert=not self.stored_text,
                **kwargs,  # type: ignore[arg-type]
            )
        cred = None if fresh else self.credential()
        return ApiClient(
            self.url,
            access_token=cred.access_token if cred else None,
            refresh_token=cred.refresh_token if cred else None,
            access_expires_at=cred.access_expires_at if cred else None,
            on_tokens=self.keep,
            stored=self.stored_tokens,
            inert=not self.stored_text,
            **kwargs,  # type: ignore[arg-type]
        )

    def stored_tokens(self) -> TokenState | None:
        """The tokens stored now (another process of this sign-in may have refreshed)."""
        try:
            cred = self.credential()
        except UnreadableCredential:
            return None
        return cred.tokens() if cred else None

    def keep(self, tokens: Tokens) -> None:
        """Store tokens after a sign-in or refresh."""
        saved = self.store.save(
            self.profile_name,
            Credential(
                url=self.url,
                refresh_token=tokens.refresh_token,
                access_token=tokens.access_token,
                access_expires_at=time.time() + tokens.expires_in,
            ),
        )
        if saved.warning:
            self.warnings.append(saved.warning)
            if self.on_warning:
                self.on_warning(saved.warning)

    def remember_profile(self, email: str) -> None:
        """Record the server and email of a successful sign-in in config.toml."""
        current = self.profile
        self.config.upsert_profile(
            Profile(
                name=self.profile_name,
                url=self.url,
                email=email,
                language=current.language if current else None,
            )
        )
        self.config.save()

    def forget(self) -> None:
        """Drop the stored credential of this profile, and what it last saw."""
        self.store.delete(self.profile_name)
        self.last_seen().clear()

    def last_seen(self) -> LastSeen:
        """What this profile last saw of its server (for a quick start)."""
        return LastSeen(self.store.data_dir, self.profile_name, self.url)


def resolve(
    profile: str | None = None, url: str | None = None, config: ConsoleConfig | None = None
) -> Context:
    """Build the context for a command."""
    cfg = config or load_config()
    chosen = cfg.profile(profile)
    name = profile or (chosen.name if chosen else DEFAULT_PROFILE)
    env_url = os.environ.get("BUURT_URL")
    resolved_url = env_url or url or (chosen.url if chosen else None) or cfg.default_url
    return Context(
        config=cfg,
        profile_name=name,
        url=resolved_url.rstrip("/"),
        store=CredentialStore(data_dir()),
        api_token=os.environ.get("BUURT_TOKEN") or None,
    )
