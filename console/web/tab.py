"""One browser tab's console, started by `buurt web` for each WebSocket (not by hand).

It runs with a config and data dir of its own (`BUURT_CONFIG_DIR`, `BUURT_DATA_DIR`, made
for this tab and deleted when it closes) and no keyring (`PYTHON_KEYRING_BACKEND` is the
fail backend), so its sign-in goes to a file in that dir: `buurt web` reads it when the tab
closes to sign out on the server. The server address is the one `buurt web` was given
(`BUURT_URL`): the sign-in form shows it and does not let a visitor point it elsewhere.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import httpx
from textual import messages
from textual.drivers.web_driver import WebDriver

import console.app
import console.screens.login
from console.api.errors import ApiError
from console.app import BuurtApp
from console.i18n import _, choose_language, set_language
from console.screens.login import LoginScreen
from console.session import Context, resolve
from console.settings import load_config


class TabDriver(WebDriver):
    """Textual's web driver, which also ends the console when its input ends: should
    `buurt web` be gone (killed, say), its consoles' stdin closes and none runs on unseen."""

    def run_input_thread(self) -> None:
        try:
            super().run_input_thread()
        finally:
            if not self.exit_event.is_set():
                self.send_message(messages.ExitApp())


# What `buurt web` sets for every tab; without them this would use the machine's own dirs.
REQUIRED = ("BUURT_CONFIG_DIR", "BUURT_DATA_DIR", "BUURT_URL")


class WebLoginScreen(LoginScreen):
    """The sign-in form with the server fixed: a visitor signs in to the server `buurt web`
    serves, never makes the web server's machine call an address of their choosing."""

    CSS_PATH = str(Path(console.screens.login.__file__).with_name("login.tcss"))

    def on_mount(self) -> None:
        super().on_mount()
        url = self.query_one("#url")
        url.disabled = True
        url.tooltip = _("This console signs in to this server only.")


class ForwardedFor(httpx.AsyncHTTPTransport):
    """Says whom the console's requests are for: the visitor's address, as a proxy does.
    Every tab's console calls the API from the web server's machine; an API that believes
    this machine's X-Forwarded-For (the default for 127.0.0.1) then counts sign-in failures
    per visitor, not one count for all of them, and records the visitor's address."""

    def __init__(self, address: str) -> None:
        super().__init__()
        self.address = address

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.headers["X-Forwarded-For"] = self.address
        return await super().handle_async_request(request)


class WebBuurtApp(BuurtApp):
    """The console of one browser tab."""

    # Textual reads a relative CSS_PATH beside the module of the class: the console's own.
    CSS_PATH = str(Path(console.app.__file__).with_name("app.tcss"))

    def __init__(
        self, context: Context, *, language: str = "en", visitor: str | None = None
    ) -> None:
        options = {"transport": ForwardedFor(visitor)} if visitor else None
        super().__init__(context, language=language, client_options=options)
        # The only warning the store gives is "no keyring, kept in a file": here that file
        # is in this tab's own dir and gone when the tab closes; nothing for the visitor.
        self.context.on_warning = None

    async def sign_in(self, url: str, email: str, password: str) -> None:
        if url.rstrip("/") != self.context.url:
            raise ApiError(_("This console signs in to {url} only.").format(url=self.context.url))
        await super().sign_in(self.context.url, email, password)


def visitor_address() -> str | None:
    """The browser's address, as `buurt web` saw it (`BUURT_WEB_VISITOR`), if it is one."""
    try:
        return str(ipaddress.ip_address(os.environ.get("BUURT_WEB_VISITOR", "")))
    except ValueError:
        return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run one tab's console (the web driver comes from `TEXTUAL_DRIVER`)."""
    parser = argparse.ArgumentParser(prog="python -m console.web.tab")
    parser.add_argument("--lang", choices=["en", "nl", "fr"], default=None)
    args = parser.parse_args(argv)
    missing = [name for name in REQUIRED if not os.environ.get(name)]
    if missing:
        print(
            _("This is started by `buurt web` for each browser tab; {names} not set.").format(
                names=", ".join(missing)
            ),
            file=sys.stderr,
        )
        return 2
    language = set_language(choose_language(args.lang))
    # This process is one tab's console and nothing else: every sign-in form it shows is
    # the one with the server fixed (the app builds its form from this module's name).
    console.app.LoginScreen = WebLoginScreen  # type: ignore[misc]
    context = resolve(config=load_config())
    WebBuurtApp(context, language=language, visitor=visitor_address()).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
