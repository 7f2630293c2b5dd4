"""What every signed-in screen shares: the status header, the footer, translated keys."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from textual import events
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, LoadingIndicator, Static

from console.api.errors import ApiError
from console.bindings import translate_bindings
from console.i18n import _
from console.widgets.navigation import NavigationBar
from console.widgets.status import StatusHeader

if TYPE_CHECKING:
    from console.screens.host import ConsoleHost

T = TypeVar("T")


class SignedInScreen(Screen[None]):
    """A screen with the status header and the navigation bar on top and its own keys in
    the footer."""

    # The app's action that opens this screen (highlighted in the navigation bar).
    NAVIGATION: str | None = None
    # A form (compose): every letter typed goes to it, whichever widget has the focus; the
    # app's one-letter screen keys do nothing here, and leaving with unsent text asks first.
    FORM = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        translate_bindings(self)

    @property
    def buurt(self) -> ConsoleHost:
        """The app, as screens see it (console.screens.host)."""
        return cast("ConsoleHost", self.app)

    @property
    def left(self) -> bool:
        """The person has moved on to another screen (this one is out of the stack and its
        widgets are going): an answer that arrives now is not shown."""
        return self not in self.app.screen_stack

    def compose(self) -> ComposeResult:
        yield StatusHeader()
        yield NavigationBar(self.NAVIGATION, form=self.FORM)
        yield from self.compose_body()
        yield Footer()

    def compose_body(self) -> ComposeResult:
        """The screen's own widgets, between header and footer."""
        yield from ()

    def compose_loading(self, name: str) -> ComposeResult:
        """The loading indicator and the error line that `fetch(…, name)` shows and hides."""
        yield LoadingIndicator(id=f"{name}-loading")
        yield Static("", id=f"{name}-error", markup=False)

    async def fetch(self, request: Awaitable[T], name: str) -> T | None:
        """Await a request of the server with `#name-loading` shown; a problem goes into
        `#name-error` with how to try again, and the header hears how the connection is.
        None when the request failed or the person has left the screen meanwhile."""
        loading = self.query_one(f"#{name}-loading")
        error = self.query_one(f"#{name}-error", Static)
        loading.display = True
        error.display = False
        try:
            answer = await request
        except ApiError as problem:
            if not self.left:
                error.update(problem.message + "  " + _("Press F5 to try again."))
                error.display = True
            self.buurt.report_connection(problem)
            return None
        finally:
            loading.display = False
        self.buurt.report_connection(None)
        return None if self.left else answer

    def on_mount(self) -> None:
        self.buurt.update_header(self.query_one(StatusHeader))

    def on_key(self, event: events.Key) -> None:
        """In a form, a printable key that only the app binds (`o`, `g`, `q`, `?`: another
        screen) is swallowed: with the focus on a selector, a button or a tab, a letter typed
        mid-sentence must not take the form away. Keys a widget of the form binds (space in
        the picker) and non-printable ones (esc, function keys, ctrl+…) work as ever."""
        if not self.FORM or not event.is_printable:
            return
        active = self.active_bindings.get(event.key)
        if active is not None and active.node is self.app:
            event.stop()
            event.prevent_default()

    def unsent(self) -> bool:
        """Whether leaving now would leave typed text unsent (forms say; others never)."""
        return False

    def let_go(self) -> None:
        """The person chose to leave: no second question on the way out."""

    def leave_question(self) -> tuple[str, str]:
        """The question asked before leaving unsent text, and its details."""
        return _("Leave without sending what you typed?"), ""
