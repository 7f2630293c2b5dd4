"""`buurt stats [--period] [--neighbourhood NAME] [--json|--csv]` and `buurt stats watch`."""

from __future__ import annotations

import argparse
import contextlib
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from console import csvcells, formats
from console.commands.common import (
    EXIT_OK,
    UsageError,
    print_json,
    run_api,
    terminal,
    use_municipality_time,
)
from console.figures import TILES, tile_values
from console.i18n import _, current_language

if TYPE_CHECKING:
    from rich.table import Table

    from console.api.client import ApiClient
    from console.api.models import Overview
    from console.session import Context

PERIODS = ("7d", "30d", "90d", "365d", "all")


async def _hood_ids(client: ApiClient, names: list[str] | None) -> list[int] | None:
    if not names:
        return None
    hoods = await client.all_neighbourhoods()
    by_name = {h.name.casefold(): h.id for h in hoods}
    ids = []
    for name in names:
        if name.casefold() not in by_name:
            raise UsageError(
                _("No neighbourhood called '{name}' that you may address.").format(name=name)
            )
        ids.append(by_name[name.casefold()])
    return ids


def _line(overview: Overview) -> str:
    """The figures on one line, with the time: what `stats watch` writes into a pipe."""
    values = tile_values(overview)
    parts = [f"{_(label)} {values[tid]}" for tid, label in TILES if tid in values]
    return f"{formats.clock(datetime.now(UTC))} · " + " · ".join(parts)


def _table(overview: Overview, title: str) -> Table:
    from rich.table import Table

    table = Table(title=title, box=None, pad_edge=False, show_header=False)
    table.add_column()
    table.add_column(justify="right")
    for tile_id, value in tile_values(overview).items():
        label = next(label for tid, label in TILES if tid == tile_id)
        table.add_row(_(label), value)
    for code, n in list(overview.topics.items())[:8]:
        topic = overview.topic_label(code, [current_language()])
        table.add_row(_("Topic: {topic}").format(topic=topic), formats.number(n))
    return table


def cmd_stats(args: argparse.Namespace, context: Context) -> int:
    async def work(client: ApiClient) -> Overview:
        return await client.stats_overview(
            period=args.period, neighbourhoods=await _hood_ids(client, args.neighbourhood)
        )

    overview = run_api(context, work)
    if args.json:
        print_json(overview)
    elif args.csv:
        writer = csvcells.Writer(sys.stdout)
        writer.writerow(["figure", "value"])
        flat: dict[str, Any] = {
            k: v for k, v in overview.model_dump().items() if k not in ("metrics", "topics")
        }
        flat.update(overview.metrics)
        flat.update({f"topic:{k}": v for k, v in overview.topics.items()})
        for key, value in flat.items():
            writer.writerow([key, "" if value is None else value])
    else:
        terminal().print(_table(overview, _("Figures, {period}").format(period=args.period)))
    return EXIT_OK


def cmd_watch(args: argparse.Namespace, context: Context) -> int:
    from rich.live import Live

    from console.api.stream import LiveStream

    console = terminal()

    async def work(client: ApiClient) -> None:
        await use_municipality_time(client)
        hoods = await _hood_ids(client, args.neighbourhood)
        overview = await client.stats_overview(period=args.period, neighbourhoods=hoods)
        state = {"value": "connecting"}
        # From the newest event the figures include: nothing is missed, nothing counted twice.
        since = str(overview.as_of_event) if overview.as_of_event else None
        stream = LiveStream(client, on_state=lambda s: state.update(value=s), last_event_id=since)

        def view() -> Table:
            title = _("Figures, {period} · {state} · Ctrl-C to stop").format(
                period=args.period, state=state["value"]
            )
            return _table(overview, title)

        def add(event_data: dict[str, Any]) -> None:
            nonlocal overview
            metrics = dict(overview.metrics)
            for name, n in event_data.get("metrics", {}).items():
                metrics[name] = (metrics.get(name) or 0) + int(n)
            overview = overview.model_copy(update={"metrics": metrics})

        def concerns(event: Any) -> bool:
            return event.type == "stats.delta" and (
                hoods is None or event.data.get("neighbourhood_id") in hoods
            )

        if not console.is_terminal:
            # Into a file or a pipe: one line per change, not frames of a live table.
            print(_line(overview), flush=True)
            async for event in stream.events():
                if concerns(event):
                    add(event.data)
                    print(_line(overview), flush=True)
            return
        with Live(view(), console=console, refresh_per_second=4) as live:
            async for event in stream.events():
                if concerns(event):
                    add(event.data)
                live.update(view())

    with contextlib.suppress(KeyboardInterrupt):
        run_api(context, work)
    return EXIT_OK


def register(sub: Any) -> None:
    """Add `buurt stats` to the parser."""
    stats = sub.add_parser("stats", help=_("engagement figures of your neighbourhoods"))
    stats.add_argument("--period", choices=PERIODS, default="30d")
    stats.add_argument(
        "--neighbourhood", action="append", metavar="NAME", help=_("repeat for several")
    )
    stats.add_argument("--json", action="store_true", help=_("machine-readable output"))
    stats.add_argument("--csv", action="store_true", help=_("CSV on standard output"))
    stats.set_defaults(func=cmd_stats)
    actions = stats.add_subparsers(dest="action")
    watch = actions.add_parser("watch", help=_("a live view until Ctrl-C"))
    watch.add_argument("--period", choices=PERIODS, default="30d")
    watch.add_argument("--neighbourhood", action="append", metavar="NAME")
    watch.set_defaults(func=cmd_watch)
