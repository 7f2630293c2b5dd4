"""`buurt submissions list | show | create | update | export`: the inbox from a terminal or a
script."""

from __future__ import annotations

import argparse
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from console import csvcells, formats
from console.api.vocabulary import CHANNEL_LABELS, PRIORITY_LABELS, STATUS_LABELS, STATUSES
from console.commands.common import (
    EXIT_OK,
    UsageError,
    add_item_action,
    err,
    preferred_languages,
    print_json,
    run_api,
    terminal,
    use_municipality_time,
)
from console.i18n import _
from console.inbox import age_text, change_text, received_text

if TYPE_CHECKING:  # the client and models (httpx, pydantic) when a command runs, not for --help
    from console.api.client import ApiClient, SubmissionFilters
    from console.api.models import Submission, SubmissionDetail
    from console.session import Context

KINDS = ("report", "idea")
CHANNELS = tuple(CHANNEL_LABELS)
PRIORITIES = tuple(PRIORITY_LABELS)
CSV_FIELDS = (
    "id",
    "kind",
    "category",
    "status",
    "priority",
    "neighbourhood",
    "assignee",
    "created_at",
    "overdue",
    "description",
)


def _filters(args: argparse.Namespace) -> SubmissionFilters:
    from console.api.client import SubmissionFilters

    return SubmissionFilters(
        kind=args.kind,
        statuses=args.status or [],
        category=args.category,
        assignee=args.assignee,
        overdue=True if args.overdue else None,
        query=args.q,
        channel=args.channel,
    )


def _row(s: Submission) -> dict[str, Any]:
    return {
        "id": s.id,
        "kind": s.kind,
        "category": s.category.code,
        "status": s.status,
        "priority": s.priority,
        "neighbourhood": s.neighbourhood_name or "",
        "assignee": s.assignee_name or "",
        "created_at": formats.iso(s.created_at),
        "overdue": s.overdue,
        "description": s.description,
    }


async def _fetch_list(
    client: ApiClient, args: argparse.Namespace, languages: list[str]
) -> list[Submission]:
    """Up to --limit submissions, page after page (the person's languages into `languages`)."""
    me = await use_municipality_time(client)
    languages.extend(preferred_languages(me))
    items: list[Submission] = []
    cursor = None
    while len(items) < args.limit:
        page = await client.submissions(
            _filters(args),
            sort=args.sort,
            limit=min(200, args.limit - len(items)),
            cursor=cursor,
        )
        items += page.items
        cursor = page.next_cursor
        if not cursor:
            break
    return items


def _print_table(items: list[Submission], languages: list[str]) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, pad_edge=False)
    for header in (
        "#",
        _("Kind"),
        _("Category"),
        _("Neighbourhood"),
        _("Status"),
        _("Age"),
        _("Assignee"),
    ):
        table.add_column(header)
    for s in items:
        age = age_text(s.created_at)
        table.add_row(
            str(s.id),
            _("Report") if s.kind == "report" else _("Idea"),
            s.category.label(languages),
            s.neighbourhood_name or "–",
            _(STATUS_LABELS.get(s.status, s.status)),
            Text(f"{age} !", style="red") if s.overdue else age,
            s.assignee_name or "–",
        )
    terminal().print(table)


def cmd_list(args: argparse.Namespace, context: Context) -> int:
    """`buurt submissions list`: a table, CSV or JSON of the submissions that match."""
    languages: list[str] = []
    items = run_api(context, lambda client: _fetch_list(client, args, languages))
    if args.json:
        print_json(items)
    elif args.csv:
        writer = csvcells.DictWriter(sys.stdout, fieldnames=CSV_FIELDS)
        writer.writeheader()
        for s in items:
            writer.writerow(_row(s))
    elif not items:
        err(_("No submissions match."))
    else:
        _print_table(items, languages)
    return EXIT_OK


def _show(detail: SubmissionDetail, languages: list[str]) -> None:
    from rich.text import Text

    console = terminal()
    console.print(
        Text.assemble(
            (f"#{detail.id}", "bold"),
            f" {detail.category.label(languages)} · "
            f"{_(STATUS_LABELS.get(detail.status, detail.status))} · "
            f"{_(PRIORITY_LABELS.get(detail.priority, detail.priority))}",
        )
    )
    console.print(detail.description)
    if detail.address or detail.lat is not None:
        console.print(
            _("Location: {place}").format(
                place=", ".join(
                    filter(
                        None,
                        [
                            detail.address,
                            f"{detail.lat}, {detail.lon}" if detail.lat is not None else None,
                        ],
                    )
                )
            )
        )
    if detail.reporter_name or detail.reporter_contact:
        console.print(
            _("Reporter: {who}").format(
                who=" · ".join(filter(None, [detail.reporter_name, detail.reporter_contact]))
            )
        )
    for entry in detail.history:
        when = formats.moment(entry.at)
        who = entry.actor_name or ""
        if entry.kind == "reply":
            console.print(f"{when} {who} — " + _("reply") + f": {entry.text}")
        elif entry.kind == "note":
            console.print(f"{when} {who} — " + _("note") + f": {entry.text}")
        elif entry.kind == "change":
            console.print(f"{when} {who} — {change_text(entry.field, entry.before, entry.after)}")
        else:
            console.print(f"{when} — {received_text(detail.kind)}")


def cmd_show(args: argparse.Namespace, context: Context) -> int:
    languages: list[str] = []

    async def work(client: ApiClient) -> SubmissionDetail:
        languages.extend(preferred_languages(await use_municipality_time(client)))
        return await client.submission(args.id)

    detail = run_api(context, work)
    if args.json:
        print_json(detail)
    else:
        _show(detail, languages)
    return EXIT_OK


async def _assignee(client: ApiClient, wanted: str, me_id: int) -> dict[str, Any]:
    """The change --assignee asks for: none, me, or the one colleague whose name matches."""
    if wanted == "none":
        return {"unassign": True}
    if wanted == "me":
        return {"assignee_account_id": me_id}
    staff = await client.staff()
    match = [s for s in staff if wanted.casefold() in s.name.casefold() or wanted == str(s.id)]
    if len(match) != 1:
        raise UsageError(_("No single colleague matches '{name}'.").format(name=wanted))
    return {"assignee_account_id": match[0].id}


async def _template_reply(client: ApiClient, args: argparse.Namespace, status: str | None) -> str:
    """--reply-template filled in for this submission (and the status it moves to), in its
    language."""
    options = await client.reply_options(args.id, status=status)
    wanted = args.reply_template.casefold()
    fitting = [o for o in options if wanted in (o.title.casefold(), str(o.template_id))]
    if len(fitting) != 1:
        titles = ", ".join(f"'{o.title}'" for o in options) or "–"
        raise UsageError(
            _("No reply template '{name}' fits #{id}; those that fit: {titles}.").format(
                name=args.reply_template, id=args.id, titles=titles
            )
        )
    return fitting[0].text


async def _update(
    client: ApiClient, args: argparse.Namespace, changes: dict[str, Any]
) -> SubmissionDetail:
    me = await use_municipality_time(client)
    current = await client.submission(args.id)
    if args.assignee:
        changes.update(await _assignee(client, args.assignee, me.id))
    reply = args.reply
    if args.reply_template:
        reply = await _template_reply(client, args, changes.get("status"))
    if changes:
        # The version just read: a colleague's change in between is a conflict (exit 5).
        await client.update_submission(args.id, version=current.version, **changes)
    if reply:
        await client.reply(args.id, reply)
    if args.note:
        await client.note(args.id, args.note)
    return await client.submission(args.id)


def cmd_update(args: argparse.Namespace, context: Context) -> int:
    """`buurt submissions update`: status, priority, assignee, a reply and a note at once."""
    changes: dict[str, Any] = {}
    if args.status:
        changes["status"] = args.status
    if args.priority:
        changes["priority"] = args.priority
    if not (changes or args.assignee or args.reply or args.reply_template or args.note):
        raise UsageError(
            _("Say what to change: --status, --priority, --assignee, --reply or --note.")
        )
    if args.reply and args.reply_template:
        raise UsageError(_("Give --reply or --reply-template, not both."))
    detail = run_api(context, lambda client: _update(client, args, changes))
    if args.json:
        print_json(detail)
    err(
        _("Submission #{id} is now {status}.").format(
            id=detail.id, status=_(STATUS_LABELS.get(detail.status, detail.status))
        )
    )
    return EXIT_OK


def cmd_create(args: argparse.Namespace, context: Context) -> int:
    if not (args.neighbourhood or args.address or args.lat is not None):
        raise UsageError(_("Say where: --neighbourhood, --address or --lat and --lon."))
    key = args.key or uuid.uuid4().hex

    async def work(client: ApiClient) -> Submission:
        await use_municipality_time(client)
        hood_id = None
        if args.neighbourhood:
            hoods = await client.all_neighbourhoods()
            found = [h for h in hoods if h.name.casefold() == args.neighbourhood.casefold()]
            if not found:
                raise UsageError(
                    _("No neighbourhood called '{name}' that you may address.").format(
                        name=args.neighbourhood
                    )
                )
            hood_id = found[0].id
        return await client.take_for_resident(
            idempotency_key=key, category=args.category, description=args.description,
            channel=args.channel, neighbourhood_id=hood_id, address=args.address,
            lat=args.lat, lon=args.lon, reporter_name=args.name,
            reporter_contact=args.contact, language=args.answer_in,
        )  # fmt: skip

    made = run_api(context, work)
    if args.json:
        print_json(made)
    else:
        print(made.id)
    err(_("#{id} is in the inbox.").format(id=made.id))
    return EXIT_OK


def cmd_export(args: argparse.Namespace, context: Context) -> int:
    destination = Path(args.output)

    async def work(client: ApiClient) -> int:
        return await client.export_submissions(destination, _filters(args))

    rows = run_api(context, work)
    err(_("Exported {rows} submissions to {path}.").format(rows=rows, path=destination))
    return EXIT_OK


def _add_filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--kind", choices=KINDS)
    p.add_argument("--status", action="append", choices=STATUSES, help=_("repeat for several"))
    p.add_argument("--category", metavar="CODE")
    p.add_argument("--assignee", metavar="ID|me|none")
    p.add_argument(
        "--overdue", action="store_true", help=_("only those past their response target")
    )
    p.add_argument("--q", metavar="WORDS", help=_("words in the description or address"))
    p.add_argument(
        "--channel", choices=(*CHANNELS, "any"), help=_("taken by staff through this channel")
    )


def register(sub: Any) -> None:
    """Add `buurt submissions ...` to the parser."""
    subs = sub.add_parser("submissions", help=_("the inbox of reports and ideas"))
    actions = subs.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help=_("submissions, newest first"))
    _add_filters(listing)
    listing.add_argument(
        "--sort", default="-created", choices=["-created", "created", "-updated", "updated", "due"]
    )
    listing.add_argument("--limit", type=int, default=50, help=_("how many at most"))
    listing.add_argument("--json", action="store_true", help=_("machine-readable output"))
    listing.add_argument("--csv", action="store_true", help=_("CSV on standard output"))
    listing.set_defaults(func=cmd_list)
    add_item_action(actions, "show", _("one submission with its history"), cmd_show)
    update = actions.add_parser(
        "update", help=_("change status, assignee or priority; reply; note")
    )
    update.add_argument("id", type=int)
    update.add_argument("--status", choices=[s for s in STATUSES if s != "duplicate"])
    update.add_argument("--priority", choices=PRIORITIES)
    update.add_argument("--assignee", metavar="NAME|ID|me|none")
    update.add_argument("--reply", metavar="TEXT", help=_("a public reply the resident sees"))
    update.add_argument(
        "--reply-template",
        metavar="TITLE|ID",
        help=_("a public reply from a template, filled in for this submission"),
    )
    update.add_argument("--note", metavar="TEXT", help=_("an internal note"))
    update.add_argument("--json", action="store_true", help=_("machine-readable output"))
    update.set_defaults(func=cmd_update)
    create = actions.add_parser(
        "create", help=_("a report or idea taken for a resident (phone, desk, e-mail)")
    )
    create.add_argument("--category", required=True, metavar="CODE")
    create.add_argument("--description", required=True, metavar="TEXT")
    create.add_argument("--channel", required=True, choices=CHANNELS)
    create.add_argument("--neighbourhood", metavar="NAME")
    create.add_argument("--address", metavar="TEXT")
    create.add_argument("--lat", type=float)
    create.add_argument("--lon", type=float)
    create.add_argument("--name", metavar="TEXT", help=_("the resident's name, if given"))
    create.add_argument("--contact", metavar="TEXT", help=_("phone or e-mail, if given"))
    # Not --language: that is the console's own language, for every command.
    create.add_argument(
        "--answer-in", dest="answer_in", metavar="CODE", help=_("the language to answer in")
    )
    create.add_argument(
        "--key",
        metavar="TEXT",
        help=_("an idempotency key: the same key sent again creates nothing new"),
    )
    create.add_argument("--json", action="store_true", help=_("machine-readable output"))
    create.set_defaults(func=cmd_create)
    export = actions.add_parser("export", help=_("the filtered inbox as a CSV file"))
    _add_filters(export)
    export.add_argument("--output", "-o", default="submissions.csv", help=_("file to write"))
    export.set_defaults(func=cmd_export)
