"""Refuse what no route can take before it reaches one: oversized bodies (413 problem: a
declared size at once, a streamed one as FastAPI's `max_body_size` counts it), a NUL
character in the path or the query string (422 naming the parameter: PostgreSQL cannot
store or compare it), JSON nested too deep for a parser and text that is not UTF-8 (400
problems, `BoundedInput`)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, unquote, unquote_to_bytes

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.problems import problem_response
from server.schemas import clean_text


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


def too_large(scope: Scope, limit: int) -> Response:
    """The 413 problem of a body above `limit` bytes."""
    return problem_response(
        "payload-too-large",
        f"The request body is larger than {limit:,} bytes.",
        instance=scope.get("path"),
    )


class DeclaredBodyLimit:
    """ASGI middleware: a body whose Content-Length is above `limit` is a 413 problem before
    anything runs. The bytes themselves are counted by FastAPI's `max_body_size` as they are
    read; but FastAPI (Starlette's RequestBodyLimitMiddleware) answers a declared length over
    it in plain text, replacing whatever the app answers, so this stands outside FastAPI's
    middleware stack (`server.app.Platform`)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            declared = Headers(scope=scope).get("content-length", "")
            if declared.isdigit() and int(declared) > self.limit:
                await too_large(scope, self.limit)(scope, receive, send)
                return
        await self.app(scope, receive, send)


# -- what a parser would choke on -----------------------------------------------------------

# JSON deeper than this is refused before a parser recurses into it (Python's json module
# raises RecursionError near 1,000 levels; no body of ours needs more than a handful).
MAX_JSON_DEPTH = 32
_JSON_STRING = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+"', re.DOTALL)
_NOT_A_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")


def json_too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the brackets of `body`, outside its strings, nest deeper than `limit`. A
    pre-scan of the raw bytes, not a parse: what is not JSON is left to the parser."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False  # cannot nest deeper than it has brackets
    depth = 0
    for byte in _JSON_STRING.sub(b"", body).translate(None, _NOT_A_BRACKET):
        if byte in b"[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def _utf8(raw: bytes) -> str | None:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _field_name(raw: bytes) -> str:
    name = _utf8(raw)
    return "(a name that is not UTF-8)" if name is None else clean_text(name)[:64]


# Parameters whose route judges any value itself: a cursor that is not UTF-8 is not one the
# list gave out, a 400 `invalid-cursor` like any other (clients start again on that type).
JUDGED_BY_ROUTE = frozenset({b"cursor"})


def not_utf8_in_pairs(data: bytes) -> str | None:
    """The name of the first `name=value` pair (a query string, a form-encoded body) whose
    name or value, percent-decoded, is not UTF-8; None when all are."""
    if data.isascii() and b"%" not in data:
        return None
    for pair in data.split(b"&"):
        name, _, value = pair.partition(b"=")
        raw_name = unquote_to_bytes(name.replace(b"+", b" "))
        if raw_name in JUDGED_BY_ROUTE:
            continue
        if _utf8(raw_name) is None or _utf8(unquote_to_bytes(value.replace(b"+", b" "))) is None:
            return _field_name(raw_name)
    return None


def not_utf8_in_multipart(body: bytes, content_type: bytes) -> str | None:
    """The name of the first field (not a file) of a multipart body that is not UTF-8."""
    _, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if not boundary or options.get(b"charset", b"utf-8").lower() not in (b"utf-8", b"utf8"):
        return None  # not ours to judge: the framework answers a broken multipart body
    found: list[str] = []
    part: dict[str, Any] = {}

    def on_part_begin() -> None:
        part.update(headers=[], field=b"", value=b"", data=bytearray())

    def on_header_field(data: bytes, start: int, end: int) -> None:
        part["field"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        part["value"] += data[start:end]

    def on_header_end() -> None:
        part["headers"].append((part["field"].lower(), part["value"]))
        part.update(field=b"", value=b"")

    def on_part_data(data: bytes, start: int, end: int) -> None:
        part["data"] += data[start:end]

    def on_part_end() -> None:
        disposition = dict(part["headers"]).get(b"content-disposition", b"")
        _, params = parse_options_header(disposition)
        name = params.get(b"name", b"")
        if b"filename" in params or found:
            return
        if _utf8(name) is None or _utf8(bytes(part["data"])) is None:
            found.append(_field_name(name))

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    try:
        parser.write(body)
        parser.finalize()
    except MultipartParseError:
        return None  # not ours to judge: the framework answers a broken multipart body
    return found[0] if found else None


class BoundedInput:
    """ASGI middleware: what a parser would choke on, or take for something else, is a 400
    problem before any route reads it:

    - a JSON body (or one without a content type, which FastAPI reads as JSON) nested deeper
      than `MAX_JSON_DEPTH`: `too-deep`, from a scan of the raw bytes before any parse;
    - a query parameter, or a field of a form-encoded or multipart body, that is not UTF-8
      once percent-decoded (the framework would put U+FFFD or Latin-1 letters in its place
      unnoticed): `invalid-utf8`, naming the field.

    The body it reads whole is bounded by FastAPI's `max_body_size` (a 413 problem here)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        field = not_utf8_in_pairs(scope.get("query_string", b""))
        if field is not None:
            await self._refuse(scope, receive, send, "query", field)
            return
        headers: dict[bytes, bytes] = dict(scope.get("headers") or [])
        kind = self._kind(headers)
        if kind is None:
            await self.app(scope, receive, send)
            return
        try:
            body = await self._read(receive)
        except HTTPException as error:
            if error.status_code != 413:
                raise
            # Above FastAPI's max_body_size while being read here (a streamed body).
            await too_large(scope, scope[MAX_BODY_SIZE_SCOPE_KEY])(scope, receive, send)
            return
        if body is None:
            return  # the client left
        if kind == "json" and json_too_deep(body):
            response = problem_response(
                "too-deep",
                f"The JSON body nests deeper than {MAX_JSON_DEPTH} levels.",
                instance=scope.get("path"),
            )
            await response(scope, receive, send)
            return
        if kind == "form":
            field = not_utf8_in_pairs(body)
        elif kind == "multipart":
            field = not_utf8_in_multipart(body, headers.get(b"content-type", b""))
        if field is not None:
            await self._refuse(scope, receive, send, "body", field)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # what comes after the body: a disconnect
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    @staticmethod
    async def _read(receive: Receive) -> bytes | None:
        """The whole body; None when the client left first."""
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return None
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                return b"".join(chunks)

    @staticmethod
    def _kind(headers: dict[bytes, bytes]) -> str | None:
        """What the body is to be checked as: json, form, multipart, or nothing."""
        has_body = headers.get(b"content-length", b"0") not in (b"0", b"") or (
            b"transfer-encoding" in headers
        )
        if not has_body:
            return None
        media = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if media in (b"", b"application/json") or media.endswith(b"+json"):
            return "json"
        if media == b"application/x-www-form-urlencoded":
            return "form"
        if media == b"multipart/form-data":
            return "multipart"
        return None

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, where: str, field: str) -> None:
        response = problem_response(
            "invalid-utf8",
            f"{where}.{field}: is not valid UTF-8 text",
            instance=scope.get("path"),
            errors=[{"loc": [where, field], "msg": "not UTF-8", "type": "value_error"}],
        )
        await response(scope, receive, send)
