"""The municipality's reply templates (`T` in the inbox): every template with the status and
categories it fits, its texts beneath. Admins add (`n`), change (`enter` or `e`) and delete
(`d`) them; moderators read them here and use them with `r`."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Static

from console.api.errors import ApiError, EditConflict, NotFound
from console.api.models import Category, ReplyTemplate
from console.api.vocabulary import STATUS_LABELS
from console.bindings import translate_bindings
from console.i18n import LANGUAGE_NAMES, N_, _
from console.screens.base import SignedInScreen
from console.screens.confirm import ConfirmScreen
from console.screens.template_form import TemplateFormScreen
from console.widgets.table import Table


class TemplatesScreen(SignedInScreen):
    """A list of templates with the highlighted one's texts."""

    CSS_PATH = "templates.tcss"
    NAVIGATION = "show_inbox"
    BINDINGS = [
        Binding("escape", "back", N_("Back"), id="templates_back"),
        Binding("n", "new", N_("New template"), id="template_new"),
        Binding("e", "edit", N_("Change"), id="template_edit"),
        Binding("d", "delete", N_("Delete"), id="template_delete"),
        Binding("f5", "reload", N_("Reload"), id="templates_reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)
        self.templates: list[ReplyTemplate] = []
        self.categories: list[Category] = []

    def compose_body(self) -> ComposeResult:
        with Vertical(id="templates-body"):
            yield Static(_("Reply templates"), id="templates-title")
            yield Static("", id="templates-hint")
            yield Table(id="templates-table", cursor_type="row")
            with VerticalScroll(id="templates-texts-box"):
                yield Static("", id="templates-texts", markup=False)

    def on_mount(self) -> None:
        super().on_mount()
        table = self.query_one(DataTable)
        # The long column last: a narrow terminal cuts it, not the short ones.
        table.add_columns(_("Title"), _("Status"), _("Suggested"), _("Languages"), _("Categories"))
        me = self.buurt.me
        self.query_one("#templates-hint", Static).update(
            _("n new · enter change · d delete · esc back")
            if me is not None and me.may_manage_templates
            else _("Only admins change reply templates; you use them with r in the inbox.")
        )
        self.reload()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Only admins change templates: the others are not offered the keys (the hint says
        # so), so the footer and the hint agree.
        if action in ("new", "edit", "delete"):
            me = self.buurt.me
            return me is not None and me.may_manage_templates
        return True

    def action_reload(self) -> None:
        self.reload()

    @work(exclusive=True, group="templates-load")
    async def reload(self, keep_id: int | None = None) -> None:
        client = self.buurt.client
        try:
            self.templates = await client.reply_templates()
            self.categories = self.categories or await client.categories()
        except ApiError as error:
            self.query_one("#templates-texts", Static).update(error.message)
            return
        table = self.query_one(DataTable)
        table.clear()
        for template in self.templates:
            table.add_row(*self.cells(template), key=str(template.id))
        if not self.templates:
            me = self.buurt.me
            self.query_one("#templates-texts", Static).update(
                _("No reply templates yet. Press n to write the first.")
                if me is not None and me.may_manage_templates
                else _("No reply templates yet: an admin writes them here.")
            )
        for index, template in enumerate(self.templates):
            if template.id == keep_id:
                table.move_cursor(row=index)
        self.show_texts()

    def cells(self, template: ReplyTemplate) -> tuple[str, ...]:
        names = {c.code: c.label(self.buurt.preferred_languages()) for c in self.categories}
        return (
            template.title,
            _(STATUS_LABELS[template.status]) if template.status else _("Any"),
            "★" if template.suggest else "",
            " ".join(code.upper() for code in template.texts),
            ", ".join(names.get(code, code) for code in template.categories) or _("Any"),
        )

    def current(self) -> ReplyTemplate | None:
        row = self.query_one(DataTable).cursor_row
        return self.templates[row] if 0 <= row < len(self.templates) else None

    @on(DataTable.RowHighlighted)
    def show_texts(self) -> None:
        template = self.current()
        if template is None:
            return
        # Plain text: a template may hold square brackets that are not markup.
        texts = Text()
        for code, text in template.texts.items():
            texts.append(_(LANGUAGE_NAMES.get(code, code)) + "\n", style="bold")
            texts.append(text + "\n\n")
        self.query_one("#templates-texts", Static).update(texts)

    @on(DataTable.RowSelected)
    def _selected(self) -> None:
        if self.check_action("edit", ()):
            self.action_edit()

    def allowed(self) -> bool:
        me = self.buurt.me
        if me is not None and me.may_manage_templates:
            return True
        self.app.notify(_("Only admins change reply templates."), severity="warning")
        return False

    @work(group="templates-change")
    async def action_new(self) -> None:
        if not self.allowed():
            return
        made = await self.app.push_screen_wait(self.form(None))
        if made is not None:
            self.app.notify(_("Template “{title}” saved.").format(title=made.title))
            self.reload(made.id)

    @work(group="templates-change")
    async def action_edit(self) -> None:
        template = self.current()
        if template is None or not self.allowed():
            return
        saved = await self.app.push_screen_wait(self.form(template))
        if saved is not None:
            self.app.notify(_("Template “{title}” saved.").format(title=saved.title))
        # Also when closed unsaved: a colleague's change met there shows in the list.
        self.reload(template.id)

    def form(self, template: ReplyTemplate | None) -> TemplateFormScreen:
        me = self.buurt.me
        languages = list(me.organisation.municipality.languages) if me else ["nl"]
        return TemplateFormScreen(
            self.buurt.client,
            template,
            self.categories,
            languages,
            self.buurt.preferred_languages(),
        )

    @work(group="templates-change")
    async def action_delete(self) -> None:
        template = self.current()
        if template is None or not self.allowed():
            return
        sure = await self.app.push_screen_wait(
            ConfirmScreen(
                _("Delete the template “{title}”?").format(title=template.title),
                yes=_("Delete"),
                details=_("Replies already sent with it stay in each submission's history."),
            )
        )
        if not sure:
            return
        try:
            await self.buurt.client.delete_reply_template(template.id, version=template.version)
        except EditConflict:
            self.app.notify(
                _("A colleague changed this template meanwhile; look at it again first."),
                severity="warning",
            )
        except NotFound:
            pass  # already gone: the list below says so
        except ApiError as error:
            self.app.notify(error.message, severity="error")
            return
        else:
            self.app.notify(_("Template “{title}” deleted.").format(title=template.title))
        self.reload()

    def action_back(self) -> None:
        self.app.pop_screen()
