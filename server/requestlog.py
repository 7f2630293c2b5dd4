"""The outermost layer of the app: who the client is, the request's id, and its access line.

- Behind a reverse proxy the peer is the proxy. When the peer is one of
  `BUURT_FORWARDED_ALLOW_IPS` (`serve --forwarded-allow-ips`, uvicorn's syntax), its
  `X-Forwarded-For` and `X-Forwarded-Proto` say who the client is (uvicorn's own
  ProxyHeadersMiddleware reads them; `serve` turns uvicorn's off and this one on, so the
  peer is still known here), and its `X-Request-ID` names the request when it is a sane
  token (1-64 of `A-Z a-z 0-9 . _ -`). Otherwise a fresh id is made: a client cannot choose
  what the log says about it.
- Every answer carries `X-Request-ID`; every line logged while the request is served carries
  it too (server/logs.py), and the access line at its end: method, path (the query string
  redacted by `logs.redact`), status, duration in ms, client. Health checks that answer 200
  are logged at DEBUG: a load balancer probing every few seconds would fill the log.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any
from urllib.parse import quote

from starlette.types import Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from server.logs import REQUEST_ID, redact

access_log = logging.getLogger("buurt.access")
SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
HEADER = b"x-request-id"
QUIET = frozenset({"/healthz", "/readyz"})


def target_of(scope: Scope) -> str:
    """The request target as the access log shows it (the query string redacted)."""
    path = quote(scope.get("root_path", "") + scope.get("path", ""))
    query = scope.get("query_string", b"")
    return redact(f"{path}?{query.decode('ascii', 'replace')}" if query else path)


class RequestContext:
    """ASGI middleware: proxy headers from trusted peers, the request id, the access line."""

    def __init__(self, app: Any, *, forwarded_allow_ips: str, proxy_headers: bool) -> None:
        proxied = ProxyHeadersMiddleware(app, trusted_hosts=forwarded_allow_ips)
        self.trusted = proxied.trusted_hosts
        self.app: Any = proxied if proxy_headers else app
        self.proxy_headers = proxy_headers

    def request_id(self, scope: Scope) -> str:
        peer = scope.get("client")
        if self.proxy_headers and peer and peer[0] in self.trusted:
            for name, value in scope.get("headers", ()):
                if name == HEADER:
                    given = value.decode("latin-1")
                    if SANE_ID.fullmatch(given):
                        return given
                    break
        return uuid.uuid4().hex

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = self.request_id(scope)
        raw = request_id.encode("latin-1")
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", ()))
                if not any(name.lower() == HEADER for name, _ in headers):
                    headers.append((HEADER, raw))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except BaseException:
            # The app's error handler (inside: server.app.Platform) answered 500 and raised
            # again for the server to log; the context is left set for that line.
            self._log(scope, status or 500, started, request_id)
            raise
        self._log(scope, status, started, request_id)
        REQUEST_ID.reset(token)

    def _log(self, scope: Scope, status: int, started: float, request_id: str) -> None:
        level = logging.DEBUG if status == 200 and scope.get("path") in QUIET else logging.INFO
        if not access_log.isEnabledFor(level):
            return
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        client = scope.get("client")
        host = client[0] if client else "-"
        target = target_of(scope)
        method = scope.get("method", "-")
        access_log.log(
            level,
            '%s "%s %s HTTP/%s" %d %.1f ms',
            host, method, target, scope.get("http_version", "1.1"), status, duration_ms,
            extra={
                "method": method, "path": target, "status": status,
                "duration_ms": duration_ms, "client": host, "request_id": request_id,
            },
        )  # fmt: skip
