"""Server settings, read from the environment (`BUURT_*`)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from platformdirs import user_data_dir
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_database_url() -> str:
    """A SQLite file in the user's data dir: the embedded default."""
    data_dir = Path(user_data_dir("buurt", appauthor=False))
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite+aiosqlite:///{data_dir / 'buurt.db'}"


class Settings(BaseSettings):
    """Everything the server can be told; `BUURT_DATABASE_URL` and friends."""

    model_config = SettingsConfigDict(env_prefix="BUURT_", extra="ignore")

    database_url: str = Field(default_factory=default_database_url)
    access_token_ttl_seconds: int = 15 * 60
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    # A refresh token presented again this soon after its use is two processes of one
    # sign-in refreshing at once (a CLI command beside the TUI), not a theft: each gets a
    # pair of its own. Later, a reuse still revokes the whole sign-in.
    refresh_reuse_grace_seconds: int = 30
    # Failed logins: per account and per client address, in a sliding window.
    login_window_seconds: int = 15 * 60
    login_max_failures_per_account: int = 5
    login_max_failures_per_address: int = 30
    # Request bodies above this are refused (an event batch of 5,000 fits well within).
    max_body_bytes: int = 4 * 1024 * 1024
    page_size_default: int = 50
    page_size_max: int = 200
    log_sql: bool = False
    # Every log line (app, uvicorn, scheduler) as text with a timestamp, or one JSON object
    # a line for a log collector (server/logs.py).
    log_format: Literal["text", "json"] = "text"
    # Behind a reverse proxy: the peers whose X-Forwarded-For / X-Forwarded-Proto and
    # X-Request-ID are believed (uvicorn's syntax: addresses, networks, or "*"). The client
    # address of every other peer is the peer itself (server/requestlog.py).
    proxy_headers: bool = True
    forwarded_allow_ips: str = "127.0.0.1,::1"
    # /readyz answers 503 when the SQLite file's filesystem has less free space than this:
    # writes would soon fail with "database or disk is full".
    ready_min_free_bytes: int = Field(default=64 * 1024 * 1024, ge=0)
    # The scheduler publishes due messages; every process may run it (a row lock decides).
    scheduler_enabled: bool = True
    scheduler_interval_seconds: float = 5.0
    # Open streams look at the event table at least this often; on PostgreSQL, LISTEN/NOTIFY
    # wakes them at once and this is only the safety net.
    stream_poll_seconds: float = 1.0
    # An open stream checks its token again this often, and ends when the token has
    # expired or been revoked (sign-out, revocation, a disabled account): the longest any
    # stream goes on after its access ended.
    stream_recheck_seconds: float = 30.0
    # How long a resolved caller is reused without asking the database (server/callers.py):
    # the bound within which another process's revocation takes effect here (5 s at most).
    caller_cache_seconds: float = Field(default=2.0, ge=0, le=5)
    # How long the dashboard's figures are answered again without reading them
    # (server/readcache.py); a write in this process, or one LISTEN hears, ends it sooner.
    figures_cache_seconds: float = Field(default=1.0, ge=0, le=60)
    # A comment line on an idle stream, so proxies and clients know it is alive.
    stream_heartbeat_seconds: float = 15.0

    @classmethod
    def variable(cls, name: str) -> str:
        """The environment variable of setting `name` (`BUURT_DATABASE_URL`)."""
        return f"{cls.model_config.get('env_prefix', '')}{name}".upper()

    def as_environment(self) -> dict[str, str]:
        """The variables that give another process (a uvicorn worker) the settings given to
        this one, read from the environment or passed in."""
        given = self.model_dump(mode="json", include=self.model_fields_set)
        return {self.variable(name): str(value) for name, value in given.items()}

    @property
    def is_sqlite(self) -> bool:
        """True when the database is an embedded SQLite file."""
        return self.database_url.startswith("sqlite")
