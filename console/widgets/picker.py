"""A selection list whose Space toggles the row it was pressed on, however fast keys come.

Textual's SelectionList toggles the row highlighted when the "selected" message is handled,
not the row it was posted for: Down Space Down Space typed quickly (or arriving in one read
from the terminal) toggled the third row twice and the second never. Here the message's
own row is toggled.
"""

from __future__ import annotations

from typing import TypeVar

from textual.widgets import OptionList, SelectionList

T = TypeVar("T")


class Picker(SelectionList[T]):
    """SelectionList with key presses toggling exactly the rows they were made on."""

    def _on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        event.prevent_default()  # not the base class's toggle of the current highlight too
        self.toggle(self.get_option_at_index(event.option_index))
