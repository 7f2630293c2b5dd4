"""`buurt results ID [--neighbourhood NAME] [--json | --csv]`, `buurt answers ID [--search
WORDS] [--csv]` and `buurt proposals list | accept | reject`: what residents answered in
surveys and budgets, and the staff's decisions on proposals."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from console.commands.common import (
    EXIT_OK,
    UsageError,
    err,
    print_json,
    run_api,
    use_municipality_time,
)
from console.commands.stats import _hood_ids
from console.i18n import _
from console.results import euros, lines

if TYPE_CHECKING:  # the client and models (httpx, pydantic) when a command runs, not for --help
    from console.api.client import ApiClient
    from console.api.models import OpenAnswer, Proposal, Results
    from console.session import Context

STATES = ("proposed", "accepted", "rejected")


def cmd_results(args: argparse.Namespace, context: Context) -> int:
    async def work(client: ApiClient) -> tuple[Results | str, list[str], dict[str, str]]:
        me = await use_municipality_time(client)
        hoods = await _hood_ids(client, [args.neighbourhood] if args.neighbourhood else None)
        hood = hoods[0] if hoods else None
        languages = [args.language, *me.organisation.municipality.languages]
        if args.csv:
            return await client.results_csv(args.id, hood), languages, {}
        found = await client.results(args.id, hood)
        names = {}
        if found.ideas_by_category:
            names = {c.code: c.label(languages) for c in await client.categories()}
        return found, languages, names

    found, languages, names = run_api(context, work)
    if isinstance(found, str):
        sys.stdout.write(found)
    elif args.json:
        print_json(found)
    else:
        print("\n".join(lines(found, languages, category_names=names)))
    return EXIT_OK


def cmd_answers(args: argparse.Namespace, context: Context) -> int:
    async def work(client: ApiClient) -> list[OpenAnswer] | str:
        if args.csv:
            return await client.open_answers_csv(args.id)
        page = await client.open_answers(args.id, query=args.search, limit=args.limit)
        return page.items

    found = run_api(context, work)
    if isinstance(found, str):
        sys.stdout.write(found)
        return EXIT_OK
    if not found:
        err(_("No open answers found."))
    for answer in found:
        where = answer.neighbourhood_name or "—"
        print(f"{answer.day.isoformat()}  {answer.question + 1}  {where}\n    {answer.text}")
    return EXIT_OK


def _show(p: Proposal) -> str:
    state = {"proposed": _("waiting"), "accepted": _("accepted"), "rejected": _("rejected")}
    line = (
        f"{p.id}\t{state.get(p.state, p.state)}\t{euros(p.cost_eur)}\t{p.votes}\t"
        f"{p.neighbourhood_name}\t{p.title}"
    )
    return line + (f"\t{p.reason}" if p.reason else "")


def cmd_proposals(args: argparse.Namespace, context: Context) -> int:
    async def work(client: ApiClient) -> list[Proposal]:
        return await client.proposals(args.id, args.state)

    found = run_api(context, work)
    if args.json:
        print_json(found)
    elif not found:
        err(_("No proposals yet."))
    for proposal in [] if args.json else found:
        print(_show(proposal))
    return EXIT_OK


def _decide(args: argparse.Namespace, context: Context, *, accept: bool) -> int:
    if not accept and not (args.reason or "").strip():
        raise UsageError(_("Say why with --reason: the resident reads it."))

    async def work(client: ApiClient) -> Proposal:
        # The version as it is now: a colleague's decision in between is a conflict (exit 5).
        current = await client.proposal(args.proposal)
        return await client.decide_proposal(
            current.id, accept=accept, version=current.version, reason=args.reason
        )

    done = run_api(context, work)
    message = (
        _("Proposal #{id} accepted into the vote.")
        if accept
        else _("Proposal #{id} rejected; its resident reads why.")
    )
    err(message.format(id=done.id))
    return EXIT_OK


def register(sub: Any) -> None:
    """Add `buurt results`, `buurt answers` and `buurt proposals` to the parser."""
    results = sub.add_parser("results", help=_("a survey's, budget's or call's results"))
    results.add_argument("id", type=int, help=_("the message's id"))
    results.add_argument("--neighbourhood", metavar="NAME", help=_("one neighbourhood's"))
    output = results.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help=_("machine-readable output"))
    output.add_argument("--csv", action="store_true", help=_("CSV on standard output"))
    results.set_defaults(func=cmd_results)

    answers = sub.add_parser("answers", help=_("what residents wrote to a survey's open questions"))
    answers.add_argument("id", type=int, help=_("the survey's id"))
    answers.add_argument("--search", metavar="WORDS", help=_("only answers with these words"))
    answers.add_argument("--limit", type=int, default=50, choices=range(1, 201), metavar="1-200")
    answers.add_argument("--csv", action="store_true", help=_("every answer as CSV"))
    answers.set_defaults(func=cmd_answers)

    top = sub.add_parser("proposals", help=_("residents' proposals for a citizen budget"))
    actions = top.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help=_("a budget's proposals"))
    listing.add_argument("id", type=int, help=_("the budget's id"))
    listing.add_argument("--state", choices=STATES)
    listing.add_argument("--json", action="store_true", help=_("machine-readable output"))
    listing.set_defaults(func=cmd_proposals)
    accept = actions.add_parser("accept", help=_("accept a proposal into the vote"))
    accept.add_argument("proposal", type=int)
    accept.set_defaults(func=lambda a, c: _decide(a, c, accept=True), reason=None)
    reject = actions.add_parser("reject", help=_("reject a proposal, saying why"))
    reject.add_argument("proposal", type=int)
    reject.add_argument("--reason", required=True, help=_("what the resident reads"))
    reject.set_defaults(func=lambda a, c: _decide(a, c, accept=False))
