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
from server.schemas.vocabulary import PROBLEM_TYPES, type_uri
from server.services.errors import DomainError

log = logging.getLogger("buurt.server")

PROBLEM_MEDIA_TYPE = "application/problem+json"

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


__all__ = ["PROBLEM_TYPES", "DomainError", "Problem", "install_problem_handlers", "type_uri"]


class Problem(DomainError):
    """What the edge raises (a dependency, a route): a domain error with the HTTP headers
    of its answer (`WWW-Authenticate`, `Retry-After`)."""

    def __init__(
        self,
        slug: str,
        detail: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(slug, detail, **extensions)
        self.headers = headers or {}


def problem_body(error: DomainError) -> dict[str, Any]:
    """The problem's members as an answer carries them (without `status` and `instance`):
    also one item's result in a bulk answer."""
    return {"type": type_uri(error.slug), "title": error.title, "detail": error.detail,
            **error.extensions}  # fmt: skip


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


async def _on_domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    headers = dict(getattr(exc, "headers", {}))
    if "retry_after" in exc.extensions:  # a rate limit says when to come back
        headers.setdefault("Retry-After", str(exc.extensions["retry_after"]))
    return problem_response(
        exc.slug,
        exc.detail,
        instance=request.url.path,
        headers=headers,
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
    app.add_exception_handler(DomainError, _on_domain_error)
    app.add_exception_handler(StaleDataError, _on_stale)
    app.add_exception_handler(StarletteHTTPException, on_http_exception)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(DBAPIError, _on_database_error)
    app.add_exception_handler(OverflowError, _on_database_error)
    app.add_exception_handler(OSError, _on_database_unavailable)
    app.add_exception_handler(Exception, _on_unexpected)
