"""A survey's, citizen budget's or call's results, live (`enter` on one in the messages
screen): per question the counts and shares as bars, the response rate against the households
reached, the neighbourhoods (`enter` on one filters everything to it, `f` too), answers per
day; a budget's proposals ranked with the winning set, accepted (`a`) or rejected (`x`, with a
reason) by staff; a call's ideas, `enter` opening one in the inbox. Counts that could single
out a household show "< 5". Moves as answers arrive (the stream's `results.updated`)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.timer import Timer
from textual.widgets import DataTable, Static

from console import formats
from console.api.client import SubmissionFilters
from console.api.errors import ApiError, EditConflict
from console.api.models import Message, Proposal, Results, Submission
from console.api.stream import LiveEvent
from console.api.vocabulary import STATUS_LABELS
from console.i18n import N_, _
from console.results import bar, count, euros, headline, in_language, kind_label, state_line
from console.screens.base import SignedInScreen
from console.screens.choice import ChoiceScreen
from console.screens.confirm import ConfirmScreen
from console.screens.exports import save_csv
from console.screens.open_answers import OpenAnswersScreen
from console.screens.text_entry import TextEntryScreen
from console.widgets.table import Table

PARTICIPATION = ("survey", "citizen_budget", "call_for_ideas")
STATE_NAMES = {"proposed": N_("Waiting"), "accepted": N_("In the vote"), "rejected": N_("Rejected")}


class ResultsScreen(SignedInScreen):
    """The results of one participation message."""

    CSS_PATH = "results.tcss"
    NAVIGATION = "show_messages"
    BINDINGS = [
        Binding("escape", "back", N_("Back"), id="results_back"),
        Binding("f", "filter", N_("Neighbourhood"), id="results_filter"),
        Binding("o", "open_answers", N_("Open answers"), id="results_open_answers"),
        Binding("a", "accept", N_("Accept"), id="proposal_accept"),
        Binding("x", "reject", N_("Reject"), id="proposal_reject"),
        Binding("e", "export", N_("Export"), id="results_export"),
        # In the footer while it can be used (open, and the person may close it).
        Binding("c", "close_now", N_("Close now"), id="results_close"),
        # The results follow the stream: f5 is rarely needed; it is in help and the palette,
        # and its place in the footer goes to c at 80 columns.
        Binding("f5", "reload", N_("Reload"), id="results_reload", show=False),
    ]

    def __init__(self, message: Message) -> None:
        super().__init__()
        self.message = message
        self.results: Results | None = None
        self.proposals: list[Proposal] = []
        self.ideas: list[Submission] = []
        self.neighbourhood: int | None = None
        self.neighbourhood_name = ""
        self._pending: Timer | None = None

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="results"):
            yield Static("", id="results-title")
            yield Static(_("Loading the results…"), id="results-state", markup=False)
            yield Static("", id="results-questions")
            yield Static("", id="results-proposals-title", classes="section", markup=False)
            yield Table(id="results-proposals", cursor_type="row", zebra_stripes=True)
            yield Static("", id="results-ideas-title", classes="section", markup=False)
            yield Table(id="results-ideas", cursor_type="row", zebra_stripes=True)
            yield Static(_("Per neighbourhood (enter: only this one)"), classes="section")
            yield Table(id="results-hoods", cursor_type="row", zebra_stripes=True)
            yield Static("", id="results-days")

    def on_mount(self) -> None:
        super().on_mount()
        kind = self.message.kind
        hoods = self.query_one("#results-hoods", DataTable)
        hoods.add_columns(_("Neighbourhood"), _("Taking part"), _("Of its households"))
        proposals = self.query_one("#results-proposals", DataTable)
        # The long columns last: a narrow terminal cuts them, not the votes.
        proposals.add_columns(
            "★", "#", _("Votes"), _("Cost"), _("State"), _("Proposal"), _("Neighbourhood")
        )
        ideas = self.query_one("#results-ideas", DataTable)
        ideas.add_columns("#", _("Status"), _("Category"), _("Neighbourhood"), _("Idea"))
        for widget in ("#results-proposals", "#results-proposals-title"):
            self.query_one(widget).display = kind == "citizen_budget"
        for widget in ("#results-ideas", "#results-ideas-title"):
            self.query_one(widget).display = kind == "call_for_ideas"
        self.query_one("#results-questions").display = kind == "survey"
        (proposals if kind == "citizen_budget" else ideas if kind != "survey" else hoods).focus()
        self.buurt.subscribe(self.on_live_event)
        self.reload()

    def on_unmount(self) -> None:
        self.buurt.unsubscribe(self.on_live_event)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        kind = self.message.kind
        if action in ("accept", "reject"):
            return kind == "citizen_budget"
        if action == "open_answers":
            return kind == "survey"
        if action == "close_now":
            me = self.buurt.me
            still_open = self.results is None or bool(self.results.open)
            return still_open and me is not None and me.may_write_messages
        return True

    # -- data -------------------------------------------------------------------------------

    def on_live_event(self, event: LiveEvent) -> None:
        """Answers and votes arrive: read the results again, at most once a second."""
        if event.type != "results.updated" or event.data.get("message_id") != self.message.id:
            return
        if self._pending is None:
            self._pending = self.set_timer(1.0, self._reload_now)

    def _reload_now(self) -> None:
        self._pending = None
        self.reload()

    def action_reload(self) -> None:
        self.reload()

    @work(exclusive=True, group="results")
    async def reload(self) -> None:
        client = self.buurt.client
        try:
            results = await client.results(self.message.id, self.neighbourhood)
            if self.message.kind == "citizen_budget":
                self.proposals = await client.proposals(self.message.id)
            if self.message.kind == "call_for_ideas":
                page = await client.submissions(
                    SubmissionFilters(message=self.message.id, neighbourhood=self.neighbourhood),
                    limit=200,
                )
                self.ideas = page.items
        except ApiError as error:
            self.buurt.report_connection(error)
            if not self.left:
                self.query_one("#results-state", Static).update(
                    error.message + "  " + _("Press F5 to try again.")
                )
            return
        self.buurt.report_connection(None)
        if not self.left:
            self.results = results
            self.show(results)
            self.refresh_bindings()  # closed meanwhile: c leaves the footer

    def languages(self) -> list[str]:
        return self.buurt.preferred_languages()

    # -- drawing -----------------------------------------------------------------------------

    def show(self, results: Results) -> None:
        languages = self.languages()
        self.query_one("#results-title", Static).update(
            Text(in_language(results.title, languages), style="bold")
        )
        where = self.neighbourhood_name or _("All neighbourhoods")
        self.query_one("#results-state", Static).update(
            f"{state_line(results)}  ·  {headline(results)}\n"
            + _("Showing: {where}  ·  updated {time}").format(
                where=where, time=formats.clock(datetime.now(UTC))
            )
        )
        if results.kind == "survey":
            self.query_one("#results-questions", Static).update(self.questions_text(results))
        self.fill_hoods(results)
        if results.kind == "citizen_budget":
            self.fill_proposals(results)
        if results.kind == "call_for_ideas":
            self.fill_ideas(results)
        days = "  ".join(f"{d.day:%d/%m} {count(d.count)}" for d in results.over_time[-14:])
        self.query_one("#results-days", Static).update(
            _("Per day: {days}").format(days=days) if days else ""
        )

    def questions_text(self, results: Results) -> Text:
        languages = self.languages()
        width = max(10, self.size.width - 60)
        text = Text()
        for q in results.questions:
            text.append(f"{q.index + 1}. {in_language(q.question, languages)}", style="bold")
            text.append(f"  ({kind_label(q)}; " + _("{n} answered").format(n=count(q.answered)))
            text.append(")\n")
            for c in q.choices:
                label = in_language(c.label, languages)[:30]
                share = formats.percent(c.share) if c.share is not None else ""
                text.append(f"   {label:<30} ")
                text.append(f"{bar(c.share, width):<{width}}", style="green")
                text.append(f" {count(c.count):>7} {share:>7}\n")
            if q.average is not None:
                text.append("   " + _("average {value}").format(value=formats.decimal(q.average)))
                text.append("\n")
            if q.type == "open":
                none_yet = q.answered == 0
                text.append(
                    "   "
                    + (_("No answers yet.") if none_yet else _("Press o to read them."))
                    + "\n"
                )
            text.append("\n")
        return text

    def fill_hoods(self, results: Results) -> None:
        table = self.query_one("#results-hoods", DataTable)
        keep = table.cursor_row
        table.clear()
        for hood in results.neighbourhoods:
            rate = formats.percent(hood.rate) if hood.rate is not None else ""
            table.add_row(hood.name, count(hood.count), rate, key=str(hood.id))
        if 0 <= keep < table.row_count:
            table.move_cursor(row=keep)

    def fill_proposals(self, results: Results) -> None:
        ranked = {p.id: p for p in results.proposals}
        order = {"accepted": 1, "proposed": 0, "rejected": 2}
        rows = sorted(
            self.proposals,
            key=lambda p: (order.get(p.state, 3), ranked[p.id].rank if p.id in ranked else 0),
        )
        self.proposals = rows
        table = self.query_one("#results-proposals", DataTable)
        keep = table.cursor_row
        table.clear()
        for p in rows:
            shown = ranked.get(p.id)
            table.add_row(
                "★" if shown and shown.winning else "",
                str(shown.rank) if shown else "",
                count(shown.votes) if shown else "",
                euros(p.cost_eur),
                _(STATE_NAMES.get(p.state, p.state)),
                p.title,
                p.neighbourhood_name,
                key=str(p.id),
            )
        if 0 <= keep < table.row_count:
            table.move_cursor(row=keep)
        waiting = sum(1 for p in rows if p.state == "proposed")
        title = _("Proposals: ★ the winning set, {cost} of {budget}").format(
            cost=euros(results.winning_cost_eur), budget=euros(results.budget_eur)
        )
        if waiting:
            title += "  ·  " + _("{n} waiting for a decision (a accept, x reject)").format(
                n=waiting
            )
        self.query_one("#results-proposals-title", Static).update(title)

    def fill_ideas(self, results: Results) -> None:
        languages = self.languages()
        table = self.query_one("#results-ideas", DataTable)
        table.clear()
        for sub in self.ideas:
            table.add_row(
                str(sub.id),
                _(STATUS_LABELS.get(sub.status, sub.status)),
                sub.category.label(languages),
                sub.neighbourhood_name or "",
                sub.description[:60],
                key=str(sub.id),
            )
        names = {sub.category.code: sub.category.label(languages) for sub in self.ideas}
        per_category = ", ".join(
            f"{names.get(code, code)} {count(n)}"
            for code, n in sorted(results.ideas_by_category.items())
        )
        self.query_one("#results-ideas-title", Static).update(
            _("Ideas sent in answer (enter opens one in the inbox): {counts}").format(
                counts=per_category or "—"
            )
        )

    # -- keys --------------------------------------------------------------------------------

    @on(DataTable.RowSelected, "#results-hoods")
    def _hood_chosen(self, event: DataTable.RowSelected) -> None:
        hood = int(str(event.row_key.value))
        if self.results is None:
            return
        name = next((n.name for n in self.results.neighbourhoods if n.id == hood), "")
        self.set_neighbourhood(hood, name)

    @on(DataTable.RowSelected, "#results-ideas")
    def _idea_chosen(self, event: DataTable.RowSelected) -> None:
        label = _("ideas for “{title}”").format(
            title=in_language(self.message.title, self.languages())
        )
        self.buurt.show_inbox(
            {"message": str(self.message.id)}, label, int(str(event.row_key.value))
        )

    def set_neighbourhood(self, hood: int | None, name: str) -> None:
        self.neighbourhood, self.neighbourhood_name = hood, name
        self.reload()

    @work(group="results-filter")
    async def action_filter(self) -> None:
        try:
            hoods = await self.buurt.client.all_neighbourhoods()
        except ApiError as error:
            self.app.notify(error.message, severity="error")
            return
        options = [(_("All neighbourhoods"), "all")] + [(n.name, str(n.id)) for n in hoods]
        chosen = await self.app.push_screen_wait(
            ChoiceScreen(_("Results of which neighbourhood?"), options)
        )
        if chosen is None:
            return
        if chosen == "all":
            self.set_neighbourhood(None, "")
        else:
            names = {value: label for label, value in options}
            self.set_neighbourhood(int(chosen), names[chosen])

    def current_proposal(self) -> Proposal | None:
        table = self.query_one("#results-proposals", DataTable)
        row = table.cursor_row
        return self.proposals[row] if 0 <= row < len(self.proposals) else None

    @work(group="results-decide")
    async def action_accept(self) -> None:
        proposal = self.current_proposal()
        if proposal is not None:
            await self.decide(proposal, accept=True)

    @work(group="results-decide")
    async def action_reject(self) -> None:
        proposal = self.current_proposal()
        if proposal is None:
            return
        reason = await self.app.push_screen_wait(
            TextEntryScreen(
                _("Why is “{title}” rejected?").format(title=proposal.title),
                _("Its resident reads this."),
            )
        )
        if reason and reason.strip():
            await self.decide(proposal, accept=False, reason=reason.strip())

    async def decide(self, proposal: Proposal, *, accept: bool, reason: str | None = None) -> None:
        try:
            await self.buurt.client.decide_proposal(
                proposal.id, accept=accept, version=proposal.version, reason=reason
            )
        except EditConflict:
            self.app.notify(
                _("A colleague decided on this proposal meanwhile; look again."),
                severity="warning",
            )
        except ApiError as error:
            self.app.notify(error.message, severity="error")
        else:
            done = _("“{title}” is in the vote.") if accept else _("“{title}” is rejected.")
            self.app.notify(done.format(title=proposal.title))
        self.reload()

    def action_open_answers(self) -> None:
        results = self.results
        asks = None if results is None else any(q.type == "open" for q in results.questions)
        self.app.push_screen(OpenAnswersScreen(self.buurt.client, self.message.id, asks=asks))

    @work(group="results-export")
    async def action_export(self) -> None:
        request = self.buurt.client.results_csv(self.message.id, self.neighbourhood)
        destination = Path.cwd() / f"results-{self.message.id}.csv"
        await save_csv(self.app, request, destination)

    @work(group="results-close")
    async def action_close_now(self) -> None:
        sure = await self.app.push_screen_wait(
            ConfirmScreen(
                _("Close it now? No answer, proposal or vote is taken after."),
                yes=_("Close now"),
            )
        )
        if not sure:
            return
        try:
            await self.buurt.client.close_participation(self.message.id)
        except ApiError as error:
            self.app.notify(error.message, severity="error")
            return
        self.reload()

    def action_back(self) -> None:
        self.app.pop_screen()
