"""`buurt-server`: serve, migrate, seed, create-user, create-token, reset-demo-passwords."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import ipaddress
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from server import __version__
from server.db import make_engine, make_sessionmaker
from server.models import SCOPES, StaffAccount
from server.principal import Principal
from server.problems import DomainError, Problem
from server.settings import Settings

T = TypeVar("T")
Subparsers = (
    argparse._SubParsersAction
)  # what add_subparsers returns (argparse names no public type)


def _run_with_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def main() -> T:
        engine = make_engine(settings)
        try:
            async with make_sessionmaker(engine)() as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(main())


def is_loopback(host: str) -> bool:
    """Whether `host` is reachable from this machine only (127.0.0.0/8, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False  # a name or an address of another interface: reachable from outside


def default_workers(host: str, database_url: str) -> int:
    """How many worker processes `serve` runs when `--workers` is not given.

    One on SQLite (one writer: more processes only queue for its lock) and on a loopback
    address (the demo, a developer's machine, the tests: one process, which a signal stops
    and whose caches hear every change at once; behind nginx on the same machine, give
    `--workers`). Otherwise one per core this process may use: the API is CPU-bound
    (bench/load.py), a Python process runs on one core at a time, and PostgreSQL works in
    processes of its own."""
    if database_url.startswith("sqlite") or is_loopback(host):
        return 1
    if hasattr(os, "sched_getaffinity"):  # the cores a container or taskset gives us
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


DEMO_ACCOUNTS_REFUSED = (
    "Refusing to serve on {host}: {count} demo account(s) ({emails}) still have the demo "
    "password, which anyone who reaches this address could sign in with. Run `buurt-server "
    "reset-demo-passwords` to give them new random passwords (or `--disable` them), serve "
    "on 127.0.0.1, or pass --allow-demo-accounts to accept the risk."
)


def demo_accounts_refusal(settings: Settings, host: str) -> str | None:
    """Why `serve --host host` must not start, or None: demo accounts that still have the
    demo password may serve on a loopback address only."""
    if is_loopback(host):
        return None
    from sqlalchemy import inspect

    from server.services.accounts import demo_accounts

    async def work(session: AsyncSession) -> list[str]:
        connection = await session.connection()
        if not await connection.run_sync(lambda c: inspect(c).has_table("staff_accounts")):
            return []  # not migrated yet: no account at all
        return [a.email for a in await demo_accounts(session)]

    try:
        emails = _run_with_session(settings, work)
    except (OSError, SQLAlchemyError) as error:
        return (
            f"Refusing to serve on {host}: the database could not be checked for demo "
            f"accounts ({type(error).__name__}). Make sure it is reachable, or pass "
            "--allow-demo-accounts to start without the check."
        )
    if not emails:
        return None
    shown = ", ".join(emails[:3]) + (", ..." if len(emails) > 3 else "")
    return DEMO_ACCOUNTS_REFUSED.format(host=host, count=len(emails), emails=shown)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from server import logs

    if args.migrate and (code := cmd_migrate(args, settings)) != 0:
        return code
    if not args.allow_demo_accounts:
        refusal = demo_accounts_refusal(settings, args.host)
        if refusal is not None:
            print(refusal, file=sys.stderr)
            return 1
    # The factory reads settings from the environment in every worker process.
    os.environ.update(settings.as_environment())
    uvicorn.run(
        "server.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers or default_workers(args.host, settings.database_url),
        # uvloop and httptools: uvicorn[standard] in the server extra installs them, and
        # "auto" takes them (asyncio's loop and h11 only where a platform has none).
        loop="auto",
        http="auto",
        # The app reads the proxy headers itself (server/requestlog.py): it must still see the
        # peer to decide whether to believe them, and their X-Request-ID.
        proxy_headers=False,
        # One setup for uvicorn, the app and the scheduler, in every worker; the app writes
        # the access lines (with duration and request id).
        log_config=logs.logging_config(settings.log_format, args.log_level),
        log_level=args.log_level,
        access_log=False,
        # A keep-alive connection closed by the server while the proxy (or client) sends on
        # it fails that request; the proxy's own idle timeout should end connections first.
        timeout_keep_alive=args.timeout_keep_alive,
        # Live streams never end by themselves; clients resume with Last-Event-ID.
        timeout_graceful_shutdown=5,
    )
    return 0


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from server import migrate

    url = settings.database_url
    if getattr(args, "check", False):
        at, newest = migrate.current(url), migrate.head()
        if at == newest:
            print(f"The database is at the newest revision, {migrate.describe(at)}.",
                  file=sys.stderr)  # fmt: skip
            return 0
        where = "has no schema yet" if at is None else f"is at {migrate.describe(at)}"
        print(
            f"The database {where}; the newest revision is {migrate.describe(newest)}. "
            "Run `buurt-server migrate`.",
            file=sys.stderr,
        )
        return 1
    plan = migrate.plan(url, getattr(args, "revision", "head") or "head")
    if plan.direction == "down":
        lost = [f"  table {t} ({n:,} rows)" for t, n in plan.dropped_tables]
        lost += [f"  column {c}" for c in plan.dropped_columns]
        said = (
            "the data of these tables and columns will be dropped:\n" + "\n".join(lost)
            if lost
            else "no table or column is dropped, but what the newer revisions converted "
            "is converted back and may lose detail."
        )
        print(
            f"Going from {migrate.describe(plan.current)} to {migrate.describe(plan.target)} "
            f"is a downgrade: {said}",
            file=sys.stderr,
        )
        if not getattr(args, "allow_data_loss", False):
            print(
                "Nothing was changed. Take a backup first (`buurt-server backup FILE`), then "
                "run this again with --allow-data-loss.",
                file=sys.stderr,
            )
            return 1
    migrate.go(url, plan)
    where = "already at" if plan.direction == "none" else "now at"
    if plan.target == plan.newest:
        print(f"The database is {where} the newest revision, {migrate.describe(plan.target)}.",
              file=sys.stderr)  # fmt: skip
    elif plan.target is None:
        print("The database has no schema now: `buurt-server migrate` makes the newest.",
              file=sys.stderr)  # fmt: skip
    else:
        print(
            f"The database is {where} {migrate.describe(plan.target)}, older than the newest "
            f"revision {migrate.describe(plan.newest)}: this version of buurt-server needs "
            "the newest (`buurt-server migrate`).",
            file=sys.stderr,
        )
    return 0


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    from server import operations

    print(operations.backup(settings.database_url, args.file, force=args.force), file=sys.stderr)
    return 0


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    from server import operations

    print(operations.restore(settings.database_url, args.file, force=args.force), file=sys.stderr)
    return 0


def cmd_seed(args: argparse.Namespace, settings: Settings) -> int:
    from server.services.seed import seed_demo

    if not args.demo:
        print("Nothing to seed: pass --demo to load the demo dataset.", file=sys.stderr)
        return 2
    report = _run_with_session(settings, lambda session: seed_demo(session, messages=args.messages))
    if report.changed:
        made = ", ".join(f"{n} {k}" for k, n in sorted(report.created.items())) or "nothing new"
        print(f"Demo dataset seeded: {made}.", file=sys.stderr)
    else:
        print("Demo dataset already in place: nothing changed.", file=sys.stderr)
    return 0


def cmd_create_user(args: argparse.Namespace, settings: Settings) -> int:
    from server.services.accounts import create_account

    given = NewPassword().new_password
    password = given.get_secret_value() if given else getpass.getpass("Password: ")
    roles = [r.strip() for r in args.roles.split(",") if r.strip()]

    async def work(session: AsyncSession) -> StaffAccount:
        return await create_account(
            session,
            organisation_slug=args.organisation,
            email=args.email,
            name=args.name,
            roles=roles,
            password=password,
            language=args.language,
        )

    account = _run_with_session(settings, work)
    print(f"Created {account.email} with roles {', '.join(account.roles)}.", file=sys.stderr)
    return 0


def cmd_create_token(args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy.orm import selectinload

    from server.models import Organisation
    from server.services import tokens

    scopes = [s.strip() for s in args.scopes.split(",") if s.strip()]
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        print(f"Unknown scope {', '.join(unknown)}; known: {', '.join(SCOPES)}", file=sys.stderr)
        return 2

    async def work(session: AsyncSession) -> str:
        account = await session.scalar(
            select(StaffAccount)
            .where(StaffAccount.email == args.email.lower())
            .options(
                selectinload(StaffAccount.organisation).selectinload(Organisation.municipality)
            )
        )
        if account is None:
            raise Problem("not-found", f"No account {args.email}.")
        principal = Principal(
            account=account,
            organisation=account.organisation,
            roles=frozenset(account.roles),
            scopes=None,
            client_address="cli",
        )
        _token, secret = await tokens.create(
            session, principal, name=args.name, scopes=scopes, expires_in_days=args.days
        )
        return secret

    secret = _run_with_session(settings, work)
    print("API token (shown once, keep it safe):", file=sys.stderr)
    print(secret)
    return 0


def cmd_reset_demo_passwords(args: argparse.Namespace, settings: Settings) -> int:
    from server.services.accounts import reset_demo_passwords

    done = _run_with_session(
        settings, lambda session: reset_demo_passwords(session, disable=args.disable)
    )
    if not done:
        print("No demo account has the demo password: nothing changed.", file=sys.stderr)
        return 0
    if args.disable:
        print(f"Disabled {len(done)} demo account(s); their sign-ins ended.", file=sys.stderr)
        for email, _ in done:
            print(email)
        return 0
    print(
        f"New passwords for {len(done)} demo account(s), shown once (their sign-ins ended; "
        "API tokens they made stay valid until revoked):",
        file=sys.stderr,
    )
    for email, password in done:
        print(f"{email}\t{password}")
    return 0


def cmd_simulate(args: argparse.Namespace, settings: Settings) -> int:
    from server import simulator

    return simulator.main([])


def add_serve(sub: Subparsers) -> None:
    """`serve`: the API with uvicorn."""
    serve = sub.add_parser("serve", help="run the API with uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers", type=int, metavar="N",
        help="worker processes (default: 1 on SQLite or a loopback address, else one per core)",
    )  # fmt: skip
    serve.add_argument(
        "--log-level", default="info",
        choices=["critical", "error", "warning", "info", "debug", "trace"],
        help="info (default) logs every request; the format is BUURT_LOG_FORMAT (text|json)",
    )  # fmt: skip
    serve.add_argument(
        "--timeout-keep-alive", type=int, default=75, metavar="SECONDS",
        help="keep idle connections this long; above the proxy's idle timeout (default 75)",
    )  # fmt: skip
    serve.add_argument(
        "--proxy-headers", action=argparse.BooleanOptionalAction, default=None,
        help="believe X-Forwarded-For, X-Forwarded-Proto and X-Request-ID from the peers of "
        "--forwarded-allow-ips (default: on; BUURT_PROXY_HEADERS)",
    )  # fmt: skip
    serve.add_argument(
        "--forwarded-allow-ips", metavar="ADDRESSES",
        help="comma separated addresses or networks of the reverse proxies whose headers are "
        "believed, or '*' (default: 127.0.0.1,::1; BUURT_FORWARDED_ALLOW_IPS). The client "
        "address (sign-in limits, audit log) is then the one the proxy names",
    )  # fmt: skip
    serve.add_argument("--migrate", action="store_true", help="migrate the database first")
    serve.add_argument(
        "--allow-demo-accounts", action="store_true",
        help="serve on an address other than loopback although demo accounts still have the "
        "demo password (anyone who reaches it can sign in with them)",
    )  # fmt: skip
    serve.set_defaults(func=cmd_serve)


def add_storage(sub: Subparsers) -> None:
    """`migrate`, `backup`, `restore`: the database's schema and copies."""
    mig = sub.add_parser(
        "migrate",
        help="bring the database schema to the newest revision (or to REVISION)",
        description="Bring the database schema to the newest revision, or to REVISION. Going "
        "back to an older revision drops the data of the tables and columns it does not have: "
        "they are listed, and --allow-data-loss is needed.",
    )
    mig.add_argument("revision", nargs="?", default="head", help="head (default), base or an id")
    mig.add_argument(
        "--check", action="store_true",
        help="change nothing: exit 0 when the database is at the newest revision, else 1",
    )  # fmt: skip
    mig.add_argument(
        "--allow-data-loss", action="store_true",
        help="go back to an older revision although data is dropped",
    )  # fmt: skip
    mig.set_defaults(func=cmd_migrate)
    for name, func, help_, description, force in (
        ("backup", cmd_backup,
         "write a backup of the database to FILE (safe while the server runs)",
         "SQLite: a consistent copy made with SQLite's online backup API while the server "
         "goes on writing. PostgreSQL: pg_dump --format=custom (pg_dump of the server's "
         "version or newer must be installed).",
         "overwrite FILE if it exists"),
        ("restore", cmd_restore,
         "replace the database with the backup in FILE (stop the server first)",
         "Replace the database with a backup of `buurt-server backup`, all or nothing. A "
         "database that holds rows is replaced only with --force. Then run `buurt-server "
         "migrate` if the backup is of an older revision.",
         "replace a database that holds rows"),
    ):  # fmt: skip
        command = sub.add_parser(name, help=help_, description=description)
        command.add_argument("file", type=Path, metavar="FILE")
        command.add_argument("--force", action="store_true", help=force)
        command.set_defaults(func=func)


def add_data(sub: Subparsers) -> None:
    """`seed`, `create-user`, `create-token`, `reset-demo-passwords`, `simulate`."""
    seed = sub.add_parser("seed", help="load data")
    seed.add_argument("--demo", action="store_true", help="the demo dataset from config/")
    seed.add_argument(
        "--messages",
        action="store_true",
        help="with --demo: also the published city messages and reply templates `buurt demo` has",
    )
    seed.set_defaults(func=cmd_seed)

    user = sub.add_parser(
        "create-user", help="create a staff account (password from prompt or BUURT_NEW_PASSWORD)"
    )
    user.add_argument("--email", required=True)
    user.add_argument("--name", required=True)
    user.add_argument("--organisation", required=True, help="organisation slug")
    user.add_argument("--roles", required=True, help="comma separated: admin,communicator,...")
    user.add_argument("--language", default="nl", choices=["nl", "fr", "en"])
    user.set_defaults(func=cmd_create_user)

    token = sub.add_parser("create-token", help="create an API token for a script")
    token.add_argument("--email", required=True, help="the account the token acts for")
    token.add_argument("--name", required=True)
    token.add_argument("--scopes", required=True, help=f"comma separated: {','.join(SCOPES)}")
    token.add_argument("--days", type=int, default=90, help="days until it expires")
    token.set_defaults(func=cmd_create_token)
    reset = sub.add_parser(
        "reset-demo-passwords",
        help="give each demo account that has the demo password a new random one (printed once)",
    )
    reset.add_argument("--disable", action="store_true", help="disable those accounts instead")
    reset.set_defaults(func=cmd_reset_demo_passwords)
    sim = sub.add_parser(
        "simulate",
        help="post simulated resident activity (see `buurt-server simulate --help`)",
    )
    sim.set_defaults(func=cmd_simulate)


def build_parser() -> argparse.ArgumentParser:
    """The command line of the server."""
    parser = argparse.ArgumentParser(prog="buurt-server", description="The buurt platform API.")
    parser.add_argument("--version", action="version", version=f"buurt-server {__version__}")
    parser.add_argument(
        "--database-url", help="overrides BUURT_DATABASE_URL (default: SQLite in the data dir)"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    add_serve(sub)
    add_storage(sub)
    add_data(sub)
    return parser


class NewPassword(BaseSettings):
    """`BUURT_NEW_PASSWORD`: the password of `create-user` for a script (else asked)."""

    model_config = SettingsConfigDict(env_prefix="BUURT_", extra="ignore")

    new_password: SecretStr | None = None


# Options that override a setting of the same name (and BUURT_ variable).
SETTING_OPTIONS = ("database_url", "forwarded_allow_ips", "proxy_headers")


def given_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The settings the command line gives (the environment gives the rest)."""
    given = {name: getattr(args, name, None) for name in SETTING_OPTIONS}
    return {name: value for name, value in given.items() if value is not None}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `buurt-server`."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["simulate"]:
        # The simulator has its own options (and talks to the server over HTTP only).
        from server import simulator

        return simulator.main(argv[1:])
    args = build_parser().parse_args(argv)
    from pydantic import ValidationError

    from server import logs
    from server.migrate import MigrationError
    from server.operations import OperationError

    try:
        settings = Settings(**given_settings(args))
    except ValidationError as error:
        for problem in error.errors():
            name = Settings.variable("_".join(str(p) for p in problem["loc"]))
            print(f"error: the setting {name}: {problem['msg']}", file=sys.stderr)
        return 2
    if args.command != "serve":  # serve hands the same setup to uvicorn
        logs.setup(settings.log_format, "WARNING")
    try:
        return int(args.func(args, settings))
    except DomainError as problem:
        print(f"error: {problem.detail or problem.title}", file=sys.stderr)
        return 1
    except (MigrationError, OperationError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except (SQLAlchemyError, ConnectionError, TimeoutError) as error:
        if not logs.is_unreachable(error):
            raise
        from server.migrate import safe_url

        print(
            f"error: the database at {safe_url(settings.database_url)} cannot be reached "
            f"({logs.describe(error)}).",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
