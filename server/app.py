"""The app factory: `create_app(settings)` builds the platform API."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI

from server import __version__, logs
from server.db import make_engine, make_sessionmaker
from server.limits import BodyLimit, BoundedInput, NoNul
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
from server.stream import end_streams_on_shutdown, install_wakeup, listen, new_hub
from server.unknown_params import refuse_unknown_query


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the API for the given settings (from the environment when omitted)."""
    settings = settings or Settings()
    logs.configure(log_sql=settings.log_sql)
    engine = make_engine(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
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
        await engine.dispose()

    app = FastAPI(
        title="buurt platform API",
        version=__version__,
        lifespan=lifespan,
        description="Staff side of a neighbourhood social network. Errors are RFC 9457 "
        "problem+json documents with a stable `type`.",
        # First of every route's dependencies: a /v1 query parameter the route does not
        # declare is a 400 naming it (server/unknown_params.py).
        dependencies=[Depends(refuse_unknown_query)],
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    # One warning when the database stops answering, one line when it is back (server/logs.py).
    app.state.outage = logs.Outage()
    app.state.stream_hub = hub = new_hub()
    hub.outage = app.state.outage
    app.state.figures = ReadCache[dict[str, Any]](settings.figures_cache_seconds)
    install_wakeup()
    end_streams_on_shutdown()
    install_problem_handlers(app)
    app.add_middleware(BoundedInput)  # inside BodyLimit: it reads bounded bodies only
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(NoNul)
    # Outermost: the client behind a trusted proxy, the request id, the access line.
    app.add_middleware(
        RequestContext,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        proxy_headers=settings.proxy_headers,
    )
    open311.install(app)
    routers = (
        health,
        auth,
        neighbourhoods,
        messages,
        submissions,
        templates,
        participation,
        events,
        stats,
        stream,
    )
    for module in (*routers, open311, audit):
        app.include_router(module.router)
    app.openapi = lambda: document(app)  # type: ignore[method-assign]
    return app
