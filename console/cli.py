"""`buurt`: the console's command line. With no command it opens the TUI.

Exit codes (also in README.md): 0 ok, 1 other error, 2 usage, 3 not signed in or sign-in
refused, 4 permission or validation, 5 conflict, 6 server unreachable or failing,
7 rate limited.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from console import __version__
from console.api.errors import ApiError
from console.i18n import N_, _, choose_language, ngettext, set_language
from console.session import Context, resolve
from console.settings import ConfigError, load_config

T = TypeVar("T")

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

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2


def err(message: str) -> None:
    """A line for people on stderr."""
    print(message, file=sys.stderr)


def run_api(context: Context, work: Callable[[Any], Awaitable[T]]) -> T:
    """Run one API call sequence with the context's client, closing it afterwards."""

    async def main() -> T:
        async with context.client() as client:
            return await work(client)

    return asyncio.run(main())


def cmd_login(args: argparse.Namespace, context: Context) -> int:
    profile = context.profile
    email = args.email or (profile.email if profile else None)
    if not email:
        email = input(_("Email: ")).strip()
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(_("Password for {email}: ").format(email=email))
    context.api_token = None

    async def work(client: Any) -> Any:
        await client.sign_in(email, password)
        return await client.me()

    me = run_api(context, work)
    context.remember_profile(email)
    for warning in context.warnings:
        err(_("warning: {message}").format(message=warning))
    err(
        _("Signed in to {url} as {name} ({organisation}), profile '{profile}'.").format(
            url=context.url,
            name=me.name,
            organisation=me.organisation.name,
            profile=context.profile_name,
        )
    )
    return EXIT_OK


def cmd_logout(args: argparse.Namespace, context: Context) -> int:
    if context.credential() is None:
        err(_("Profile '{profile}' is not signed in.").format(profile=context.profile_name))
        return EXIT_OK

    async def work(client: Any) -> None:
        await client.sign_out()

    try:
        run_api(context, work)
    except ApiError as error:
        # The local credential goes anyway; say that the server could not be told.
        err(_("warning: {message}").format(message=error.message))
    context.forget()
    err(_("Signed out of profile '{profile}'.").format(profile=context.profile_name))
    return EXIT_OK


def cmd_whoami(args: argparse.Namespace, context: Context) -> int:
    async def work(client: Any) -> Any:
        return await client.me()

    me = run_api(context, work)
    where = context.credential_location()
    if args.json:
        print(
            json.dumps(
                {
                    "email": me.email,
                    "name": me.name,
                    "organisation": me.organisation.name,
                    "organisation_kind": me.organisation.kind,
                    "municipality": me.organisation.municipality.name,
                    "roles": me.roles,
                    "token_scopes": me.token_scopes,
                    "server": context.url,
                    "profile": context.profile_name,
                    "credential": where,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return EXIT_OK
    rows = [
        (_("User"), f"{me.name} <{me.email}>"),
        (_("Organisation"), f"{me.organisation.name} ({me.organisation.municipality.name})"),
        (_("Roles"), ", ".join(me.roles)),
        (_("Server"), context.url),
        (_("Profile"), context.profile_name),
        (_("Credential"), where),
    ]
    if me.token_scopes is not None:
        rows.append((_("Token scopes"), ", ".join(me.token_scopes)))
    width = max(len(label) for label, _value in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    return EXIT_OK


def cmd_profiles(args: argparse.Namespace, context: Context) -> int:
    cfg = context.config
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "name": p.name,
                        "url": p.url,
                        "email": p.email,
                        "default": p.name == cfg.default_profile,
                    }
                    for p in cfg.profiles.values()
                ],
                indent=2,
            )
        )
        return EXIT_OK
    if not cfg.profiles:
        err(_("No profiles yet. `buurt login --url URL` makes one."))
        return EXIT_OK
    for p in sorted(cfg.profiles.values(), key=lambda p: p.name):
        mark = "*" if p.name == cfg.default_profile else " "
        print(f"{mark} {p.name:<16} {p.url:<40} {p.email or ''}")
    return EXIT_OK


def cmd_tui(args: argparse.Namespace, context: Context) -> int:
    from console.app import BuurtApp

    BuurtApp(context, language=args.language).run()
    return EXIT_OK


def cmd_demo(args: argparse.Namespace, context: Context) -> int:
    from console.demo import run_demo

    return run_demo(context, language=args.language, reset=args.reset)


def build_parser() -> argparse.ArgumentParser:
    """The `buurt` command line."""
    parser = argparse.ArgumentParser(
        prog="buurt", description=_("The buurt staff console. With no command, opens the TUI.")
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"buurt {__version__}",
        help=_("show the version and exit"),
    )
    parser.add_argument("--profile", help=_("the profile to use (see `buurt profiles`)"))
    parser.add_argument("--url", help=_("the server address, overriding the profile's"))
    parser.add_argument("--lang", choices=["en", "nl", "fr"], help=_("language of the console"))
    sub = parser.add_subparsers(dest="command")

    login = sub.add_parser("login", help=_("sign in and keep the sign-in safely"))
    login.add_argument("--email", help=_("your account's email address"))
    login.add_argument(
        "--password-stdin", action="store_true", help=_("read the password from standard input")
    )
    login.set_defaults(func=cmd_login)

    logout = sub.add_parser("logout", help=_("end the sign-in and forget it"))
    logout.set_defaults(func=cmd_logout)

    whoami = sub.add_parser("whoami", help=_("who you are signed in as, and where"))
    whoami.add_argument("--json", action="store_true", help=_("machine-readable output"))
    whoami.set_defaults(func=cmd_whoami)

    profiles = sub.add_parser("profiles", help=_("list the configured profiles"))
    profiles.add_argument("--json", action="store_true", help=_("machine-readable output"))
    profiles.set_defaults(func=cmd_profiles)

    demo = sub.add_parser("demo", help=_("start a demo server and open the console on it"))
    demo.add_argument("--reset", action="store_true", help=_("start from a fresh database"))
    demo.set_defaults(func=cmd_demo)
    return parser


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
    parser = build_parser()
    args = parser.parse_args(argv)
    context = resolve(args.profile, args.url, config)
    profile = context.profile
    args.language = set_language(
        choose_language(args.lang, profile.language if profile else None, config.language)
    )
    func = getattr(args, "func", cmd_tui)
    try:
        return int(func(args, context))
    except ApiError as error:
        err(_("error: {message}").format(message=error.message))
        return error.exit_code
    except ConfigError as error:
        err(_("error: {message}").format(message=error))
        return EXIT_USAGE
    except (KeyboardInterrupt, EOFError):
        err("")
        return 130


if __name__ == "__main__":
    sys.exit(main())
