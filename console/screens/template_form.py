"""A reply template written or changed by an admin: title, the status and categories it fits,
whether it is suggested for that status, and its text in each language of the municipality.
The server checks the placeholders when it is saved; its refusal names the one it does not
know, and nothing typed is lost."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, SelectionList, Static, TextArea

from console.api.client import ApiClient
from console.api.errors import ApiError, EditConflict, ProblemError
from console.api.models import Category, ReplyTemplate
from console.api.vocabulary import STATUS_LABELS
from console.bindings import translate_bindings
from console.i18n import LANGUAGE_NAMES, N_, _
from console.screens.confirm import discard_then
from console.widgets.field_error import clear_refusals, refuse

PLACEHOLDERS = (
    "{reference} {category} {neighbourhood} {status} {staff_name} {due_date} {municipality}"
)


class TemplateFormScreen(ModalScreen[ReplyTemplate | None]):
    """Dismisses with the template as saved, or None."""

    CSS_PATH = "template_form.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", N_("Save"), priority=True, id="save_template"),
        Binding("escape", "cancel", N_("Cancel"), id="cancel_template"),
    ]

    def __init__(
        self,
        client: ApiClient,
        template: ReplyTemplate | None,
        categories: list[Category],
        languages: list[str],
        preferred: list[str],
    ) -> None:
        super().__init__()
        translate_bindings(self)
        self.client = client
        self.template = template
        self.categories = categories
        # The city's languages, and any other a template already has (kept, not dropped).
        self.languages = [
            *languages,
            *(c for c in (template.texts if template else {}) if c not in languages),
        ]
        self.preferred = preferred
        self.opened: dict[str, Any] = {}

    def compose(self) -> ComposeResult:
        template = self.template
        with VerticalScroll(id="template-box"):
            yield Static(
                _("New reply template") if template is None else _("Change reply template"),
                id="template-title",
            )
            yield Label(_("Title"))
            yield Input(template.title if template else "", id="template-name", max_length=120)
            yield Label(_("For submissions moving to"))
            yield Select(
                [(_("Any status"), "any")]
                + [(_(label), code) for code, label in STATUS_LABELS.items()],
                value=(template.status or "any") if template else "any",
                allow_blank=False, id="template-status",
            )  # fmt: skip
            yield Checkbox(
                _("Suggest it when a submission moves to that status"),
                template.suggest if template else False,
                id="template-suggest",
            )
            yield Label(_("Categories (none chosen: every category)"))
            chosen = set(template.categories) if template else set()
            yield SelectionList[str](
                *(
                    (Text(c.label(self.preferred)), c.code, c.code in chosen)
                    for c in self.categories
                ),
                id="template-categories",
            )
            yield Static(_("Placeholders: {names}").format(names=PLACEHOLDERS), id="template-help")
            for code in self.languages:
                yield Label(
                    _("Text ({language})").format(language=_(LANGUAGE_NAMES.get(code, code))),
                    markup=False,
                )
                yield TextArea(
                    template.texts.get(code, "") if template else "",
                    id=f"template-text-{code}",
                    soft_wrap=True,
                )
            yield Static("", id="template-error", markup=False)
            with Horizontal(id="template-buttons"):
                yield Button(_("Save (Ctrl+S)"), variant="primary", id="template-save")
                yield Button(_("Cancel"), id="template-cancel")

    def on_mount(self) -> None:
        self.opened = self.fields()  # what cancelling compares with
        self.query_one("#template-error").display = False
        self.query_one("#template-name", Input).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "template-save":
            self.action_save()
        else:
            self.action_cancel()

    def show_error(self, message: str) -> None:
        error = self.query_one("#template-error", Static)
        error.update(message)
        error.display = True
        error.scroll_visible()

    def fields(self) -> dict[str, Any]:
        """What the form holds, as the API takes it."""
        status = self.query_one("#template-status", Select).value
        texts = {
            code: self.query_one(f"#template-text-{code}", TextArea).text.strip()
            for code in self.languages
        }
        return {
            "title": self.query_one("#template-name", Input).value.strip(),
            "status": None if status == "any" else status,
            "suggest": self.query_one("#template-suggest", Checkbox).value,
            "categories": list(self.query_one("#template-categories", SelectionList).selected),
            "texts": {code: text for code, text in texts.items() if text},
        }

    def action_save(self) -> None:
        fields = self.fields()
        self.query_one("#template-error").display = False
        # Said here, under the field, before the server is asked; nothing typed is lost.
        if not fields["title"]:
            refuse(self.query_one("#template-name"), _("Give the template a title."))
            return
        if not fields["texts"]:
            refuse(
                self.query_one(f"#template-text-{self.languages[0]}"),
                _("Write the text in at least one language."),
            )
            return
        if fields["suggest"] and fields["status"] is None:
            refuse(
                self.query_one("#template-status"),
                _("A template is suggested for one status: choose it."),
            )
            return
        clear_refusals(self)
        self.send(fields)

    @work(exclusive=True, group="template-save")
    async def send(self, fields: dict[str, Any]) -> None:
        try:
            if self.template is None:
                saved = await self.client.create_reply_template(**fields)
            else:
                saved = await self.client.update_reply_template(
                    self.template.id, version=self.template.version, **fields
                )
        except EditConflict:
            self.show_error(
                _(
                    "A colleague changed this template since you opened it. Copy what you "
                    "wrote, close, and open it again to see theirs."
                )
            )
            return
        except ProblemError as error:
            # An unknown placeholder: said under the text that holds it.
            name = error.body.get("placeholder") if error.slug == "invalid-template" else None
            holder = next(
                (code for code, text in fields["texts"].items() if name and f"{{{name}" in text),
                None,
            )
            if holder is not None:
                refuse(self.query_one(f"#template-text-{holder}"), error.message)
            else:
                self.show_error(error.message)
            return
        except ApiError as error:
            self.show_error(error.message)
            return
        self.dismiss(saved)

    def action_cancel(self) -> None:
        discard_then(self, self.fields() != self.opened, lambda: self.dismiss(None))
