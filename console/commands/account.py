"""`buurt login | logout | whoami | profiles`."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING, Any

from console.api.errors import ApiError
from console.commands.common import EXIT_OK, err, print_json, run_api
from console.credentials import UnreadableCredential
from console.i18n import _

if TYPE_CHECKING:
    from console.session import Context


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

    me = run_api(context, work, fresh=True)  # a damaged stored sign-in is simply replaced
    context.remember_profile(email)
    context.last_seen().keep_me(me)  # the console's next start draws this account at once
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
    try:
        stored = context.credential()
    except UnreadableCredential as error:
        context.forget()
        err(_("warning: {message}").format(message=error.message))
        err(_("Signed out of profile '{profile}'.").format(profile=context.profile_name))
        return EXIT_OK
    if stored is None:
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
        print_json(
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
            }
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
        print_json(
            [
                {
                    "name": p.name,
                    "url": p.url,
                    "email": p.email,
                    "default": p.name == cfg.default_profile,
                }
                for p in cfg.profiles.values()
            ]
        )
        return EXIT_OK
    if not cfg.profiles:
        err(_("No profiles yet. `buurt login --url URL` makes one."))
        return EXIT_OK
    for p in sorted(cfg.profiles.values(), key=lambda p: p.name):
        mark = "*" if p.name == cfg.default_profile else " "
        print(f"{mark} {p.name:<16} {p.url:<40} {p.email or ''}")
    return EXIT_OK


def register(sub: Any) -> None:
    """Add the account commands to the `buurt` parser."""
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
