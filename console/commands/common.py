"""What every command shares: printing for people, running API calls, exit codes.

Exit codes: 0 ok, 1 other error, 2 usage or config, 3 not signed in or sign-in refused,
4 permission or validation, 5 conflict, 6 server unreachable or failing, 7 rate limited.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from rich.console import Console

    from console.api.client import ApiClient
    from console.api.models import Me
    from console.session import Context

from console import formats
from console.api.errors import (
    ApiError,
    AuthError,
    Conflict,
    InvalidRequest,
    NotFound,
    NotSignedIn,
    PermissionDenied,
    RateLimited,
    ServerError,
    Unreachable,
)
from console.credentials import UnreadableCredential
from console.i18n import _

T = TypeVar("T")

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_INVALID = 4
EXIT_CONFLICT = 5
EXIT_UNREACHABLE = 6
EXIT_RATE_LIMITED = 7


class UsageError(Exception):
    """Wrong or missing options; the message says what to change (exit code 2)."""


class InvalidInput(ApiError):
    """Input the server would refuse, found before asking it (exit code 4, as the server's
    own refusal): a dry run fails where the real run would."""


# Each error's exit code: the first class in this order that the error is an instance of.
EXIT_CODES: tuple[tuple[type[ApiError], int], ...] = (
    (Unreachable, EXIT_UNREACHABLE),
    (ServerError, EXIT_UNREACHABLE),
    (NotSignedIn, EXIT_AUTH),
    (UnreadableCredential, EXIT_AUTH),
    (AuthError, EXIT_AUTH),
    (PermissionDenied, EXIT_INVALID),
    (NotFound, EXIT_INVALID),
    (InvalidRequest, EXIT_INVALID),
    (InvalidInput, EXIT_INVALID),
    (Conflict, EXIT_CONFLICT),
    (RateLimited, EXIT_RATE_LIMITED),
)


def exit_code(error: ApiError) -> int:
    """The exit code a failed API call gives (1 for one this table does not name)."""
    return next((code for kind, code in EXIT_CODES if isinstance(error, kind)), EXIT_ERROR)


def terminal() -> Console:
    """The Rich console of every command: data is never read as markup (a resident's `[/]`
    or `[link=…]` prints as typed), nor `:name:` as an emoji, nor highlighted. Our own
    styling is given as `Text` styles."""
    from rich.console import Console

    return Console(markup=False, emoji=False, highlight=False)


def err(message: str) -> None:
    """A line for people on stderr."""
    print(message, file=sys.stderr)


def print_json(value: Any) -> None:
    """`--json` output: models (or lists of them) as the API gives them (the stored text,
    not made inert), readable, with times in the municipality's zone (ISO 8601 with the
    offset). ASCII with escapes: no control or bidi character of the data reaches a
    terminal raw, and `jq` or any JSON reader gets the exact text back."""
    from pydantic import BaseModel  # imported by the models already, by then

    def plain(item: Any) -> Any:
        if isinstance(item, BaseModel):
            return plain(item.model_dump())
        if isinstance(item, datetime):
            return formats.iso(item)
        if isinstance(item, date):
            return item.isoformat()
        if isinstance(item, list):
            return [plain(i) for i in item]
        if isinstance(item, dict):
            return {k: plain(v) for k, v in item.items()}
        return item

    print(json.dumps(plain(value), ensure_ascii=True, indent=2, default=str))


def preferred_languages(me: Me) -> list[str]:
    """The language of the command (--lang) first, then the municipality's: texts written in
    several languages (titles, category names) are shown in the one the labels speak."""
    from console.i18n import current_language

    spoken = list(me.organisation.municipality.languages)
    first = current_language()
    return [first, *(lang for lang in spoken if lang != first)]


async def use_municipality_time(client: ApiClient) -> Me:
    """Show times from here on in the signed-in account's municipality's zone; answers who
    the account is (asked for that)."""
    me = await client.me()
    formats.use_timezone(me.organisation.municipality.timezone)
    return me


def show_one(
    context: Context,
    fetch: Callable[[ApiClient], Awaitable[T]],
    show: Callable[[T], None],
    *,
    as_json: bool,
) -> int:
    """A `show` command: fetch one object, then print it as JSON (--json) or for people."""
    item = run_api(context, fetch)
    if as_json:
        print_json(item)
    else:
        show(item)
    return EXIT_OK


def add_item_action(actions: Any, name: str, help_text: str, command: Callable[..., int]) -> None:
    """`buurt … NAME ID [--json]`: an action on one item, by its number."""
    parser = actions.add_parser(name, help=help_text)
    parser.add_argument("id", type=int)
    parser.add_argument("--json", action="store_true", help=_("machine-readable output"))
    parser.set_defaults(func=command)


def run_api(
    context: Context, work: Callable[[ApiClient], Awaitable[T]], *, fresh: bool = False
) -> T:
    """Run one sequence of API calls with the context's client (without the stored sign-in
    when `fresh`), closing it afterwards."""
    # Here, not at the top: `buurt --help` registers every command and runs none.
    import asyncio

    async def main() -> T:
        async with context.client(fresh=fresh) as client:
            return await work(client)

    return asyncio.run(main())
