"""`buurt messages list | show | withdraw`."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from console import formats
from console.commands.common import (
    EXIT_OK,
    UsageError,
    add_item_action,
    err,
    preferred_languages,
    print_json,
    run_api,
    show_one,
    terminal,
    use_municipality_time,
)
from console.composing import KIND_LABELS, KINDS, STATE_LABELS
from console.i18n import _

if TYPE_CHECKING:  # the client and models (httpx, pydantic) when a command runs, not for --help
    from console.api.client import ApiClient
    from console.api.models import Message
    from console.session import Context


def targets_text(message: Message) -> str:
    """`all` or the first names of the targets."""
    if message.targets_all:
        return _("all")
    names = message.target_names
    return ", ".join(names[:3]) + (f" +{len(names) - 3}" if len(names) > 3 else "")


def cmd_list(args: argparse.Namespace, context: Context) -> int:
    languages: list[str] = []

    async def work(client: ApiClient) -> list[Message]:
        me = await use_municipality_time(client)
        languages.extend(preferred_languages(me))
        neighbourhood = None
        if args.to:
            hoods = await client.all_neighbourhoods()
            match = [h for h in hoods if h.name.casefold() == args.to.casefold()]
            if not match:
                raise UsageError(
                    _("No neighbourhood called '{name}' that you may address.").format(name=args.to)
                )
            neighbourhood = match[0].id
        page = await client.messages(
            state=args.state,
            kind=args.kind,
            neighbourhood=neighbourhood,
            query=args.q,
            limit=args.limit,
        )
        return page.items

    items = run_api(context, work)
    if args.json:
        print_json(items)
        return EXIT_OK
    if not items:
        err(_("No messages."))
        return EXIT_OK
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    for header in ("#", _("State"), _("Kind"), _("Title"), _("Targets"), _("Reach"), _("Date")):
        table.add_column(header)
    for m in items:
        when = m.published_at or m.scheduled_at or m.updated_at
        table.add_row(
            str(m.id),
            _(STATE_LABELS.get(m.state, m.state)),
            _(KIND_LABELS.get(m.kind, m.kind)),
            m.title_for(languages),
            targets_text(m),
            formats.number(m.reach_registered),
            formats.moment(when),
        )
    terminal().print(table)
    return EXIT_OK


def _show(message: Message) -> None:
    # rich's Markdown (markdown-it) is imported only by the commands that print a body.
    from rich.markdown import Markdown
    from rich.text import Text

    console = terminal()
    console.print(
        Text.assemble(
            (f"#{message.id}", "bold"),
            f"  {_(STATE_LABELS.get(message.state, message.state))}"
            f" · {_(KIND_LABELS.get(message.kind, message.kind))}",
        )
    )
    console.print(_("Targets: {targets}").format(targets=", ".join(message.target_names)))
    if message.reach_registered is not None:
        console.print(
            _("Reach: {registered} of {total} households").format(
                registered=formats.number(message.reach_registered),
                total=formats.number(message.reach_total),
            )
        )
    for lang, title in message.title.items():
        console.rule(Text(f"{lang}: {title}"))
        console.print(Markdown(message.body.get(lang, "")))


def cmd_show(args: argparse.Namespace, context: Context) -> int:
    return show_one(context, lambda client: client.message(args.id), _show, as_json=args.json)


def cmd_withdraw(args: argparse.Namespace, context: Context) -> int:
    async def work(client: ApiClient) -> Message:
        return await client.withdraw_message(args.id)

    message = run_api(context, work)
    if args.json:
        print_json(message)
    err(_("Message #{id} is withdrawn.").format(id=message.id))
    return EXIT_OK


def register(sub: Any) -> None:
    """Add `buurt messages ...` to the parser."""
    messages = sub.add_parser("messages", help=_("list, show or withdraw city messages"))
    actions = messages.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help=_("the organisation's messages, newest first"))
    listing.add_argument("--state", choices=list(STATE_LABELS))
    listing.add_argument("--kind", choices=KINDS)
    listing.add_argument("--to", metavar="NAME", help=_("only those to this neighbourhood"))
    listing.add_argument("--q", metavar="WORDS", help=_("words in the title or text"))
    listing.add_argument("--limit", type=int, default=20, help=_("how many (at most 200)"))
    listing.add_argument("--json", action="store_true", help=_("machine-readable output"))
    listing.set_defaults(func=cmd_list)
    add_item_action(actions, "show", _("one message in full"), cmd_show)
    add_item_action(actions, "withdraw", _("take a message back"), cmd_withdraw)
