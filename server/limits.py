"""Refuse oversized request bodies cleanly (413 problem) before they are read whole."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.problems import problem_response


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
