"""Keep secrets and residents' data out of the logs, whatever level a deployment sets.

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

import logging
import re
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
