"""A message as a resident would read it: title and markdown text in each of its languages,
the one being written first; the keys to close it in a footer."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Markdown, Static

from console.bindings import translate_bindings
from console.composing import KIND_LABELS, Draft
from console.i18n import N_, _


class PreviewScreen(ModalScreen[None]):
    """Shows the draft rendered; any of the close keys goes back to writing."""

    CSS_PATH = "preview.tcss"
    BINDINGS = [Binding("escape,f2,q", "close", N_("Close"), id="close_preview")]

    def __init__(self, draft: Draft, language: str) -> None:
        super().__init__()
        translate_bindings(self)
        self.draft = draft
        self.language = language

    def compose(self) -> ComposeResult:
        languages = [self.language, *(lang for lang in self.draft.title if lang != self.language)]
        texts = []
        for lang in languages:
            title = self.draft.title.get(lang, "").strip() or _("(no title)")
            body = self.draft.body.get(lang, "").strip() or _("(no text)")
            texts.append(f"# {lang.upper()} · {title}\n\n{body}")
        with VerticalScroll(id="preview-box"):
            yield Static(
                _("Preview · {kind}").format(kind=_(KIND_LABELS.get(self.draft.kind, ""))),
                id="preview-label",
            )
            yield Markdown("\n\n---\n\n".join(texts), id="preview-body")
        yield Footer()

    def action_close(self) -> None:
        self.dismiss(None)
