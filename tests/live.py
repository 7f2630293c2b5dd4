"""A real uvicorn server on a free 127.0.0.1 port, in a thread, for console tests."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import uvicorn

from server.app import create_app
from server.settings import Settings
from tests.pgserver import free_port


class LiveServer:
    """The platform API on a seeded SQLite file, served for real over TCP."""

    def __init__(self, database: Path, **settings: object) -> None:
        self.database = database
        self.settings = Settings(database_url=f"sqlite+aiosqlite:///{database}", **settings)  # type: ignore[arg-type]
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        config = uvicorn.Config(
            create_app(self.settings),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
            # Open streams never end by themselves: do not wait for them on shutdown.
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the live server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
