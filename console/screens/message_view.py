"""One message in full: state, targets, reach, and the text in each language."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Markdown, Static

from console import formats
from console.api.models import Message
from console.bindings import translate_bindings
from console.composing import KIND_LABELS, STATE_LABELS
from console.i18n import N_, _


class MessageView(ModalScreen[None]):
    """Read-only view of a message."""

    CSS_PATH = "message_view.tcss"
    BINDINGS = [Binding("escape,q,enter", "close", N_("Close"), id="close_message")]

    def __init__(self, message: Message) -> None:
        super().__init__()
        translate_bindings(self)
        self.message = message

    def compose(self) -> ComposeResult:
        m = self.message
        state, kind = _(STATE_LABELS.get(m.state, m.state)), _(KIND_LABELS.get(m.kind, m.kind))
        facts = [
            f"#{m.id} · {state} · {kind}",
            _("Targets: {targets}").format(
                targets=_("all") if m.targets_all else ", ".join(m.target_names)
            ),
        ]
        if m.reach_registered is not None:
            facts.append(
                _("Reach: {registered} of {total} households").format(
                    registered=formats.number(m.reach_registered),
                    total=formats.number(m.reach_total),
                )
            )
        when = m.published_at or m.scheduled_at
        if when is not None:
            label = _("Published {when}") if m.published_at else _("Scheduled for {when}")
            facts.append(label.format(when=formats.moment(when)))
        if m.views is not None and m.published_at:
            facts.append(_("Views: {n}").format(n=formats.number(m.views)))
        if m.published_late:
            facts.append(_("Published late: the server was down at the scheduled time."))
        if m.author_name:
            facts.append(_("By {name}").format(name=m.author_name))
        text = "\n\n".join(
            f"## {lang.upper()} · {title}\n\n{m.body.get(lang, '')}"
            for lang, title in m.title.items()
        )
        with VerticalScroll(id="message-box"):
            yield Static("\n".join(facts), id="message-facts", markup=False)
            yield Markdown(text, id="message-text")
        yield Footer()

    def action_close(self) -> None:
        self.dismiss(None)
