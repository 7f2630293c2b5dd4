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

TYPE_HINTS = {
    "single": N_("choose one"),
    "multiple": N_("choose up to {n}"),
    "scale": N_("from 1 to 5"),
    "open": N_("in your own words"),
}


def questionnaire(draft: Draft, lang: str) -> str:
    """A survey's questions as a resident would see them, in markdown."""
    questions = (draft.details.get("survey") or {}).get("questions") or []
    lines = []
    for n, q in enumerate(questions, start=1):
        kind = q.get("type", "single")
        hint = _(TYPE_HINTS.get(kind, "")).format(n=q.get("max_choices") or len(q["choices"]))
        text = q["question"].get(lang) or next(iter(q["question"].values()))
        lines.append(f"**{n}. {text}** _({hint})_\n")
        for c in q.get("choices", []):
            lines.append(f"- ☐ {c.get(lang) or next(iter(c.values()))}")
        if kind == "scale":
            lines.append("- ① ② ③ ④ ⑤")
        if kind == "open":
            lines.append("- ____________________")
        lines.append("")
    return "\n\n" + "\n".join(lines) if lines else ""


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
            texts.append(f"# {lang.upper()} · {title}\n\n{body}" + questionnaire(self.draft, lang))
        with VerticalScroll(id="preview-box"):
            yield Static(
                _("Preview · {kind}").format(kind=_(KIND_LABELS.get(self.draft.kind, ""))),
                id="preview-label",
            )
            yield Markdown("\n\n---\n\n".join(texts), id="preview-body")
        yield Footer()

    def action_close(self) -> None:
        self.dismiss(None)
