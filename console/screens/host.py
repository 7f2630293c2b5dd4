"""What a screen may ask of the app that shows it, as a protocol: screens never import the
app (`make lint` checks it), so the app can import every screen without a cycle."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from textual.screen import Screen

    from console.api.client import ApiClient
    from console.api.errors import ApiError
    from console.api.models import Me, Message
    from console.api.stream import LiveEvent
    from console.last_seen import LastSeen
    from console.session import Context
    from console.widgets.status import StatusHeader


class ConsoleHost(Protocol):
    """The console app as its screens see it (`console.app.BuurtApp` is one)."""

    client: ApiClient
    me: Me | None
    context: Context

    async def sign_in(self, url: str, email: str, password: str) -> None:
        """Sign in; raises ApiError for the login screen to show."""

    def preferred_languages(self) -> list[str]:
        """The person's language first, then the municipality's."""

    def report_connection(self, error: ApiError | None) -> None:
        """How a screen's last call went (an unreachable server shows offline)."""

    def update_header(self, header: StatusHeader) -> None:
        """Fill a screen's header with who and where."""

    def last_seen(self) -> LastSeen | None:
        """What this profile last saw, to draw at once."""

    def subscribe(self, listener: Callable[[LiveEvent], None]) -> None:
        """Hear every live event."""

    def unsubscribe(self, listener: Callable[[LiveEvent], None]) -> None:
        """Stop hearing live events."""

    def show_messages(self) -> None:
        """The list of city messages."""

    def show_compose(self, message: Message | None = None, *, duplicate: bool = False) -> None:
        """Write a new message, or edit or duplicate `message`."""

    def show_inbox(
        self, holder: dict[str, str] | None = None, label: str = "", open_id: int | None = None
    ) -> None:
        """The inbox, on a filter and an item if given."""

    def reopen(self, factory: Callable[[], Screen[Any]]) -> None:
        """Show a new screen made by `factory` in place of the current one."""

    def ask_to_leave(self, then: Callable[[], object]) -> None:
        """Ask before leaving the open form's unsent text; `then` when the person agrees."""
