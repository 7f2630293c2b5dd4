"""The app factory: `create_app(settings)` builds the platform API."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from starlette.types import ASGIApp

from server import __version__, logs
from server.db import make_engine, make_sessionmaker
from server.limits import BoundedInput, DeclaredBodyLimit, NoNul
from server.openapi import document
from server.problems import install_problem_handlers
from server.readcache import ReadCache
from server.requestlog import RequestContext
from server.routes import (
    audit,
    auth,
    events,
    health,
    messages,
    neighbourhoods,
    open311,
    participation,
    stats,
    stream,
    submissions,
    templates,
)
from server.scheduler import run_scheduler
from server.settings import Settings
from server.stream import StreamHub, end_streams_on_shutdown, install_wakeup, listen, new_hub
from server.unknown_params import refuse_unknown_query


class Platform(FastAPI):
    """FastAPI with our edge around its whole middleware stack: the request's context (who
    the client is, its id, its access line) and the declared body size. FastAPI's own body
    limit (`max_body_size`) stands outside every middleware added with `add_middleware`, and
    answers a Content-Length over it in plain text, in place of whatever the app answers:
    the declared size is judged before it, as a problem (server/limits.py)."""

    def build_middleware_stack(self) -> ASGIApp:
        """FastAPI's stack inside `DeclaredBodyLimit` inside `RequestContext`."""
        settings: Settings = self.state.settings
        return RequestContext(
            DeclaredBodyLimit(super().build_middleware_stack(), settings.max_body_bytes),
            forwarded_allow_ips=settings.forwarded_allow_ips,
            proxy_headers=settings.proxy_headers,
        )


def lifespan_of(settings: Settings) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """What runs beside the app while it serves: the scheduler, and on PostgreSQL the LISTEN
    that wakes the streams; ended in order at shutdown."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        hub: StreamHub = app.state.stream_hub
        tasks = []
        stop = asyncio.Event()
        scheduler = None
        if settings.scheduler_enabled:
            scheduler = asyncio.create_task(run_scheduler(app, stop), name="buurt-scheduler")
        if not settings.is_sqlite:
            hub.listening = False
            tasks.append(
                asyncio.create_task(listen(settings.database_url, hub), name="buurt-listen")
            )
        # What exists once started (modules, the app, its routes) lives as long as the
        # process: out of the collector's way, whose full passes over it were the slowest
        # requests under load (p99 of /v1/me 64 -> 15 ms). Given back at shutdown.
        gc.collect()
        gc.freeze()
        yield
        gc.unfreeze()
        # The scheduler ends after its round, not in the middle of a transaction (a cancelled
        # rollback was logged as a traceback at shutdown); cancelled only if it hangs.
        stop.set()
        if scheduler is not None:
            try:
                await asyncio.wait_for(asyncio.shield(scheduler), timeout=10)
            except TimeoutError:
                tasks.append(scheduler)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await app.state.engine.dispose()

    return lifespan


def install_state(app: FastAPI, settings: Settings) -> None:
    """What the routes share: settings, the database, the outage log, the stream's hub, the
    figures' cache."""
    app.state.settings = settings
    app.state.engine = engine = make_engine(settings)
    app.state.sessionmaker = make_sessionmaker(engine)
    # One warning when the database stops answering, one line when it is back (server/logs.py).
    app.state.outage = logs.Outage()
    app.state.stream_hub = hub = new_hub()
    hub.outage = app.state.outage
    app.state.figures = ReadCache[dict[str, Any]](settings.figures_cache_seconds)
    install_wakeup()
    end_streams_on_shutdown()


ROUTERS = (health, auth, neighbourhoods, messages, submissions, templates, participation,
           events, stats, stream, open311, audit)  # fmt: skip


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the API for the given settings (from the environment when omitted)."""
    settings = settings or Settings()
    logs.configure(log_sql=settings.log_sql)
    app = Platform(
        title="buurt platform API",
        version=__version__,
        lifespan=lifespan_of(settings),
        description="Staff side of a neighbourhood social network. Errors are RFC 9457 "
        "problem+json documents with a stable `type`.",
        # First of every route's dependencies: a /v1 query parameter the route does not
        # declare is a 400 naming it (server/unknown_params.py).
        dependencies=[Depends(refuse_unknown_query)],
        # Bodies are counted as they are read; one over the limit is a 413 problem (a route
        # reading it: the problem handlers; BoundedInput reading it: BoundedInput).
        max_body_size=settings.max_body_bytes,
    )
    install_state(app, settings)
    install_problem_handlers(app)
    app.add_middleware(BoundedInput)
    app.add_middleware(NoNul)
    open311.install(app)
    for module in ROUTERS:
        app.include_router(module.router)
    app.openapi = lambda: document(app)  # type: ignore[method-assign]
    return app
