"""The line under the header: the screens one key away, the one in front highlighted.

The footer below keeps the screen's own actions, so neither is cut off at 80 columns. Only
screens the person's roles may use are listed. In a form (compose) letters are text: the bar
names the form and the keys that leave it, which cannot be typed by accident.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.content import Content
from textual.geometry import Size
from textual.keys import key_to_character
from textual.widget import Widget

from console.i18n import _

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
        height: auto;
        padding: 0 1;
        background: $boost;
    }
    """

    def __init__(self, current: str | None = None, *, form: bool = False) -> None:
        super().__init__()
        self.current = current
        self.form = form

    def entries(self, *, typed: bool = True) -> list[tuple[str, str, str]]:
        """(key, label, action) of the screens this person may open, then help and quit;
        keys as remapped in the config (without the typeable ones when `typed` is False)."""
        # The app's own bindings, not the focused widget's view of them: a search box that
        # takes letters while it has focus does not make the screens go away.
        bindings = self.app._bindings.copy()
        if self.app._keymap:
            bindings.apply_keymap(self.app._keymap)
        keys: dict[str, tuple[str, str]] = {}
        for key, binding in bindings:
            if not typed and typeable(key):
                continue
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
        if self.form:
            return self.render_form()
        return Content("\n").join(self.lines(self.size.width - 2))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return 1 if self.form else len(self.lines(width))

    def lines(self, width: int) -> list[Content]:
        """Every screen with its key and its name, on one line if it fits: first as is, then
        closer together, then help and quit as bare keys (their names are in help itself);
        else on two lines. Only when even two do not hold them do names go."""
        entries = self.entries()
        trailing = {action for _id, action in TRAILING}

        def entry(key: str, label: str, action: str, bare: bool) -> Content:
            here = action == self.current
            parts: list[str | tuple[str, str]] = [(key, "bold reverse" if here else "bold $accent")]
            if not bare:
                parts.append((" " + label, "bold" if here else ""))
            return Content.assemble(*parts)

        def line(items: list[Content], gap: str) -> Content:
            return Content(gap).join(items)

        whole = [entry(*e, bare=False) for e in entries]
        tight = [entry(*e, bare=e[2] in trailing) for e in entries]
        for candidate in (line(whole, "  "), line(whole, " "), line(tight, " ")):
            if candidate.cell_length <= width:
                return [candidate]
        rows: list[list[Content]] = [[]]
        for item in whole:
            if rows[-1] and line([*rows[-1], item], "  ").cell_length > width:
                rows.append([])
            rows[-1].append(item)
        if len(rows) <= 2:
            return [line(row, "  ") for row in rows]
        # Very narrow: every key stays, the names of the other screens go.
        short = [entry(*e, bare=e[2] != self.current and e[2] not in trailing) for e in entries]
        return [line(short, "  ")]

    def render_form(self) -> Content:
        """In a form: its name, then the ways out (back, the palette's other screens, help)."""
        label = next(
            (label for _key, label, action in self.entries() if action == self.current), ""
        )
        parts: list[str | tuple[str, str]] = [(label, "bold reverse")] if label else []
        back = next(
            (
                (self.app.get_key_display(b.binding) or key, b.binding.description)
                for key, b in self.screen.active_bindings.items()
                if b.binding.action == "leave" and not typeable(key)
            ),
            None,
        )
        palette = Binding(self.app.COMMAND_PALETTE_BINDING, "command_palette")
        ways = [
            *([back] if back else []),
            (self.app.get_key_display(palette), _("Other screens")),
            # In a form a letter is text: only the keys that cannot be typed (f1, not ?).
            *((k, label) for k, label, action in self.entries(typed=False) if action == "help"),
        ]
        for key, description in ways:
            if parts:
                parts.append("  ")
            parts += [(key, "bold $accent"), " " + description]
        return Content.assemble(*parts)


def typeable(key: str) -> bool:
    """Whether a key is a character one types (a letter, `?`), not esc, f1 or ctrl+…"""
    character = key_to_character(key)
    return character is not None and character.isprintable()
