"""The Textual app: sign-in, then the signed-in screens, a status header and the keys."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.screen import Screen

from console import __version__, formats
from console.api.errors import (
    ApiError,
    AuthError,
    NotFound,
    NotSignedIn,
    PermissionDenied,
    Unreachable,
)
from console.api.models import Me
from console.bindings import translate_bindings
from console.credentials import UnreadableCredential
from console.frames import drawn
from console.i18n import N_, _, set_language
from console.screens.login import LoginScreen
from console.widgets.status import StatusHeader

# The first frame needs the app and the sign-in or dashboard screen; every other screen is
# imported when first shown (`console.web.tab` replaces LoginScreen here).
if TYPE_CHECKING:
    from console.api.client import ApiClient
    from console.api.models import Message
    from console.api.stream import LiveEvent
    from console.last_seen import LastSeen
    from console.screens.base import SignedInScreen
    from console.screens.host import ConsoleHost
    from console.session import Context

# What needs a signed-in person.
SIGNED_IN_ACTIONS = frozenset(
    {
        "show_dashboard",
        "show_statistics",
        "show_overview",
        "show_messages",
        "show_compose",
        "show_inbox",
        "sign_out",
    }
)


class BuurtApp(App[None]):
    """The staff console."""

    TITLE = "buurt"
    CSS_PATH = "app.tcss"
    BINDINGS = [
        # Shown in the navigation bar under the header, not in the footer: the footer keeps
        # the screen's own actions, and neither is cut off at 80 columns.
        Binding("h", "show_dashboard", N_("Dashboard"), id="dashboard", show=False),
        Binding("g", "show_statistics", N_("Statistics"), id="statistics", show=False),
        Binding("o", "show_overview", N_("Neighbourhoods"), id="overview", show=False),
        Binding("m", "show_messages", N_("Messages"), id="messages", show=False),
        Binding("c", "show_compose", N_("Compose"), id="compose", show=False),
        Binding("t", "show_inbox", N_("Inbox"), id="inbox", show=False),
        Binding("question_mark,f1", "help", N_("Help"), id="help", show=False),
        Binding("ctrl+l", "sign_out", N_("Sign out"), id="sign_out", show=False),
        Binding("q", "quit", N_("Quit"), id="quit", show=False),
    ]

    connection: reactive[str] = reactive("connecting")

    def __init__(
        self,
        context: Context,
        *,
        language: str = "en",
        client_options: dict[str, Any] | None = None,
        stream_options: dict[str, Any] | None = None,
        live: bool = True,
    ) -> None:
        self.language = set_language(language)
        super().__init__()
        translate_bindings(self)
        self.context = context
        self.client_options = client_options or {}
        self._first_message: str | None = None
        self._client: ApiClient | None = None
        self._fresh = False  # the client without the stored sign-in
        try:
            self._stored = bool(context.api_token) or context.credential() is not None
        except UnreadableCredential as error:
            # Say why the sign-in screen shows, instead of pretending nobody signed in.
            self._stored, self._fresh = False, True
            self._first_message = error.message
        self.me: Me | None = None
        self.context.on_warning = self._warn
        self.stream_options = stream_options or {}
        self.live = live  # tests through an in-process transport cannot stream
        self._listeners: list[Callable[[LiveEvent], None]] = []
        if context.config.keys:
            self.set_keymap(context.config.keys)

    # -- start and sign-in ----------------------------------------------------------------

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Notifications are plain text, whatever the caller asks: they often quote what
        someone sent (a title, a name, a server's sentence), and a resident's `[/]` or
        `[@click=…]` must show as typed, not crash or act. Every screen's `notify` ends here."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    @property
    def client(self) -> ApiClient:
        """The API client, made when first used: after the first frame, which does without
        httpx (console.frames)."""
        if self._client is None:
            self._client = self.context.client(fresh=self._fresh, **self.client_options)
        return self._client

    @client.setter
    def client(self, client: ApiClient) -> None:
        self._client = client

    def on_mount(self) -> None:
        if self.context.config.theme in self.available_themes:
            self.theme = self.context.config.theme
        if self._stored:
            self.resume()
        else:
            self.show_login(self._first_message)

    def show_login(self, message: str | None = None) -> None:
        """Show the sign-in screen, pre-filled from the profile."""
        profile = self.context.profile
        screen = LoginScreen(
            url=self.context.url, email=profile.email if profile else None, message=message
        )
        if isinstance(self.screen, LoginScreen):
            self.screen.show_error(message or "")
            return
        self._replace_top(screen, ask=False)  # the sign-in ended: nothing to ask

    def _replace_top(self, screen: Screen[Any], *, ask: bool = True) -> None:
        from console.screens.help import HelpScreen

        # Our screens sit on top of Textual's default screen, which is never replaced.
        while isinstance(self.screen, HelpScreen):
            self.pop_screen()
        if ask and self.open_form() is self.screen:
            # Leaving a form (by the palette, say) with unsent text: asked first.
            self.ask_to_leave(lambda: self._replace_top(screen, ask=False))
            return
        if len(self.screen_stack) > 1:
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    @work(exclusive=True, group="session")
    async def resume(self) -> None:
        """With a stored sign-in: straight to the dashboard. The account of the last start,
        when remembered, draws it at once while the server confirms who is signed in."""
        memory = self.last_seen()
        remembered = memory.me() if memory else None
        if remembered is not None:
            self.me = remembered
            formats.use_timezone(remembered.organisation.municipality.timezone)
            self.show_main()
            await drawn(self)  # what is remembered first, then the server (console.frames)
        try:
            await self.load_me()
        except AuthError as error:
            self.me = None
            self.workers.cancel_group(self, "stream")
            self.show_login(error.message)
            return
        except ApiError as error:
            self.report_connection(error)
            if remembered is None:
                self.show_login(error.message)
            # Otherwise the last figures stay, marked with their time, and the header says
            # the server cannot be reached.
            return
        if self.me != remembered:
            self.show_main()  # first start, or the account changed since: draw anew

    async def sign_in(self, url: str, email: str, password: str) -> None:
        """Sign in (called from the login screen's worker); raises ApiError for it to show."""
        from console.api.client import ApiClient

        url = url.rstrip("/")
        if url != self.context.url or self.client.base_url != url:
            await self.client.aclose()
            self.context.url = url
            self.client = ApiClient(url, on_tokens=self.context.keep, **self.client_options)
        try:
            await self.client.sign_in(email, password)
            await self.load_me()
        except Unreachable:
            self.connection = "offline"
            raise
        self.context.remember_profile(email)
        self.show_main()

    def show_main(self) -> None:
        """The first signed-in screen, and the live stream behind every screen."""
        from console.screens.dashboard import DashboardScreen

        if self.live:
            self.start_stream()
        self._replace_top(DashboardScreen())

    # -- the live stream ------------------------------------------------------------------

    def subscribe(self, listener: Callable[[LiveEvent], None]) -> None:
        """Hear every live event (screens subscribe on mount, unsubscribe on unmount)."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[LiveEvent], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _stream_state(self, state: str) -> None:
        self.connection = state

    @work(exclusive=True, group="stream")
    async def start_stream(self) -> None:
        """Follow the stream until signed out; it reconnects by itself."""
        await drawn(self)  # connecting after the screen's frame (console.frames)
        from console.api.stream import LiveStream  # with httpx: after that frame too

        stream = LiveStream(self.client, on_state=self._stream_state, **self.stream_options)
        try:
            async for event in stream.events():
                self._tell_if_assigned(event)
                for listener in list(self._listeners):
                    listener(event)
        except (AuthError, NotSignedIn) as error:
            self.connection = "offline"
            self.show_login(error.message)
        except (PermissionDenied, NotFound) as error:
            # The live figures are not for this account: say so once, stop trying.
            self.connection = "offline"
            self.notify(
                _("The live updates are not available: {reason}").format(reason=error.message),
                severity="warning",
                timeout=15,
            )

    def _tell_if_assigned(self, event: LiveEvent) -> None:
        """A colleague handed you an item: say so, whichever screen is open."""
        data = event.data
        me = self.me
        if (
            event.type == "submission.updated"
            and me is not None
            and "assignee" in str(data.get("change", "")).split(",")
            and data.get("assignee_account_id") == me.id
            and data.get("by_account_id") != me.id
        ):
            self.notify(
                _("#{id} was assigned to you by {name}. Press t for the inbox.").format(
                    id=data.get("id"), name=data.get("by_name") or _("a colleague")
                ),
                title=_("Assigned to you"),
                timeout=15,
            )

    def _warn(self, message: str) -> None:
        self.notify(message, severity="warning", timeout=10)

    # -- connection -----------------------------------------------------------------------

    def report_connection(self, error: ApiError | None) -> None:
        """Screens tell the app how their last call went; the stream tells the rest."""
        if isinstance(error, Unreachable):
            self.connection = "offline"

    def watch_connection(self, value: str) -> None:
        for header in self.screen.query(StatusHeader):
            header.connection = value

    def update_header(self, header: StatusHeader) -> None:
        """Fill a screen's header with who and where."""
        if self.me:
            header.organisation = self.me.organisation.name
            header.user = self.me.name
        header.server = self.context.url
        header.connection = self.connection

    # -- actions --------------------------------------------------------------------------

    async def load_me(self) -> None:
        """Ask who is signed in; from then on times show in their municipality's zone."""
        self.me = await self.client.me()
        formats.use_timezone(self.me.organisation.municipality.timezone)
        memory = self.last_seen()
        if memory:
            memory.keep_me(self.me)

    def last_seen(self) -> LastSeen | None:
        """What this profile last saw, to draw at once (not with a script's BUURT_TOKEN)."""
        return None if self.context.api_token else self.context.last_seen()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Signed out, there is nowhere to go but the sign-in (its footer offers no "Sign out").
        return not (self.me is None and action in SIGNED_IN_ACTIONS)

    def may(self, action: str) -> bool:
        """Whether the signed-in person's roles (and token) allow the screen behind `action`:
        the navigation bar and the palette list only those."""
        if self.me is None:
            return action not in SIGNED_IN_ACTIONS
        if action == "show_compose":
            return self.me.may_write_messages
        if action == "show_inbox":
            return self.me.may_read_inbox
        return True

    def _refused(self, action: str) -> bool:
        """Say up front when the roles do not allow a screen (before anything is typed)."""
        if self.me is None or self.may(action):
            return False
        self.notify(
            _("Writing city messages needs the communicator or admin role.")
            if action == "show_compose"
            else _("Reports and ideas are for moderators, analysts and admins."),
            severity="warning",
        )
        return True

    def action_show_overview(self) -> None:
        from console.screens.overview import OverviewScreen

        if self.me and not isinstance(self.screen, OverviewScreen):
            self._replace_top(OverviewScreen())

    def preferred_languages(self) -> list[str]:
        """The person's language first, then the municipality's, for texts in several."""
        spoken = list(self.me.organisation.municipality.languages) if self.me else []
        return [self.language, *(lang for lang in spoken if lang != self.language)]

    def action_show_dashboard(self) -> None:
        from console.screens.dashboard import DashboardScreen

        if self.me and not isinstance(self.screen, DashboardScreen):
            self._replace_top(DashboardScreen())

    def action_show_statistics(self) -> None:
        from console.screens.statistics import StatisticsScreen

        if self.me and not isinstance(self.screen, StatisticsScreen):
            self._replace_top(StatisticsScreen())

    def show_messages(self) -> None:
        """The list of city messages."""
        from console.screens.messages import MessagesScreen

        if self.me:
            self._replace_top(MessagesScreen())

    def show_compose(self, message: Message | None = None, *, duplicate: bool = False) -> None:
        """Write a new message, or edit or duplicate `message`."""
        from console.screens.compose import ComposeScreen

        if self.me:
            back = self._reopenable(self.screen)
            self._replace_top(ComposeScreen(message, duplicate=duplicate, back=back))

    def _reopenable(self, screen: Screen[Any]) -> Callable[[], Screen[Any]] | None:
        # The main screens (built without arguments) can be opened again on leaving compose.
        from console.screens.dashboard import DashboardScreen
        from console.screens.inbox import InboxScreen
        from console.screens.messages import MessagesScreen
        from console.screens.overview import OverviewScreen
        from console.screens.statistics import StatisticsScreen

        kinds = (DashboardScreen, InboxScreen, MessagesScreen, StatisticsScreen, OverviewScreen)
        return type(screen) if isinstance(screen, kinds) else None

    def reopen(self, factory: Callable[[], Screen[Any]]) -> None:
        """Show a new screen made by `factory` in place of the current one."""
        self._replace_top(factory())

    def action_show_messages(self) -> None:
        from console.screens.messages import MessagesScreen

        if not isinstance(self.screen, MessagesScreen):
            self.show_messages()

    def action_show_compose(self) -> None:
        from console.screens.compose import ComposeScreen

        if self._refused("show_compose"):
            return
        if not isinstance(self.screen, ComposeScreen):
            self.show_compose()

    def show_inbox(
        self, holder: dict[str, str] | None = None, label: str = "", open_id: int | None = None
    ) -> None:
        """The moderators' inbox of reports and ideas (on a filter and an item, if given)."""
        from console.screens.inbox import InboxScreen

        if self.me:
            self._replace_top(InboxScreen(holder, label, open_id))

    def action_show_inbox(self) -> None:
        from console.screens.inbox import InboxScreen

        if self._refused("show_inbox"):
            return
        if not isinstance(self.screen, InboxScreen):
            self.show_inbox()

    def action_help(self) -> None:
        from console.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            return
        # Our bindings all carry an id; Textual's own (cursor keys and the like) do not.
        by_action: dict[str, tuple[list[str], str]] = {}
        for _key, (_node, binding, _enabled, _tip) in self.screen.active_bindings.items():
            if not binding.id or not binding.description:
                continue
            keys_of, _desc = by_action.setdefault(binding.action, ([], binding.description))
            keys_of.append(self.get_key_display(binding))
        keys = [(" / ".join(k), description) for k, description in by_action.values()]
        keys.append(("ctrl+p", _("Command palette")))
        self.push_screen(HelpScreen(keys))

    def open_form(self) -> SignedInScreen | None:
        """The form (compose) open under any popups, when leaving it would leave typed text
        unsent."""
        from console.screens.base import SignedInScreen

        for screen in reversed(self.screen_stack):
            if isinstance(screen, SignedInScreen):
                return screen if screen.FORM and screen.unsent() else None
        return None

    def ask_to_leave(self, then: Callable[[], object]) -> None:
        """Ask before leaving the open form's unsent text; `then` when the person agrees."""
        form = self.open_form()
        if form is None:
            then()
            return
        question, details = form.leave_question()

        def answered(leave: bool | None) -> None:
            if leave and form is not None:
                form.let_go()
                then()

        from console.screens.confirm import ConfirmScreen

        self.push_screen(ConfirmScreen(question, yes=_("Leave"), details=details), answered)

    def action_sign_out(self) -> None:
        self.ask_to_leave(self.sign_out)

    @work(exclusive=True, group="session")
    async def sign_out(self) -> None:
        if self.me is None:
            return
        # Signed out locally all the same when the server cannot be told.
        with contextlib.suppress(ApiError):
            await self.client.sign_out()
        self.context.forget()
        self.workers.cancel_group(self, "stream")
        self.me = None
        self.show_login(_("You are signed out."))

    def screen_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Every action of the screen in front (its keys), for the palette: whatever the
        footer has room for, the palette finds ("assign", "export")."""
        seen: set[str] = set()
        for key, (node, binding, enabled, _tip) in screen.active_bindings.items():
            if node is self or not enabled or not binding.id or not binding.description:
                continue
            if binding.action in seen:
                continue
            seen.add(binding.action)
            yield SystemCommand(
                _(binding.description),
                _("Key: {key}").format(key=self.get_key_display(binding) or key),
                functools.partial(self.run_action, binding.action, node),
            )

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from self.screen_commands(screen)
        if self.me:
            yield SystemCommand(
                _("Dashboard"), _("Live figures of your neighbourhoods"), self.action_show_dashboard
            )
            yield SystemCommand(
                _("Statistics"), _("Charts, neighbourhoods compared, topics"),
                self.action_show_statistics,
            )  # fmt: skip
            yield SystemCommand(
                _("Neighbourhoods"),
                _("The neighbourhoods your organisation can address"),
                self.action_show_overview,
            )
            if self.may("show_compose"):
                yield SystemCommand(
                    _("Compose"), _("Write a message to one, some or all neighbourhoods"),
                    self.action_show_compose,
                )  # fmt: skip
            yield SystemCommand(
                _("Messages"), _("Published, scheduled and draft messages"),
                self.action_show_messages,
            )  # fmt: skip
            if self.may("show_inbox"):
                yield SystemCommand(
                    _("Inbox"), _("Triage residents' reports and ideas"), self.action_show_inbox
                )
            yield SystemCommand(_("Sign out"), _("End this sign-in"), self.action_sign_out)
        yield SystemCommand(_("Help"), _("Show the keys"), self.action_help)
        yield SystemCommand(_("Change theme"), _("Pick a colour theme"), self.action_change_theme)
        yield SystemCommand(_("Quit"), _("Leave the console"), self.action_quit)

    async def action_quit(self) -> None:
        self.ask_to_leave(self.quit)

    @work(group="quit")
    async def quit(self) -> None:
        if self._client is not None:  # not made to be closed
            await self._client.aclose()
        self.exit()


if TYPE_CHECKING:

    def _is_a_host(app: BuurtApp) -> ConsoleHost:
        # mypy checks here that the app is what its screens expect of it.
        return app


__all__ = ["BuurtApp", "__version__"]
