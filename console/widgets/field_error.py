"""Why a form was refused, said right under the field it is about, with the cursor put
there: at 80x24 a sentence at the bottom of a long form is never seen."""

from __future__ import annotations

from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Static


class FieldError(Static):
    """The sentence under a refused field (plain text: it may quote what was typed)."""

    DEFAULT_CSS = """
    FieldError {
        color: $error;
        text-style: bold;
        height: auto;
        padding: 0 1;
    }
    """

    def __init__(self, message: str) -> None:
        super().__init__(message, markup=False)


def clear_refusals(screen: Widget) -> None:
    """Take away the sentences of an earlier refusal."""
    for old in screen.query(FieldError):
        old.remove()


def refuse(field: Widget, message: str) -> FieldError:
    """Say `message` under `field` (under its row, when it shares one), focus the field and
    bring both into view."""
    clear_refusals(field.screen)
    anchor = field
    while isinstance(anchor.parent, Horizontal):
        anchor = anchor.parent
    error = FieldError(message)
    parent = anchor.parent
    assert isinstance(parent, Widget)
    parent.mount(error, after=anchor)
    field.focus()

    def show() -> None:
        error.scroll_visible(animate=False)
        field.scroll_visible(animate=False)

    field.call_after_refresh(show)
    return error
