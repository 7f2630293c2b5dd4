"""`buurt templates list | show | add | edit | delete`: the municipality's reply templates.

Texts are given per language, `--text nl="Beste, uw melding {reference} ..."`; the
placeholders are {reference}, {category}, {neighbourhood}, {status}, {staff_name},
{due_date} and {municipality}. The server refuses an unknown one when the template is saved.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from console.api.vocabulary import STATUS_LABELS, STATUSES
from console.commands.common import (
    EXIT_OK,
    UsageError,
    add_item_action,
    err,
    print_json,
    run_api,
    show_one,
)
from console.i18n import _

if TYPE_CHECKING:  # the client and models (httpx, pydantic) when a command runs, not for --help
    from console.api.client import ApiClient
    from console.api.models import ReplyTemplate
    from console.session import Context


def _texts(pairs: list[str] | None) -> dict[str, str] | None:
    if not pairs:
        return None
    texts: dict[str, str] = {}
    for pair in pairs:
        language, sep, text = pair.partition("=")
        if not sep or not language.strip():
            raise UsageError(_('--text takes LANGUAGE=TEXT, e.g. nl="Dank u".'))
        texts[language.strip().lower()] = text
    return texts


def _fields(args: argparse.Namespace) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if args.title is not None:
        fields["title"] = args.title
    texts = _texts(args.text)
    if texts is not None:
        fields["texts"] = texts
    if args.category is not None:
        fields["categories"] = [c for c in args.category if c]
    if args.status is not None:
        fields["status"] = None if args.status == "any" else args.status
    if args.suggest is not None:
        fields["suggest"] = args.suggest
    return fields


def _show(t: ReplyTemplate) -> None:
    status = _(STATUS_LABELS.get(t.status, t.status)) if t.status else _("any")
    print(f"#{t.id}  {t.title}")
    print(_("Status: {status}").format(status=status) + ("  ★" if t.suggest else ""))
    print(_("Categories: {codes}").format(codes=", ".join(t.categories) or _("any")))
    for language, text in t.texts.items():
        print(f"[{language}] {text}")


def cmd_list(args: argparse.Namespace, context: Context) -> int:
    async def work(client: ApiClient) -> list[ReplyTemplate]:
        return await client.reply_templates()

    templates = run_api(context, work)
    if args.json:
        print_json(templates)
        return EXIT_OK
    if not templates:
        err(_("No reply templates yet."))
    for t in templates:
        status = _(STATUS_LABELS.get(t.status, t.status)) if t.status else _("any")
        print(f"{t.id}\t{t.title}\t{status}{' ★' if t.suggest else ''}\t{','.join(t.texts)}")
    return EXIT_OK


def cmd_show(args: argparse.Namespace, context: Context) -> int:
    return show_one(
        context, lambda client: client.reply_template(args.id), _show, as_json=args.json
    )


def cmd_add(args: argparse.Namespace, context: Context) -> int:
    fields = _fields(args)
    if "texts" not in fields:
        raise UsageError(_('Give the text in at least one language: --text nl="...".'))

    async def work(client: ApiClient) -> ReplyTemplate:
        return await client.create_reply_template(**fields)

    template = run_api(context, work)
    print(template.id)
    err(_("Reply template #{id} saved.").format(id=template.id))
    return EXIT_OK


def cmd_edit(args: argparse.Namespace, context: Context) -> int:
    changes = _fields(args)
    if not changes:
        raise UsageError(_("Say what to change: --title, --text, --category, --status, --suggest."))

    async def work(client: ApiClient) -> ReplyTemplate:
        current = await client.reply_template(args.id)
        # The version just read: a colleague's change in between is a conflict (exit 5).
        return await client.update_reply_template(args.id, version=current.version, **changes)

    template = run_api(context, work)
    err(_("Reply template #{id} saved.").format(id=template.id))
    return EXIT_OK


def cmd_delete(args: argparse.Namespace, context: Context) -> int:
    async def work(client: ApiClient) -> None:
        current = await client.reply_template(args.id)
        await client.delete_reply_template(args.id, version=current.version)

    run_api(context, work)
    err(_("Reply template #{id} deleted.").format(id=args.id))
    return EXIT_OK


def _template_options(p: argparse.ArgumentParser, *, adding: bool) -> None:
    p.add_argument("--title", required=adding)
    p.add_argument(
        "--text", action="append", metavar="LANG=TEXT", help=_("the text in one language; repeat")
    )
    p.add_argument(
        "--category", action="append", metavar="CODE", help=_("a category it fits; repeat")
    )
    p.add_argument("--status", choices=(*STATUSES, "any"), help=_("the status it fits"))
    p.add_argument(
        "--suggest",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=_("offer it by itself when a submission moves to its status"),
    )


def register(sub: Any) -> None:
    """Add `buurt templates ...` to the parser."""
    top = sub.add_parser("templates", help=_("reply templates (admins manage them)"))
    actions = top.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help=_("the municipality's reply templates"))
    listing.add_argument("--json", action="store_true", help=_("machine-readable output"))
    listing.set_defaults(func=cmd_list)
    add_item_action(actions, "show", _("one reply template"), cmd_show)
    add = actions.add_parser("add", help=_("a new reply template"))
    _template_options(add, adding=True)
    add.set_defaults(func=cmd_add)
    edit = actions.add_parser("edit", help=_("change a reply template"))
    edit.add_argument("id", type=int)
    _template_options(edit, adding=False)
    edit.set_defaults(func=cmd_edit)
    delete = actions.add_parser("delete", help=_("remove a reply template"))
    delete.add_argument("id", type=int)
    delete.set_defaults(func=cmd_delete)
