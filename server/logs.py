"""One logging setup for the app, uvicorn and the scheduler; no secrets or residents' data
in it, whatever level a deployment sets.

- Every line has its time (ISO 8601 with the offset), level and logger: as text by default,
  as one JSON object a line with `BUURT_LOG_FORMAT=json` (`logging_config`, given to uvicorn
  by `buurt-server serve`, so its workers log the same way). A line written during a request
  carries that request's id (`X-Request-ID`, server/requestlog.py).

- The access log shows each request's path, and of its query string only what says nothing
  about a person: the values of the parameters in `PLAIN` (ids, states, sorting, paging,
  dates) outside Open311. Every other value is `[redacted]`: an Open311 client's `api_key`,
  a resident's `email`, `phone`, `first_name`, `description` or `address_string`, the words
  of a search (`q`), a parameter nobody declared. On `/open311/` every value is redacted.
- SQLAlchemy and aiosqlite print bound values and result rows at INFO/DEBUG (password and
  token hashes, reporters' contact details); they stay at WARNING unless `BUURT_LOG_SQL`
  asks for statements, and the engine hides parameters in any case (`server.db`).
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
from datetime import datetime
from typing import Any
from urllib.parse import unquote_plus

# Query parameters whose values are ids, codes, states, dates or paging: kept in the log
# (judged by the decoded name, in any case). Any name not listed here is redacted.
PLAIN = frozenset({
    "limit", "cursor", "sort", "kind", "status", "state", "category", "neighbourhood",
    "assignee", "overdue", "since", "until", "channel", "message", "question", "author",
    "action", "actor", "period", "metric", "granularity", "per_neighbourhood", "department",
})  # fmt: skip
# Paths whose whole query string may be residents' data (Open311 clients send their
# reports there: `description`, `email`, `phone`...).
ALL_REDACTED = ("/open311/",)
REDACTED = "[redacted]"
# A parameter name is shown when it looks like one; anything else in its place is redacted.
NAME = re.compile(r"[A-Za-z0-9_.\[\]%-]{1,64}")
CHATTY = ("sqlalchemy.engine", "sqlalchemy.pool", "aiosqlite", "asyncpg")


def _pair(pair: str, keep_plain: bool) -> str:
    name, has_value, value = pair.partition("=")
    if not pair:
        return pair
    # `API%5FKIND` and `Kind` are `kind`: judged by the decoded name, in any case.
    if (
        keep_plain
        and unquote_plus(name).strip().lower() in PLAIN
        and "@" not in unquote_plus(value)
    ):
        return pair  # an e-mail address where an id or a state belongs is redacted too
    # A name without a value may be anything (`?jan.peeters`): redacted like a value.
    return f"{name}={REDACTED}" if has_value and NAME.fullmatch(name) else REDACTED


def redact(target: str) -> str:
    """A request target (`/path?query`) as the log may show it: the path, each parameter's
    name, and the values of `PLAIN` parameters outside Open311."""
    path, has_query, query = target.partition("?")
    if not has_query:
        return target
    keep_plain = not path.startswith(ALL_REDACTED)
    return f"{path}?" + "&".join(_pair(pair, keep_plain) for pair in query.split("&"))


class RedactQuery(logging.Filter):
    """Rewrites the request target of uvicorn's access-log records (`client, method, target,
    http version, status`): every access line crosses it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact(a) if isinstance(a, str) and "?" in a else a for a in record.args
            )
        return True


_filter = RedactQuery()


def configure(*, log_sql: bool) -> None:
    """Install the access-log filter and quiet the loggers that would print data values."""
    access = logging.getLogger("uvicorn.access")
    if _filter not in access.filters:
        access.addFilter(_filter)
    for name in CHATTY:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.WARNING)
    if log_sql:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)


# -- the lines ------------------------------------------------------------------------------

# The id of the request being served (set by server/requestlog.py), for every line logged
# while it is.
REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "buurt_request_id", default=None
)
# What an access line carries besides its message (server/requestlog.py), in this order.
ACCESS_FIELDS = ("method", "path", "status", "duration_ms", "client")


# uvicorn's --log-level names (its `trace` is below DEBUG).
LEVELS = {"critical": 50, "error": 40, "warning": 30, "info": 20, "debug": 10, "trace": 5}


def timestamp(record: logging.LogRecord) -> str:
    """The record's moment in the machine's time zone, ISO 8601 with the offset."""
    return datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds")


class RequestIdFilter(logging.Filter):
    """Gives every record logged during a request that request's id."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = REQUEST_ID.get()
        return True


class TextFormatter(logging.Formatter):
    """`2026-05-01T09:30:00.123+02:00 INFO buurt.access: message request_id=...`"""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{timestamp(record)} {record.levelname} {record.name}: {record.getMessage()}"
        request_id = getattr(record, "request_id", None)
        if request_id:
            line += f" request_id={request_id}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        if record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message; an access line's method, path,
    status, duration_ms and client; request_id; a traceback as `exception`."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in ACCESS_FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                line[field] = value
        request_id = getattr(record, "request_id", None)
        if request_id:
            line["request_id"] = request_id
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def logging_config(log_format: str = "text", level: str | int = "INFO") -> dict[str, Any]:
    """The `logging.config.dictConfig` of a server process: one handler on stderr, with
    uvicorn's loggers passing their lines to it (uvicorn takes this as `log_config`)."""
    formatter = JsonFormatter if log_format == "json" else TextFormatter
    level = LEVELS.get(level.lower(), logging.INFO) if isinstance(level, str) else level
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": f"{__name__}.RequestIdFilter"}},
        "formatters": {"buurt": {"()": f"{__name__}.{formatter.__name__}"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "buurt",
                "filters": ["request_id"],
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            name: {"handlers": [], "propagate": True}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")
        },
        "root": {"handlers": ["stderr"], "level": level},
    }


def setup(log_format: str = "text", level: str | int = "WARNING") -> None:
    """Configure this process's logging (the commands other than `serve`, which hand the
    same configuration to uvicorn)."""
    import logging.config

    logging.config.dictConfig(logging_config(log_format, level))


# -- outages --------------------------------------------------------------------------------


class Outage:
    """One warning when the database stops answering and one info line when it answers
    again, instead of a line (or a traceback) at every round of every loop that keeps trying
    (the scheduler, the live streams' reads, PostgreSQL's LISTEN). One per app."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.logger = logger or logging.getLogger("buurt.db")
        self.since: float | None = None

    @property
    def ongoing(self) -> bool:
        """Whether the last attempt failed."""
        return self.since is not None

    def failed(self, error: BaseException) -> None:
        """An attempt failed because the database is unavailable."""
        if self.since is None:
            self.since = time.monotonic()
            self.logger.warning(
                "the database is unavailable (%s); requests get 503 until it answers again",
                describe(error),
            )

    def succeeded(self) -> None:
        """An attempt succeeded: the outage, if any, is over."""
        if self.since is not None:
            seconds = time.monotonic() - self.since
            self.since = None
            self.logger.info("the database answers again (unavailable for %.0f s)", seconds)


def describe(error: BaseException) -> str:
    """An exception in a few words, without SQL or bound values: its type and the first line
    of the driver's message."""
    cause = getattr(error, "orig", None) or error
    first = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
    name = type(cause).__name__
    return f"{name}: {first[:200]}" if first else name


# SQLSTATE classes and codes that say the server is not there for us: connection exceptions
# (08), operator intervention (57P: shutting down, crashed, starting up), too many clients.
UNREACHABLE_STATES = ("08", "57P", "53300")
ASYNCPG_UNREACHABLE = frozenset({
    "CannotConnectNowError", "ConnectionDoesNotExistError", "InterfaceError",
    "AdminShutdownError", "CrashShutdownError", "TooManyConnectionsError",
    "ConnectionFailureError", "ClientCannotConnectError",
})  # fmt: skip


def is_unreachable(error: BaseException | None, _depth: int = 0) -> bool:
    """Whether `error` says the database cannot be reached (a refused or dropped
    connection, a server starting up or shutting down), not a fault of ours."""
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    if error is None or _depth > 3:
        return False
    if isinstance(error, ConnectionError | TimeoutError | OperationalError | InterfaceError):
        return True
    if isinstance(error, OSError):
        return True  # no route, name not resolved, socket errors
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return True
        return is_unreachable(error.orig, _depth + 1)
    state = getattr(error, "sqlstate", None)
    if isinstance(state, str) and state.startswith(UNREACHABLE_STATES):
        return True
    if type(error).__module__.startswith("asyncpg") and type(error).__name__ in ASYNCPG_UNREACHABLE:
        return True
    # SQLAlchemy's adapted driver error carries the driver's own as its cause.
    return is_unreachable(error.__cause__, _depth + 1)
