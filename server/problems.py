"""RFC 9457 problem details: every error the API gives is `application/problem+json`.

Each problem has a stable `type` (`/problems/<slug>`) that clients switch on; the `title`
is fixed per type, the `detail` says what happened this time. No stack trace or SQL is
ever put in a response.
"""

from __future__ import annotations

import errno
import logging
import re
import socket
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from server.logs import REQUEST_ID, is_unreachable

log = logging.getLogger("buurt.server")

PROBLEM_MEDIA_TYPE = "application/problem+json"

# slug -> (status, title). The slugs are part of the API: never rename one.
PROBLEM_TYPES: dict[str, tuple[int, str]] = {
    "bad-request": (400, "Bad request"),
    "invalid-cursor": (400, "The cursor is not valid for this list"),
    "too-deep": (400, "The JSON body is nested too deeply"),
    "invalid-utf8": (400, "The text is not valid UTF-8"),
    "unknown-parameter": (400, "Unknown query parameter"),
    "validation": (422, "The request is not valid"),
    "invalid-template": (422, "The reply template cannot be filled in"),
    "invalid-answer": (422, "The answer does not fit the survey's questions"),
    "over-budget": (422, "The chosen proposals cost more than the budget"),
    "not-targeted": (403, "The household's neighbourhood is not addressed by this message"),
    "participation-closed": (409, "The survey or budget is not open"),
    "already-taken-part": (409, "This household already answered or voted"),
    "unauthenticated": (401, "Authentication required"),
    "invalid-credentials": (401, "Wrong email or password"),
    "invalid-token": (401, "The token is invalid, expired or revoked"),
    "refresh-token-reused": (401, "This refresh token was already used"),
    "forbidden": (403, "Not allowed"),
    "missing-role": (403, "A role is missing"),
    "missing-scope": (403, "The token lacks a scope"),
    "not-found": (404, "Not found"),
    # Results of a neighbourhood too small to show apart (the disclosure rule).
    "suppressed": (403, "Too few to show apart"),
    "method-not-allowed": (405, "Method not allowed"),
    "conflict": (409, "Conflict"),
    "idempotency-key-reused": (422, "The Idempotency-Key was used for another request"),
    "idempotency-key-required": (428, "An Idempotency-Key header is required"),
    "neighbourhood-not-allowed": (403, "A neighbourhood is outside your organisation's reach"),
    "invalid-state": (409, "Not possible in the message's current state"),
    "invalid-transition": (422, "This status change is not allowed"),
    "precondition-failed": (412, "The object changed since you read it"),
    "precondition-required": (428, "An If-Match header is required"),
    "payload-too-large": (413, "The request body is too large"),
    "unsupported-media-type": (415, "Unsupported media type"),
    "rate-limited": (429, "Too many attempts"),
    "internal": (500, "Internal server error"),
    "service-unavailable": (503, "The service is temporarily unavailable"),
}

_STATUS_TO_SLUG = {
    400: "bad-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    412: "precondition-failed",
    413: "payload-too-large",
    415: "unsupported-media-type",
    428: "precondition-required",
    422: "validation",
    429: "rate-limited",
    503: "service-unavailable",
}


def type_uri(slug: str) -> str:
    """The stable `type` URI of a problem slug."""
    return f"/problems/{slug}"


class Problem(Exception):
    """Raise anywhere in the server to answer with a problem+json response."""

    def __init__(
        self,
        slug: str,
        detail: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        if slug not in PROBLEM_TYPES:
            raise ValueError(f"unknown problem type {slug!r}")
        self.slug = slug
        self.status, self.title = PROBLEM_TYPES[slug]
        self.detail = detail
        self.headers = headers or {}
        self.extensions = extensions
        super().__init__(detail or self.title)


def problem_response(
    slug: str,
    detail: str | None = None,
    *,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    status: int | None = None,
    **extensions: Any,
) -> JSONResponse:
    """Build a problem+json response."""
    default_status, title = PROBLEM_TYPES[slug]
    body: dict[str, Any] = {
        "type": type_uri(slug),
        "title": title,
        "status": status or default_status,
    }
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    body.update(extensions)
    return JSONResponse(
        body,
        status_code=status or default_status,
        headers=headers,
        media_type=PROBLEM_MEDIA_TYPE,
    )


def validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    errors = []
    for err in exc.errors():
        # Keep location and message; drop the echoed input (it may hold a password).
        errors.append(
            {
                "loc": [str(part) for part in err.get("loc", ())],
                "msg": str(err.get("msg", "")),
                "type": str(err.get("type", "")),
            }
        )
    return errors


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return problem_response(
        exc.slug,
        exc.detail,
        instance=request.url.path,
        headers=exc.headers,
        **exc.extensions,
    )


def allowed_methods(request: Request) -> str:
    """The methods of the resource at this path, for a 405's Allow header. Starlette lists
    those of the first route that matched the path only, not of its siblings (GET and
    PATCH of one path are two routes)."""
    path = request.url.path
    first = next(
        (
            r
            for r in request.app.routes
            if getattr(r, "path_regex", None) and r.path_regex.match(path)
        ),
        None,
    )
    if first is None:
        return ""
    methods: set[str] = set()
    for route in request.app.routes:
        if getattr(route, "path", None) == first.path:
            methods |= set(getattr(route, "methods", None) or ())
    methods.discard("HEAD")
    return ", ".join(sorted(methods))


def http_headers(request: Request, exc: StarletteHTTPException) -> dict[str, str]:
    """The headers of a framework error's answer, a 405's Allow filled in."""
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = allowed_methods(request)
    return headers


async def on_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    slug = _STATUS_TO_SLUG.get(exc.status_code, "bad-request")
    detail: str | None = exc.detail if isinstance(exc.detail, str) else None
    if detail == PROBLEM_TYPES[slug][1] or detail in ("Not Found", "Method Not Allowed"):
        detail = None
    return problem_response(
        slug,
        detail,
        instance=request.url.path,
        headers=http_headers(request, exc),
        status=exc.status_code if exc.status_code >= 400 else None,
    )


async def on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = validation_errors(exc)
    first = errors[0] if errors else None
    detail = None
    if first:
        field = ".".join(p for p in first["loc"] if p not in ("body", "query", "path", "header"))
        detail = f"{field}: {first['msg']}" if field else first["msg"]
    return problem_response("validation", detail, instance=request.url.path, errors=errors)


# What an operational failure of the storage was, by its errno or SQLite's message: each
# says something else to the person who runs the server (a full disk is not a network).
_STORAGE_FAILURES = (
    ({errno.ENOSPC, errno.EDQUOT}, ("disk is full",),
     "The server's disk is full; nothing was saved. Its administrator must free space."),
    ({errno.EACCES, errno.EPERM, errno.EROFS}, ("readonly database", "read-only"),
     "The server may not write its database; nothing was saved. Its administrator must "
     "check the file's permissions."),
    ({errno.EIO}, ("disk i/o error",),
     "The server could not read or write its disk; nothing was saved. Try again later."),
)  # fmt: skip


def _storage_failure(exc: Exception) -> str | None:
    cause = getattr(exc, "orig", None) or exc
    code = getattr(cause, "errno", None)
    text = str(cause).lower()
    for codes, phrases, sentence in _STORAGE_FAILURES:
        if code in codes or any(p in text for p in phrases):
            return sentence
    return None


async def _on_database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    storage = _storage_failure(exc)
    if (
        storage is None
        and isinstance(exc, OSError)
        and not isinstance(exc, ConnectionError | TimeoutError | socket.gaierror)
    ):
        # Not the database's connection: a fault of ours, with its traceback in the log.
        return await _on_unexpected(request, exc)
    outage = getattr(request.app.state, "outage", None)
    if storage is None and outage is not None and is_unreachable(exc):
        # An outage is one warning when it starts (server/logs.py), not a line per request:
        # the access log has each request's 503.
        outage.failed(exc)
        log.debug("database unreachable on %s %s: %s", request.method, request.url.path,
                  type(exc).__name__)  # fmt: skip
    else:
        log.error(
            "database unavailable on %s %s: %s (%s)",
            request.method, request.url.path, type(exc).__name__, storage or "no connection",
        )  # fmt: skip
    return problem_response(
        "service-unavailable",
        storage or "The database cannot be reached. Try again in a moment.",
        instance=request.url.path,
        headers={"Retry-After": "5"},
    )


def _out_of_range(exc: Exception) -> bool:
    # A number too large for the database column (SQLite raises OverflowError before
    # sending; PostgreSQL answers "out of range" as a DataError).
    if isinstance(exc, OverflowError):
        return True
    # asyncpg says "value out of int32 range", PostgreSQL "... out of range".
    return isinstance(exc, DataError) and re.search(r"out of \w* ?range", str(exc.orig)) is not None


# PostgreSQL ended the transaction to resolve a lock conflict: nothing of it was written,
# and the same request may simply be sent again.
TRANSIENT_SQLSTATES = frozenset({"40P01", "40001"})  # deadlock detected, serialization failure


def _transient(exc: Exception) -> bool:
    if not isinstance(exc, DBAPIError):
        return False
    cause = getattr(exc.orig, "__cause__", None)  # the driver's own exception
    states = {getattr(exc.orig, "sqlstate", None), getattr(cause, "sqlstate", None)}
    return bool(states & TRANSIENT_SQLSTATES)


async def _on_database_error(request: Request, exc: Exception) -> JSONResponse:
    if _transient(exc):
        log.warning(
            "lock conflict on %s %s; the client may retry", request.method, request.url.path
        )
        return problem_response(
            "service-unavailable",
            "The database was busy with a conflicting change; nothing was saved. Try again.",
            instance=request.url.path,
            headers={"Retry-After": "1"},
        )
    if _out_of_range(exc) or (isinstance(exc, DBAPIError) and _out_of_range(exc.orig)):  # type: ignore[arg-type]
        return problem_response(
            "validation", "A number in the request is out of range.", instance=request.url.path
        )
    if isinstance(exc, OperationalError | OSError) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    ):
        return await _on_database_unavailable(request, exc)
    log.exception("unhandled database error on %s %s", request.method, request.url.path)
    return problem_response("internal", instance=request.url.path)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    # Answered outside the request-id middleware (Starlette's outermost handler): the id
    # the log line carries goes into the answer here, for the person who reports it.
    request_id = REQUEST_ID.get()
    return problem_response(
        "internal",
        instance=request.url.path,
        headers={"X-Request-ID": request_id} if request_id else None,
    )


async def _on_stale(request: Request, exc: Exception) -> JSONResponse:
    # The conditional UPDATE (WHERE version = the one read) matched nothing: a colleague's
    # change committed first. Nothing of this request was written.
    return problem_response(
        "precondition-failed",
        "Someone else changed it at the same moment; nothing was saved. Reload and try again.",
        instance=request.url.path,
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error of the app a problem+json response.

    Errors we expect (a version conflict, a lock conflict, a number out of range) have
    handlers of their own: the catch-all `Exception` handler runs in Starlette's outermost
    middleware, which logs a traceback and re-raises after answering."""
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(StaleDataError, _on_stale)
    app.add_exception_handler(StarletteHTTPException, on_http_exception)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(DBAPIError, _on_database_error)
    app.add_exception_handler(OverflowError, _on_database_error)
    app.add_exception_handler(OSError, _on_database_unavailable)
    app.add_exception_handler(Exception, _on_unexpected)
