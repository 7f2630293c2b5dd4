"""Compose: a city message in each language, its kind's fields, the neighbourhoods it goes
to with the live reach, a schedule, a preview, and a confirmation that states the reach.

What is typed is saved locally as it is typed, and offered back when the screen reopens.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import (
    Button,
    Input,
    Label,
    Select,
    SelectionList,
    Static,
    TabbedContent,
    TabPane,
    TextArea,
)

from console import formats
from console.api.errors import ApiError, EditConflict
from console.api.models import Message, Neighbourhood
from console.composing import (
    KIND_FIELD,
    KIND_LABELS,
    KINDS,
    ComposeError,
    Draft,
    format_questions,
    idempotency_key,
    parse_local_time,
    parse_questions,
    zone,
)
from console.drafts import DraftStore, DraftUnreadable
from console.i18n import N_, _, ngettext
from console.screens.base import SignedInScreen
from console.screens.confirm import ConfirmScreen
from console.screens.conflict import ConflictScreen
from console.screens.preview import PreviewScreen
from console.settings import data_dir
from console.widgets.field_error import clear_refusals, refuse
from console.widgets.picker import Picker

AUTOSAVE_DELAY = 0.4
URGENCIES = (("low", N_("Low")), ("medium", N_("Medium")), ("high", N_("High")))
# The form's widget for each field a ComposeError can name (`title:nl` is `#title-nl`).
FIELD_WIDGETS = {
    "targets": "hoods",
    "event.place": "event-place",
    "event.starts_at": "event-starts",
    "event.ends_at": "event-ends",
    "survey.questions": "survey-questions",
    "survey.closes_at": "survey-closes",
    "budget.budget_eur": "budget-amount",
    "budget.deadline": "budget-deadline",
    "alert.urgency": "alert-urgency",
}
FIELD_IDS = (
    "event-place",
    "event-starts",
    "event-ends",
    "survey-closes",
    "survey-questions",
    "budget-amount",
    "budget-deadline",
    "alert-urgency",
)


class ComposeScreen(SignedInScreen):
    """Write, target, schedule and send a city message."""

    CSS_PATH = "compose.tcss"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    NAVIGATION = "show_compose"
    FORM = True
    BINDINGS = [
        Binding("f2", "preview", N_("Preview"), priority=True, id="preview"),
        Binding("f3", "save_draft", N_("Save draft"), priority=True, id="save_draft"),
        Binding("f4", "send", N_("Publish"), priority=True, id="send"),
        Binding("escape", "leave", N_("Back"), id="leave_compose"),
    ]

    def __init__(
        self,
        message: Message | None = None,
        *,
        duplicate: bool = False,
        back: Callable[[], Screen[Any]] | None = None,
    ) -> None:
        super().__init__()
        # Where Esc goes: the screen compose was opened from (the messages list otherwise).
        self.back = back
        # Editing a server message (None for a new one); a duplicate starts as a new draft.
        self.editing = None if duplicate else message
        self.source = message
        self.neighbourhoods: list[Neighbourhood] = []
        self.chosen: set[int] = set()
        self._autosave_timer: Timer | None = None
        self._ready = False
        self._sent = False
        self._left = False
        # The form as it opened (empty, restored, or the message being edited): what differs
        # from it is unsent text, asked about before leaving.
        self._opened: dict[str, Any] | None = None
        self._store: DraftStore | None = None
        # One intent per compose session (or per restored draft): see Draft.intent.
        self.intent = Draft().intent

    @property
    def store(self) -> DraftStore:
        """The local autosave of this profile's unsent message."""
        if self._store is None:
            self._store = DraftStore(data_dir(), self.buurt.context.profile_name)
        return self._store

    # -- layout ---------------------------------------------------------------------------

    @property
    def languages(self) -> list[str]:
        me = self.buurt.me
        return list(me.organisation.municipality.languages) if me else ["nl"]

    @property
    def timezone(self) -> str:
        me = self.buurt.me
        return me.organisation.municipality.timezone if me else "Europe/Brussels"

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="compose"):
            with VerticalScroll(id="compose-main"):
                yield Static("", id="compose-title")
                # What the server refused, in view above the form (a field's own refusal
                # is said under that field).
                yield Static("", id="compose-error", markup=False)
                yield from self._compose_texts()
                yield from self._compose_kind_fields()
            yield from self._compose_targets()

    def _compose_texts(self) -> ComposeResult:
        """The kind, the schedule, and a tab of title and body per language."""
        with Horizontal(id="compose-top"):
            yield Select(
                [(_(KIND_LABELS[k]), k) for k in KINDS],
                value="announcement",
                allow_blank=False,
                id="kind",
            )
            yield Input(placeholder=_("Now, or YYYY-MM-DD HH:MM"), id="schedule")
        with TabbedContent(id="languages"):
            for lang in self.languages:
                with TabPane(Content(lang.upper()), id=f"tab-{lang}"):
                    yield Input(placeholder=_("Title"), id=f"title-{lang}", max_length=140)
                    yield TextArea(id=f"body-{lang}", language="markdown", soft_wrap=True)

    def _compose_kind_fields(self) -> ComposeResult:
        """The fields of an event, a survey, a budget and an alert (one shows at a time)."""
        with Vertical(id="fields-event", classes="kind-fields"):
            yield Label(_("Place"))
            yield Input(id="event-place")
            yield Label(_("Starts (YYYY-MM-DD HH:MM)"))
            yield Input(id="event-starts")
            yield Label(_("Ends (YYYY-MM-DD HH:MM)"))
            yield Input(id="event-ends")
        with Vertical(id="fields-survey", classes="kind-fields"):
            # Not markup: the square brackets are what one types.
            yield Label(
                _(
                    "Questions, one per line: Question? | choice | choice. "
                    "[multiple 2], [scale] (1-5) or [open] in front for another type; "
                    "under a question, “  fr: Question ? | choix | choix” for each "
                    "other language"
                ),
                markup=False,
            )
            yield TextArea(id="survey-questions", soft_wrap=True)
            yield Label(_("Closes (YYYY-MM-DD HH:MM)"))
            yield Input(id="survey-closes")
        with Vertical(id="fields-budget", classes="kind-fields"):
            yield Label(_("Budget in euros"))
            yield Input(id="budget-amount", type="integer")
            yield Label(_("Deadline (YYYY-MM-DD HH:MM)"))
            yield Input(id="budget-deadline")
        with Vertical(id="fields-alert", classes="kind-fields"):
            yield Label(_("Urgency"))
            yield Select(
                [(_(label), value) for value, label in URGENCIES],
                value="medium",
                allow_blank=False,
                id="alert-urgency",
            )

    def _compose_targets(self) -> ComposeResult:
        """The neighbourhoods addressed, and their reach."""
        with Vertical(id="compose-targets"):
            yield Label(_("Neighbourhoods"), id="targets-title")
            yield Input(placeholder=_("Filter"), id="hood-filter")
            with Horizontal(id="hood-buttons"):
                yield Button(_("All"), id="hood-all")
                yield Button(_("None"), id="hood-none")
            yield Picker[int](id="hoods")
            yield Static("", id="reach")

    def on_mount(self) -> None:
        super().on_mount()
        heading = _("New message")
        if self.editing:
            heading = _("Edit message #{id}").format(id=self.editing.id)
        self.query_one("#compose-title", Static).update(heading)
        self.query_one("#compose-error").display = False
        self.show_kind_fields("announcement")
        self.load_neighbourhoods()

    # -- loading and restoring --------------------------------------------------------------

    @work(exclusive=True, group="compose-load")
    async def load_neighbourhoods(self) -> None:
        try:
            self.neighbourhoods = await self.buurt.client.all_neighbourhoods()
        except ApiError as error:
            self.show_error(error.message)
            self.buurt.report_connection(error)
            return
        if self.source is not None:
            self.fill(self.draft_from_message(self.source))
        else:
            # Nothing chosen: "all" is a choice the sender makes (the All button), reach shown.
            self.chosen = set()
            self.rebuild_hoods()
            try:
                saved = self.store.load()
            except DraftUnreadable as damaged:
                saved = None
                self.show_error(
                    _(
                        "The message you were writing could not be read back; its file was "
                        "kept as {path}."
                    ).format(path=damaged.path)
                )
            if saved is not None and saved.message_id is None:
                restore = await self.app.push_screen_wait(
                    ConfirmScreen(
                        _("Restore the unsent message you were writing?"),
                        yes=_("Restore"),
                        details=_("Saved at {time}: “{title}”").format(
                            time=formats.moment(datetime.fromisoformat(saved.saved_at)),
                            title=next((t for t in saved.title.values() if t), "…"),
                        ),
                    )
                )
                if restore:
                    self.fill(saved)
                else:
                    self.store.clear()
        self._ready = True
        self._opened = self.typed()
        self.update_reach()
        self.query_one(f"#title-{self.languages[0]}", Input).focus()

    def typed(self) -> dict[str, Any]:
        """What the form holds, to compare with how it opened."""
        draft = self.read_form().to_json()
        for key in ("intent", "saved_at", "details"):
            draft.pop(key, None)
        return draft

    def unsent(self) -> bool:
        return (
            self._ready
            and not (self._sent or self._left)
            and self._opened is not None
            and self.typed() != self._opened
        )

    def let_go(self) -> None:
        self._left = True
        self.save_locally()

    def leave_question(self) -> tuple[str, str]:
        return (
            _("Leave the message you are writing?"),
            _("It is kept on this computer and offered when you open compose again."),
        )

    def draft_from_message(self, message: Message) -> Draft:
        """A message as the form shows it (times in the municipality's zone)."""
        fields: dict[str, str] = {}
        tz = self.timezone

        def local(value: Any) -> str:
            if not value:
                return ""
            moment = datetime.fromisoformat(value) if isinstance(value, str) else value
            return moment.astimezone(zone(tz)).strftime("%Y-%m-%d %H:%M")

        if message.event:
            fields.update(
                {
                    "event-place": message.event.get("place", ""),
                    "event-starts": local(message.event.get("starts_at")),
                    "event-ends": local(message.event.get("ends_at")),
                }
            )
        if message.survey:
            order = [*message.title, *self.languages]
            fields["survey-questions"] = format_questions(
                message.survey.get("questions", []), list(dict.fromkeys(order))
            )
            fields["survey-closes"] = local(message.survey.get("closes_at"))
        if message.budget:
            fields["budget-amount"] = str(message.budget.get("budget_eur", ""))
            fields["budget-deadline"] = local(message.budget.get("deadline"))
        if message.alert:
            fields["alert-urgency"] = message.alert.get("urgency", "medium")
        targets: str | list[int] = message.targets
        return Draft(
            kind=message.kind,
            title=dict(message.title),
            body=dict(message.body),
            targets=targets,
            fields=fields,
            schedule=local(message.scheduled_at) if self.editing else "",
            message_id=self.editing.id if self.editing else None,
            version=self.editing.version if self.editing else None,
        )

    def fill(self, draft: Draft) -> None:
        """Put a draft into the form."""
        self.intent = draft.intent
        self.query_one("#kind", Select).value = draft.kind
        self.query_one("#schedule", Input).value = draft.schedule
        for lang in self.languages:
            self.query_one(f"#title-{lang}", Input).value = draft.title.get(lang, "")
            self.query_one(f"#body-{lang}", TextArea).text = draft.body.get(lang, "")
        for field_id in FIELD_IDS:
            value = draft.fields.get(field_id)
            if value is None:
                continue
            widget = self.query_one(f"#{field_id}")
            if isinstance(widget, Input):
                widget.value = value
            elif isinstance(widget, TextArea):
                widget.text = value
            elif isinstance(widget, Select):
                widget.value = value
        all_ids = {n.id for n in self.neighbourhoods}
        wanted = all_ids if draft.targets == "all" else {int(t) for t in draft.targets}
        self.chosen = wanted & all_ids
        self.rebuild_hoods()
        self.show_kind_fields(draft.kind)

    # -- reading the form -------------------------------------------------------------------

    def read_form(self) -> Draft:
        """What is in the form now (raw; nothing is checked here)."""
        fields: dict[str, str] = {}
        for field_id in FIELD_IDS:
            widget = self.query_one(f"#{field_id}")
            if isinstance(widget, Input):
                fields[field_id] = widget.value
            elif isinstance(widget, TextArea):
                fields[field_id] = widget.text
            elif isinstance(widget, Select):
                fields[field_id] = str(widget.value)
        all_ids = {n.id for n in self.neighbourhoods}
        targets: str | list[int] = (
            "all" if all_ids and self.chosen >= all_ids else sorted(self.chosen)
        )
        return Draft(
            kind=str(self.query_one("#kind", Select).value),
            title={lang: self.query_one(f"#title-{lang}", Input).value for lang in self.languages},
            body={lang: self.query_one(f"#body-{lang}", TextArea).text for lang in self.languages},
            targets=targets,
            fields=fields,
            schedule=self.query_one("#schedule", Input).value,
            message_id=self.editing.id if self.editing else None,
            version=self.editing.version if self.editing else None,
            intent=self.intent,
        )

    def with_details(self, draft: Draft) -> Draft:
        """The draft with its kind's fields parsed for the API; ComposeError if they are wrong."""
        f, tz = draft.fields, self.timezone

        def when(key: str) -> str | None:
            text = f.get(key, "").strip()
            try:
                return parse_local_time(text, tz).isoformat() if text else None
            except ComposeError as error:
                raise ComposeError(str(error), key) from None

        name = KIND_FIELD.get(draft.kind)
        block: dict[str, Any] = {}
        if name == "event":
            block = {
                "place": f.get("event-place", "").strip(),
                "starts_at": when("event-starts"),
                "ends_at": when("event-ends"),
            }
        elif name == "survey":
            # The languages the message is written in, the one typed first leading.
            written = draft.languages() or self.languages[:1]
            languages = [lang for lang in self.languages if lang in written]
            try:
                questions = parse_questions(f.get("survey-questions", ""), languages)
            except ComposeError as error:
                raise ComposeError(str(error), "survey-questions") from None
            block = {"questions": questions, "closes_at": when("survey-closes")}
        elif name == "budget":
            amount = f.get("budget-amount", "").strip()
            block = {
                "budget_eur": int(amount) if amount else None,
                "deadline": when("budget-deadline"),
            }
            if draft.kind == "call_for_ideas" and block["budget_eur"] is None:
                block["budget_eur"] = 0
        elif name == "alert":
            block = {"urgency": f.get("alert-urgency", "medium")}
        draft.details = {name: block} if name else {}
        return draft

    # -- reacting to input --------------------------------------------------------------------

    def show_kind_fields(self, kind: str) -> None:
        wanted = KIND_FIELD.get(kind)
        for name in ("event", "survey", "budget", "alert"):
            self.query_one(f"#fields-{name}").display = name == wanted

    @on(Select.Changed, "#kind")
    def _kind_changed(self, event: Select.Changed) -> None:
        self.show_kind_fields(str(event.value))
        self.autosave()

    @on(Input.Changed)
    @on(TextArea.Changed)
    @on(Select.Changed)
    def _typed(self, event: Any) -> None:
        widget = getattr(event, "input", None) or getattr(event, "text_area", None)
        if getattr(widget, "id", None) == "hood-filter":
            self.rebuild_hoods(first=True)
            return
        self.hide_error()
        self.autosave()

    @on(SelectionList.SelectedChanged, "#hoods")
    def _targets_changed(self, event: SelectionList.SelectedChanged[int]) -> None:
        visible = {n.id for n in self.visible_hoods()}
        self.chosen = (self.chosen - visible) | set(event.selection_list.selected)
        self.update_reach()
        self.autosave()

    @on(Button.Pressed, "#hood-all")
    def _all(self) -> None:
        self.chosen |= {n.id for n in self.visible_hoods()}
        self.rebuild_hoods()

    @on(Button.Pressed, "#hood-none")
    def _none(self) -> None:
        self.chosen -= {n.id for n in self.visible_hoods()}
        self.rebuild_hoods()

    def visible_hoods(self) -> list[Neighbourhood]:
        needle = self.query_one("#hood-filter", Input).value.strip().casefold()
        return [n for n in self.neighbourhoods if needle in n.name.casefold()]

    @on(Input.Submitted, "#hood-filter")
    def _to_the_list(self) -> None:
        self.query_one("#hoods").focus()

    def on_key(self, event: events.Key) -> None:
        super().on_key(event)
        # Down from the filter goes to its matches, the first one ready for space.
        if event.key == "down" and self.focused is self.query_one("#hood-filter"):
            event.stop()
            self.query_one("#hoods").focus()

    def rebuild_hoods(self, *, first: bool = False) -> None:
        """Show the neighbourhoods that match the filter; the choice survives filtering. The
        highlight stays where it was, or on the first match (`first`): space picks it at once,
        without a `down` first."""
        picker = self.query_one("#hoods", SelectionList)
        was = picker.highlighted
        picker.clear_options()
        picker.add_options(
            [
                (
                    Text(
                        f"{n.name}  {formats.number(n.registered_households)}/"
                        f"{formats.number(n.total_households)}"
                    ),
                    n.id,
                    n.id in self.chosen,
                )
                for n in self.visible_hoods()
            ]
        )
        if picker.option_count:
            picker.highlighted = 0 if first or was is None else min(was, picker.option_count - 1)
        self.update_reach()

    def update_reach(self) -> None:
        chosen = [n for n in self.neighbourhoods if n.id in self.chosen]
        registered = sum(n.registered_households for n in chosen)
        total = sum(n.total_households for n in chosen)
        text = ngettext(
            "Reach: {registered} registered households (of {total}) in {count} neighbourhood",
            "Reach: {registered} registered households (of {total}) in {count} neighbourhoods",
            len(chosen),
        ).format(
            registered=formats.number(registered), total=formats.number(total), count=len(chosen)
        )
        self.query_one("#reach", Static).update(text)

    def autosave(self) -> None:
        """Save locally a moment after the last keystroke."""
        if not self._ready:
            return
        if self._autosave_timer is not None:
            self._autosave_timer.stop()
        self._autosave_timer = self.set_timer(AUTOSAVE_DELAY, self.save_locally)

    def save_locally(self) -> None:
        if self._sent:
            return  # sent or saved on the server: a late autosave must not bring it back
        self.store.save(self.read_form())

    def show_error(self, message: str) -> None:
        """A refusal that is about no one field (the server's), at the top of the form."""
        error = self.query_one("#compose-error", Static)
        error.update(message)
        error.display = True
        error.scroll_visible(animate=False)

    def hide_error(self) -> None:
        self.query_one("#compose-error").display = False
        clear_refusals(self)

    def refuse(self, error: ComposeError) -> None:
        """Say why under the field it is about, and put the cursor there."""
        name = error.field or ""
        widget_id = FIELD_WIDGETS.get(name) or name.replace(":", "-")
        widgets = self.query(f"#{widget_id}") if widget_id else None
        if not widgets:
            self.show_error(str(error))
            return
        self.hide_error()
        lang = name.partition(":")[2]
        if lang:
            self.query_one("#languages", TabbedContent).active = f"tab-{lang}"
        refuse(widgets.first(), str(error))

    def when(self, schedule: str) -> datetime | None:
        """The schedule typed, in the municipality's zone; None to publish now."""
        if not schedule.strip():
            return None
        try:
            moment = parse_local_time(schedule, self.timezone)
        except ComposeError as error:
            raise ComposeError(str(error), "schedule") from None
        if moment <= datetime.now(moment.tzinfo):
            raise ComposeError(
                _("{time} has passed: give a later time, or none to publish now.").format(
                    time=formats.moment(moment)
                ),
                "schedule",
            )
        return moment

    # -- actions ------------------------------------------------------------------------------

    def action_preview(self) -> None:
        draft = self.read_form()
        try:
            # With the kind's fields: a survey's preview shows its questionnaire.
            draft = self.with_details(draft)
        except ComposeError as error:
            self.refuse(error)
        tabs = self.query_one("#languages", TabbedContent)
        lang = (tabs.active or f"tab-{self.languages[0]}").removeprefix("tab-")
        self.app.push_screen(PreviewScreen(draft, lang))

    def action_leave(self) -> None:
        self.buurt.ask_to_leave(self.go_back)

    def go_back(self) -> None:
        self._left = True
        self.save_locally()
        if self.back is not None:
            self.buurt.reopen(self.back)
        else:
            self.buurt.show_messages()

    def action_save_draft(self) -> None:
        self.send("draft")

    def action_send(self) -> None:
        self.send("publish")

    @work(exclusive=True, group="compose-send")
    async def send(self, intent: str) -> None:
        """Check, confirm with the reach, then save, schedule or publish (once)."""
        self.save_locally()
        form = self.read_form()
        try:
            draft = self.with_details(form)
            content = draft.content()
            when = self.when(draft.schedule)
        except ComposeError as error:
            self.refuse(error)
            return
        client = self.buurt.client
        action = "draft" if intent == "draft" else ("schedule" if when else "publish")
        if action != "draft":
            try:
                reach = await client.reach(content["targets"])
            except ApiError as error:
                self.show_error(error.message)
                self.buurt.report_connection(error)
                return
            title = next(iter(content["title"].values()))
            question = (
                _("Schedule “{title}” for {when}?").format(title=title, when=formats.moment(when))
                if when
                else _("Publish “{title}” now?").format(title=title)
            )
            details = ngettext(
                "It goes to {count} neighbourhood and reaches {registered} registered "
                "households (of {total}).",
                "It goes to {count} neighbourhoods and reaches {registered} registered "
                "households (of {total}).",
                len(reach.neighbourhoods),
            ).format(
                count=len(reach.neighbourhoods),
                registered=formats.number(reach.registered_households),
                total=formats.number(reach.total_households),
            )
            yes = _("Schedule") if when else _("Publish")
            if not await self.app.push_screen_wait(
                ConfirmScreen(question, yes=yes, details=details)
            ):
                return
        me = self.buurt.me
        scope = f"{client.base_url}|{me.organisation.id if me else ''}"
        key = idempotency_key(scope, content, action, when, self.intent)
        try:
            message = await self.submit(content, action, when, key)
        except EditConflict as conflict:
            await self.resolve_conflict(conflict, content, action, when, key)
            return
        except ApiError as error:
            self.show_error(error.message)
            self.buurt.report_connection(error)
            return
        self.finish(message)

    async def submit(self, content: dict[str, Any], action: str, when: Any, key: str) -> Message:
        client = self.buurt.client
        if self.editing is None:
            return await client.create_message(
                content, action=action, scheduled_at=when, idempotency_key=key
            )
        state = "scheduled" if action == "schedule" else "draft"
        message = await client.edit_message(
            self.editing.id, content, version=self.editing.version, state=state, scheduled_at=when
        )
        self.editing = message
        if action == "publish":
            message = await client.publish_message(message.id, idempotency_key=key)
        return message

    async def resolve_conflict(
        self, conflict: EditConflict, content: dict[str, Any], action: str, when: Any, key: str
    ) -> None:
        """Someone else saved first: show both, let the person keep theirs or take the other."""
        current = Message.model_validate(conflict.current) if conflict.current else None
        if current is None:
            self.show_error(conflict.message)
            return
        choice = await self.app.push_screen_wait(ConflictScreen(mine=content, theirs=current))
        if choice == "mine":
            self.editing = current
            try:
                self.finish(await self.submit(content, action, when, key))
            except ApiError as error:
                self.show_error(error.message)
        elif choice == "theirs":
            self.editing = current
            self.source = current
            self.fill(self.draft_from_message(current))
            self.save_locally()

    def finish(self, message: Message) -> None:
        self._sent = True
        if self._autosave_timer is not None:
            self._autosave_timer.stop()
        self.store.clear()
        title = next(iter(message.title.values()))
        notes = {
            "published": _("Published “{title}”."),
            "scheduled": _("Scheduled “{title}”."),
            "draft": _("Saved “{title}” as a draft."),
        }
        self.app.notify(notes.get(message.state, "{title}").format(title=title))
        self.buurt.show_messages()
