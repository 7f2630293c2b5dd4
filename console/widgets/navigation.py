"""The line under the header: the screens one key away, the one in front highlighted.

The footer below keeps the screen's own actions, so neither is cut off at 80 columns. Only
screens the person's roles may use are listed.
"""

from __future__ import annotations

from textual.content import Content
from textual.widget import Widget

# (binding id, action) of the app's screen keys, in the order they are shown.
SCREENS = (
    ("dashboard", "show_dashboard"),
    ("statistics", "show_statistics"),
    ("overview", "show_overview"),
    ("messages", "show_messages"),
    ("compose", "show_compose"),
    ("inbox", "show_inbox"),
)
TRAILING = (("help", "help"), ("quit", "quit"))


class NavigationBar(Widget):
    """One line of keys to the other screens; `current` is the action of the one in front."""

    DEFAULT_CSS = """
    NavigationBar {
        height: 1;
        padding: 0 1;
        background: $boost;
    }
    """

    def __init__(self, current: str | None = None) -> None:
        super().__init__()
        self.current = current

    def entries(self) -> list[tuple[str, str, str]]:
        """(key, label, action) of the screens this person may open, then help and quit;
        keys as remapped in the config."""
        # The app's own bindings, not the focused widget's view of them: a search box that
        # takes letters while it has focus does not make the screens go away.
        bindings = self.app._bindings.copy()
        if self.app._keymap:
            bindings.apply_keymap(self.app._keymap)
        keys: dict[str, tuple[str, str]] = {}
        for key, binding in bindings:
            if binding.id and binding.id not in keys:
                keys[binding.id] = (self.app.get_key_display(binding) or key, binding.description)
        return [
            (*keys[binding_id], action)
            for binding_id, action in (*SCREENS, *TRAILING)
            if binding_id in keys
            and self.app.check_action(action, ()) is not False
            and getattr(self.app, "may", lambda _action: True)(action)
        ]

    def render(self) -> Content:
        entries = self.entries()
        width = self.size.width - 2
        trailing = {action for _id, action in TRAILING}

        def line(short: bool) -> Content:
            parts: list[str | tuple[str, str]] = []
            for key, label, action in entries:
                here = action == self.current
                if parts:
                    parts.append("  ")
                parts.append((key, "bold reverse" if here else "bold $accent"))
                if here or not short or action in trailing:
                    parts.append((" " + label, "bold" if here else ""))
            return Content.assemble(*parts)

        full = line(short=False)
        # Narrow terminals: every key stays, the labels of the other screens go.
        return full if full.cell_length <= width else line(short=True)
