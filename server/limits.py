"""Refuse what no route can take before it reaches one: oversized bodies (413 problem, before
they are read whole) and a NUL character in the path or the query string (422 naming the
parameter: PostgreSQL cannot store or compare it)."""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.problems import problem_response


class NoNul:
    """ASGI middleware: a NUL in the path or in a query parameter is a 422 problem."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            where = self._nul_in(scope)
            if where is not None:
                response = problem_response(
                    "validation",
                    f"{where}: must not contain the NUL character",
                    instance=scope.get("path"),
                    errors=[{"loc": where.split("."), "msg": "NUL", "type": "value_error"}],
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    @staticmethod
    def _nul_in(scope: Scope) -> str | None:
        if "\x00" in scope.get("path", ""):
            return "path"
        query = scope.get("query_string", b"").decode("latin-1")
        if "%00" not in query and "\x00" not in query:
            return None
        for name, value in parse_qsl(query, keep_blank_values=True):
            if "\x00" in name or "\x00" in value:
                return f"query.{unquote(name).replace(chr(0), '')}"
        return "query"


class BodyLimit:
    """ASGI middleware: a declared or streamed body above `limit` bytes is a 413 problem."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: dict[bytes, bytes] = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            response = problem_response(
                "payload-too-large",
                f"The request body is larger than {self.limit:,} bytes.",
                instance=scope.get("path"),
            )
            await response(scope, receive, send)
            return
        seen = 0
        refused = False
        started = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # we answered already; whatever the app says now goes nowhere
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        async def counting() -> Message:
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit and not refused:
                    if not started:
                        response = problem_response(
                            "payload-too-large",
                            f"The request body is larger than {self.limit:,} bytes.",
                            instance=scope.get("path"),
                        )
                        await response(scope, receive, send)
                    refused = True
                    return {"type": "http.disconnect"}
            return message

        await self.app(scope, counting, guarded_send)
