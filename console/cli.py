"""`buurt`: the console's command line. With no command it opens the TUI.

Exit codes (also in README.md): 0 ok, 1 other error, 2 usage, 3 not signed in or sign-in
refused, 4 permission or validation, 5 conflict, 6 server unreachable or failing,
7 rate limited.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from console import __version__
from console.api.errors import ApiError
from console.commands.common import EXIT_OK, EXIT_USAGE, UsageError, err, exit_code
from console.i18n import N_, _, choose_language, ngettext, set_language
from console.settings import ConfigError, load_config

if TYPE_CHECKING:
    from console.session import Context

# argparse's own messages, marked so that they are in our catalogs too.
ARGPARSE_MESSAGES = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("unrecognized arguments: %s"),
    N_("the following arguments are required: %s"),
    N_("expected one argument"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("invalid %(type)s value: %(value)r"),
    N_("%(prog)s: error: %(message)s\n"),
)


def cmd_tui(args: argparse.Namespace, context: Context) -> int:
    from console.app import BuurtApp

    BuurtApp(context, language=args.language).run()
    return EXIT_OK


def cmd_demo(args: argparse.Namespace, context: Context) -> int:
    from console.demo import run_demo

    return run_demo(context, language=args.language, reset=args.reset)


def build_parser() -> argparse.ArgumentParser:
    """The `buurt` command line."""
    from console.commands import (
        account,
        broadcast,
        messages,
        participation,
        stats,
        submissions,
        templates,
    )
    from console.web import command as web_command

    parser = argparse.ArgumentParser(
        prog="buurt", description=_("The buurt staff console. With no command, opens the TUI.")
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"buurt {__version__}",
        help=_("show the version and exit"),
    )
    _global_options(parser)
    sub = parser.add_subparsers(dest="command")

    account.register(sub)
    broadcast.register(sub)
    messages.register(sub)
    submissions.register(sub)
    templates.register(sub)
    participation.register(sub)
    stats.register(sub)
    web_command.register(sub)  # `buurt web`: the console in a browser (console/web/)

    demo = sub.add_parser("demo", help=_("start a demo server and open the console on it"))
    demo.add_argument("--reset", action="store_true", help=_("start from a fresh database"))
    demo.set_defaults(func=cmd_demo)
    _globals_after_commands(parser)
    return parser


def _global_options(parser: argparse.ArgumentParser, default: object = None) -> None:
    parser.add_argument(
        "--profile", default=default, help=_("the profile to use (see `buurt profiles`)")
    )
    parser.add_argument(
        "--url", default=default, help=_("the server address, overriding the profile's")
    )
    parser.add_argument(
        "--lang", default=default, choices=["en", "nl", "fr"], help=_("language of the console")
    )


def _globals_after_commands(parser: argparse.ArgumentParser) -> None:
    # `buurt login --url URL` as well as `buurt --url URL login`: every command takes the
    # global options too; SUPPRESS keeps a command from resetting what was given before it.
    for action in parser._subparsers._group_actions if parser._subparsers else []:
        for child in getattr(action, "choices", {}).values():
            _global_options(child, default=argparse.SUPPRESS)
            _globals_after_commands(child)


def _translate_argparse() -> None:
    # argparse looks its messages up through module-level `_` and `ngettext` at call time.
    setattr(argparse, "_", _)  # noqa: B010
    setattr(argparse, "ngettext", ngettext)  # noqa: B010


def _early_language(argv: Sequence[str]) -> str | None:
    # --help must already be translated, so look for --lang before parsing.
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


def _tui_arguments(argv: Sequence[str]) -> argparse.Namespace | None:
    """`buurt [--profile P] [--url U] [--lang L]` (the TUI) read without the commands, whose
    modules opening the TUI does not need; None for anything else (a command, help, a
    mistake), which the whole parser reads."""
    parser = argparse.ArgumentParser(prog="buurt", add_help=False, exit_on_error=False)
    _global_options(parser)
    try:
        args, rest = parser.parse_known_args(argv)
    except argparse.ArgumentError:
        return None
    return None if rest else args


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `buurt`."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        config = load_config()
    except ConfigError as error:
        set_language(choose_language(_early_language(argv)))
        err(_("error: {message}").format(message=error))
        return EXIT_USAGE
    set_language(choose_language(_early_language(argv), config.language))
    _translate_argparse()
    args = _tui_arguments(argv) or build_parser().parse_args(argv)
    # The session (the API client: httpx, asyncio, the models) after parsing: `--help`,
    # `--version` and a usage error end before it and do not wait for it.
    from console.session import resolve

    context = resolve(args.profile, args.url, config)
    context.stored_text = bool(getattr(args, "json", False))
    profile = context.profile
    args.language = set_language(
        choose_language(args.lang, profile.language if profile else None, config.language)
    )
    func = getattr(args, "func", cmd_tui)
    try:
        return int(func(args, context))
    except ApiError as error:
        err(_("error: {message}").format(message=error.message))
        return exit_code(error)
    except (ConfigError, UsageError) as error:
        err(_("error: {message}").format(message=error))
        return EXIT_USAGE
    except (KeyboardInterrupt, EOFError):
        err("")
        return 130
    except BrokenPipeError:
        # The reader stopped early (`buurt messages list --json | head`): that is fine.
        # Python would complain again when flushing stdout at exit; point it at nothing.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
