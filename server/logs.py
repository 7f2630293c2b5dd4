"""Keep secrets and residents' data out of the logs, whatever level a deployment sets.

- The access log shows query strings; Open311 clients may put their `api_key` there.
- SQLAlchemy and aiosqlite print bound values and result rows at INFO/DEBUG (password and
  token hashes, reporters' contact details); they stay at WARNING unless `BUURT_LOG_SQL`
  asks for statements, and the engine hides parameters in any case (`server.db`).
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote_plus

# A query parameter: its name and its value, up to the next `&` (or the end of the line).
PARAMETER = re.compile(r"(?P<name>(?:^|(?<=[?&]))[^=&?\s]+)=(?P<value>[^&\s]*)")
SECRET_NAMES = frozenset({"api_key", "token", "access_token", "refresh_token", "password"})
CHATTY = ("sqlalchemy.engine", "sqlalchemy.pool", "aiosqlite", "asyncpg")


def _redact_one(match: re.Match[str]) -> str:
    # Judged by the decoded name, in any case: `api%5Fkey` and `API_KEY` are `api_key`.
    name = unquote_plus(match["name"]).strip().lower()
    return f"{match['name']}=[redacted]" if name in SECRET_NAMES else match[0]


def redact(text: str) -> str:
    """`text` with the values of secret query parameters replaced."""
    if "=" not in text:
        return text
    return PARAMETER.sub(_redact_one, text)


class RedactQuery(logging.Filter):
    """Rewrites the path of uvicorn's access-log records."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
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
