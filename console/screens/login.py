"""Sign-in: server, email, password. Errors show in place; what was typed stays."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, LoadingIndicator, Static

from console.api.errors import ApiError
from console.bindings import translate_bindings
from console.i18n import N_, _

if TYPE_CHECKING:
    from console.screens.host import ConsoleHost


class LoginScreen(Screen[None]):
    """The first thing a person meets when not signed in."""

    CSS_PATH = "login.tcss"
    BINDINGS = [Binding("ctrl+q", "app.quit", N_("Quit"), id="quit_login")]

    def __init__(self, *, url: str, email: str | None = None, message: str | None = None) -> None:
        super().__init__()
        translate_bindings(self)
        self.initial_url = url
        self.initial_email = email or ""
        self.initial_message = message

    @property
    def buurt(self) -> ConsoleHost:
        """The app, as screens see it (console.screens.host)."""
        return cast("ConsoleHost", self.app)

    def compose(self) -> ComposeResult:
        with Center(), Vertical(id="login-box"):
            yield Static(_("Sign in to buurt"), id="login-title")
            yield Label(_("Server"), classes="field-label")
            yield Input(self.initial_url, id="url", placeholder="https://buurt.example.org")
            yield Label(_("Email"), classes="field-label")
            yield Input(self.initial_email, id="email", placeholder=_("you@city.example"))
            yield Label(_("Password"), classes="field-label")
            yield Input(id="password", password=True)
            yield Static(self.initial_message or "", id="login-error", markup=False)
            yield LoadingIndicator(id="login-busy")
            yield Button(_("Sign in"), id="sign-in", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#login-busy").display = False
        self.query_one("#login-error").display = bool(self.initial_message)
        first_empty = next(
            (i for i in self.query(Input) if not i.value), self.query_one("#password", Input)
        )
        first_empty.focus()

    def show_error(self, message: str) -> None:
        """Show a sentence under the form; keep every field as typed."""
        error = self.query_one("#login-error", Static)
        error.update(message)
        error.display = True

    @on(Input.Submitted)
    def _next_or_submit(self, event: Input.Submitted) -> None:
        if event.input.id == "url":
            self.query_one("#email", Input).focus()
        elif event.input.id == "email":
            self.query_one("#password", Input).focus()
        else:
            self.submit()

    @on(Button.Pressed, "#sign-in")
    def _pressed(self) -> None:
        self.submit()

    def submit(self) -> None:
        """Check the form, then sign in in a worker."""
        url = self.query_one("#url", Input).value.strip()
        email = self.query_one("#email", Input).value.strip()
        password = self.query_one("#password", Input).value
        if not url.startswith(("http://", "https://")):
            self.show_error(_("The server address must start with http:// or https://."))
            self.query_one("#url", Input).focus()
            return
        if "@" not in email:
            self.show_error(_("Enter the email address of your account."))
            self.query_one("#email", Input).focus()
            return
        if not password:
            self.show_error(_("Enter your password."))
            self.query_one("#password", Input).focus()
            return
        self.sign_in(url, email, password)

    def _busy(self, busy: bool) -> None:
        self.query_one("#login-busy").display = busy
        self.query_one("#sign-in", Button).disabled = busy

    @work(exclusive=True, group="sign-in")
    async def sign_in(self, url: str, email: str, password: str) -> None:
        """Talk to the server off the UI's path."""
        self._busy(True)
        self.query_one("#login-error").display = False
        try:
            await self.buurt.sign_in(url, email, password)
        except ApiError as error:
            self.show_error(error.message)
            password_input = self.query_one("#password", Input)
            password_input.focus()
        finally:
            if self.is_attached:
                self._busy(False)
