"""What every signed-in screen shares: the status header, the footer, translated keys."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer

from console.bindings import translate_bindings
from console.widgets.navigation import NavigationBar
from console.widgets.status import StatusHeader

if TYPE_CHECKING:
    from console.app import BuurtApp


class SignedInScreen(Screen[None]):
    """A screen with the status header and the navigation bar on top and its own keys in
    the footer."""

    # The app's action that opens this screen (highlighted in the navigation bar).
    NAVIGATION: str | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        translate_bindings(self)

    @property
    def buurt(self) -> BuurtApp:
        """The app, typed."""
        from console.app import BuurtApp

        return cast(BuurtApp, self.app)

    @property
    def left(self) -> bool:
        """The person has moved on to another screen (this one is out of the stack and its
        widgets are going): an answer that arrives now is not shown."""
        return self not in self.app.screen_stack

    def compose(self) -> ComposeResult:
        yield StatusHeader()
        yield NavigationBar(self.NAVIGATION)
        yield from self.compose_body()
        yield Footer()

    def compose_body(self) -> ComposeResult:
        """The screen's own widgets, between header and footer."""
        yield from ()

    def on_mount(self) -> None:
        self.buurt.update_header(self.query_one(StatusHeader))
