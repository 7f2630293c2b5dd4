"""`buurt broadcast`: publish (or schedule, or draft) a city message from a script, once."""

from __future__ import annotations

import argparse
import difflib
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from console import formats
from console.commands.common import EXIT_OK, InvalidInput, UsageError, err, print_json, run_api
from console.composing import (
    KIND_FIELD,
    KINDS,
    LANGUAGES,
    ComposeError,
    Draft,
    idempotency_key,
    parse_local_time,
    read_message_file,
    zone,
)
from console.i18n import _, ngettext

if TYPE_CHECKING:  # the client and models (httpx, pydantic) when a command runs, not for --help
    from console.api.client import ApiClient
    from console.api.models import Message, Neighbourhood, Reach
    from console.session import Context


def run_intent(when: datetime | None, timezone: str) -> str:
    """What makes one run of a script one intent: the scheduled time when there is one
    (already in the key), else the municipality's calendar day. A retry the same day sends
    nothing new; the same file sent by tomorrow's cron goes out again."""
    if when is not None:
        return ""
    return datetime.now(zone(timezone)).date().isoformat()


def _language_pairs(values: list[str] | None, default: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for value in values or []:
        lang, sep, text = value.partition("=")
        if sep and lang in LANGUAGES:
            pairs[lang] = text
        else:
            pairs[default] = value
    return pairs


def _targets(spec: str | list[str], hoods: list[Neighbourhood]) -> str | list[int]:
    names = spec if isinstance(spec, list) else [p.strip() for p in spec.split(",")]
    names = [n for n in names if n]
    if not names:
        # Nobody is addressed by accident: "all" is a choice the sender writes out.
        raise UsageError(
            _("Say who receives it: --to all, or --to NAME,NAME (or `to =` in the file).")
        )
    if [n.casefold() for n in names] == ["all"]:
        return "all"
    by_name = {h.name.casefold(): h for h in hoods}
    chosen: list[int] = []
    for name in names:
        hood = by_name.get(name.casefold())
        if hood is None:
            close = difflib.get_close_matches(name, [h.name for h in hoods], n=3)
            hint = _(" Did you mean {names}?").format(names=", ".join(close)) if close else ""
            raise UsageError(
                _("No neighbourhood called '{name}' that you may address.").format(name=name) + hint
            )
        chosen.append(hood.id)
    return chosen


def _kind_fields(
    args: argparse.Namespace, settings: dict[str, Any], kind: str, tz: str
) -> dict[str, Any]:
    def when(value: str | None) -> str | None:
        return parse_local_time(value, tz).isoformat() if value else None

    field_name = KIND_FIELD.get(kind)
    block: dict[str, Any] = dict(settings.get(field_name, {})) if field_name else {}
    if kind == "event":
        block.update({k: v for k, v in {
            "place": args.place, "starts_at": when(args.starts), "ends_at": when(args.ends),
        }.items() if v})  # fmt: skip
        for key in ("starts_at", "ends_at"):
            if isinstance(block.get(key), str) and "T" not in block[key]:
                block[key] = when(block[key])
    elif kind in ("call_for_ideas", "citizen_budget"):
        if args.budget is not None:
            block["budget_eur"] = args.budget
        if args.deadline:
            block["deadline"] = when(args.deadline)
        block.setdefault("budget_eur", 0)
    elif kind == "alert":
        if args.urgency:
            block["urgency"] = args.urgency
    elif kind == "survey" and args.closes:
        block["closes_at"] = when(args.closes)
    return {field_name: block} if field_name else {}


def build_draft(
    args: argparse.Namespace, me_languages: list[str], tz: str, hoods: list[Neighbourhood]
) -> tuple[Draft, str | None]:
    """The draft from the message file and the flags (flags win), and the schedule text."""
    default_language = me_languages[0] if me_languages else "nl"
    settings: dict[str, Any] = {}
    bodies: dict[str, str] = {}
    if args.file:
        parsed = read_message_file(Path(args.file), default_language)
        settings, bodies = parsed.settings, parsed.bodies
    kind = args.kind or settings.get("kind", "announcement")
    if kind not in KINDS:
        raise UsageError(_("Unknown kind '{kind}'.").format(kind=kind))
    titles = {**dict(settings.get("title", {})), **_language_pairs(args.title, default_language)}
    bodies.update(_language_pairs(args.body, default_language))
    for value in args.body_file or []:
        lang, sep, path = value.partition("=")
        if not (sep and lang in LANGUAGES):
            lang, path = default_language, value
        try:
            bodies[lang] = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(
                _("Cannot read {path}: {reason}").format(path=path, reason=exc.strerror)
            ) from None
    to = args.to if args.to is not None else settings.get("to", "")
    draft = Draft(
        kind=kind,
        title=titles,
        body=bodies,
        targets=_targets(to, hoods),
        details=_kind_fields(args, settings, kind, tz),
    )
    schedule = args.schedule or settings.get("schedule")
    return draft, str(schedule) if schedule else None


def _print_reach(reach: Reach) -> None:
    for row in reach.neighbourhoods:
        print(
            f"  {row.name:<28} {formats.number(row.registered_households):>9} / "
            f"{formats.number(row.total_households):>9}"
        )
    print(
        ngettext(
            "Reach: {registered} registered households of {total} in {count} neighbourhood.",
            "Reach: {registered} registered households of {total} in {count} neighbourhoods.",
            len(reach.neighbourhoods),
        ).format(
            registered=formats.number(reach.registered_households),
            total=formats.number(reach.total_households),
            count=len(reach.neighbourhoods),
        )
    )


if TYPE_CHECKING:
    # What a run did: the draft, its reach, the message sent (None in a dry run), the key, when.
    Sent = tuple[Draft, Reach, Message | None, str | None, datetime | None]


def _check_schedule(when: datetime | None, draft_only: bool) -> None:
    """A draft has no time, and a time to publish at is in the future."""
    if when is not None and draft_only:
        raise UsageError(
            _(
                "A draft is not scheduled: leave out --draft to schedule it, or the "
                "schedule to save a draft."
            )
        )
    if when is not None and when <= datetime.now(UTC):
        raise InvalidInput(
            _("The scheduled time {when} has passed; choose a time in the future.").format(
                when=f"{when:%Y-%m-%d %H:%M}"
            )
        )


async def _send(client: ApiClient, args: argparse.Namespace, context: Context) -> Sent:
    """Build the message, ask its reach, and (unless a dry run) send it once: a retry with
    the same content and intent reuses the idempotency key."""
    me = await client.me()
    municipality = me.organisation.municipality
    formats.use_timezone(municipality.timezone)
    hoods = await client.all_neighbourhoods()
    try:
        draft, schedule_text = build_draft(
            args, municipality.languages, municipality.timezone, hoods
        )
        content = draft.content()
        when = parse_local_time(schedule_text, municipality.timezone) if schedule_text else None
    except ComposeError as error:
        raise UsageError(str(error)) from None
    _check_schedule(when, args.draft)
    reach = await client.reach(content["targets"])
    if args.dry_run:
        return draft, reach, None, None, when
    action = "draft" if args.draft else ("schedule" if when else "publish")
    key = args.idempotency_key or idempotency_key(
        f"{context.url}|{me.organisation.id}", content, action, when,
        run_intent(when, municipality.timezone),
    )  # fmt: skip
    message = await client.create_message(
        content, action=action, scheduled_at=when, idempotency_key=key
    )
    return draft, reach, message, key, when


def _say_dry_run(draft_only: bool, when: datetime | None) -> None:
    if draft_only:
        err(_("Dry run: nothing was sent. It would be saved as a draft."))
    elif when is None:
        err(_("Dry run: nothing was sent. It would be published now."))
    else:
        err(
            _("Dry run: nothing was sent. It would be scheduled for {when}.").format(
                when=f"{formats.moment(when)} ({formats.current_timezone().key})"
            )
        )


def _say_sent(message: Message) -> None:
    if message.replayed:
        err(_("Already done earlier with the same idempotency key: nothing new was sent."))
    title = next(iter(message.title.values()))
    if message.state == "published":
        err(_("Published message #{id} “{title}”.").format(id=message.id, title=title))
    elif message.state == "scheduled":
        err(
            _("Scheduled message #{id} “{title}” for {when}.").format(
                id=message.id, title=title, when=formats.moment(message.scheduled_at)
            )
        )
    else:
        err(_("Saved draft #{id} “{title}”.").format(id=message.id, title=title))


def cmd_broadcast(args: argparse.Namespace, context: Context) -> int:
    """`buurt broadcast`: send, schedule or draft a message (or, with --dry-run, say what
    would happen)."""
    _draft, reach, message, key, when = run_api(
        context, lambda client: _send(client, args, context)
    )
    if args.json:
        print_json(
            {"dry_run": message is None, "reach": reach, "message": message, "idempotency_key": key,
             "publishes": "draft" if args.draft else formats.iso(when) if when else "now"}
        )  # fmt: skip
        return EXIT_OK
    _print_reach(reach)
    if message is None:
        _say_dry_run(args.draft, when)
    else:
        _say_sent(message)
    return EXIT_OK


def register(sub: Any) -> None:
    """Add `buurt broadcast` to the parser."""
    p = sub.add_parser(
        "broadcast",
        help=_("publish a city message to one, some or all neighbourhoods"),
        description=_(
            "Publish, schedule or save a city message. Re-running the same command sends "
            "nothing new: the idempotency key is derived from the content."
        ),
    )
    p.add_argument("--file", help=_("a message file: markdown with a TOML front matter"))
    p.add_argument("--kind", choices=KINDS, help=_("kind of message (default: announcement)"))
    p.add_argument("--title", action="append", metavar="[LANG=]TEXT", help=_("title, per language"))
    p.add_argument(
        "--body", action="append", metavar="[LANG=]TEXT", help=_("text (markdown), per language")
    )
    p.add_argument(
        "--body-file", action="append", metavar="[LANG=]PATH", help=_("text from a file")
    )
    p.add_argument(
        "--to",
        metavar="all|NAME,NAME",
        help=_("who receives it: all, or neighbourhood names (required)"),
    )
    p.add_argument(
        "--schedule", metavar="'YYYY-MM-DD HH:MM'", help=_("publish later (municipality's time)")
    )
    p.add_argument("--draft", action="store_true", help=_("save as a draft, do not publish"))
    p.add_argument("--dry-run", action="store_true", help=_("print the reach, send nothing"))
    p.add_argument("--idempotency-key", help=_("default: derived from the content"))
    p.add_argument("--json", action="store_true", help=_("machine-readable output"))
    p.add_argument("--place", help=_("event: where"))
    p.add_argument("--starts", help=_("event: start time"))
    p.add_argument("--ends", help=_("event: end time"))
    p.add_argument("--urgency", choices=["low", "medium", "high"], help=_("alert: urgency"))
    p.add_argument("--budget", type=int, metavar="EUR", help=_("call for ideas or budget: euros"))
    p.add_argument("--deadline", help=_("call for ideas or budget: deadline"))
    p.add_argument("--closes", help=_("survey: closing time"))
    p.set_defaults(func=cmd_broadcast)
