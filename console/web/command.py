"""`buurt web [--host] [--port] [--url API] [--public-url] [--max-consoles] [--idle-minutes]`:
the console in a browser, one console process per tab (see `console.web.server`)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from console.commands.common import EXIT_OK, UsageError, err
from console.i18n import _

if TYPE_CHECKING:
    from console.session import Context


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    web = sub.add_parser(
        "web",
        help=_("serve the console to browsers: one console, and one sign-in, per tab"),
        description=_(
            "Serve the console to web browsers, for staff without a terminal. Each browser "
            "tab runs a console of its own with a sign-in of its own; nothing of it is kept "
            "after the tab closes. Listens on 127.0.0.1 unless told otherwise; behind a "
            "proxy, give --public-url (the proxy must pass the WebSocket upgrade)."
        ),
    )
    web.add_argument(
        "--host", default="127.0.0.1", help=_("the address to listen on (default 127.0.0.1)")
    )
    web.add_argument("--port", type=int, default=8080, help=_("the port (default 8080)"))
    web.add_argument(
        "--public-url",
        default=None,
        help=_(
            "the address browsers use, as https://… behind a proxy (pages then connect "
            "with wss://, and only that origin may open a console)"
        ),
    )
    web.add_argument(
        "--max-consoles",
        type=int,
        default=50,
        help=_("the most consoles (browser tabs) open at once (default 50)"),
    )
    web.add_argument(
        "--idle-minutes",
        type=float,
        default=30.0,
        help=_("close a console after this many minutes without input (default 30)"),
    )
    web.set_defaults(func=cmd_web)


def cmd_web(args: argparse.Namespace, context: Context) -> int:
    if not 0 <= args.port <= 65535:
        raise UsageError(_("--port must be between 0 and 65535."))
    if args.max_consoles < 1:
        raise UsageError(_("--max-consoles must be at least 1."))
    if not args.idle_minutes > 0:
        raise UsageError(_("--idle-minutes must be more than 0."))
    public_url = args.public_url
    if public_url is not None:
        parts = urlsplit(public_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UsageError(
                _("--public-url must be an address such as https://buurt.example.org.")
            )
    try:
        from console.web.server import WebConsoleServer, is_loopback
    except ImportError:
        raise UsageError(_("buurt web needs textual-serve: pip install 'buurt[web]'.")) from None
    if not is_loopback(args.host) and public_url is None:
        err(
            _(
                "warning: listening on {host}, beyond this machine. Serve it behind a proxy "
                "with HTTPS and give --public-url, so that only that origin may open a console."
            ).format(host=args.host)
        )
    server = WebConsoleServer(
        api_url=context.url,
        host=args.host,
        port=args.port,
        public_url=public_url,
        max_consoles=args.max_consoles,
        idle_seconds=args.idle_minutes * 60,
        language=args.language,
        fixed_language=args.lang,
    )
    server.serve()
    return EXIT_OK
