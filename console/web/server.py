"""The web server of `buurt web`: textual-serve's Server and AppService, made fit for staff.

textual-serve starts the app command once per WebSocket and relays the terminal between the
process and xterm.js in the browser. Served as it comes, every visitor would share the
server's profile (and so its stored sign-in), the sign-in would stay in the machine's data
dir, any web page could open a console, each console would inherit the web server's whole
environment and nothing would limit how many there are. Here:

- each tab gets a config and data dir (and HOME) of its own, made when its WebSocket opens
  and deleted when it closes; there is no keyring in it, so its sign-in is a file in that dir,
  which is read when the tab closes to sign out on the server (the refresh token revoked);
- the console's environment is a short list (PATH, LANG/LC_*, TERM, the web driver's
  settings, BUURT_URL and the tab's dirs), nothing else of the web server's;
- the WebSocket is refused (403) unless its Origin is the page's own (or `--public-url`'s),
  and the page comes with a Content-Security-Policy that allows this server only;
- at most `max_consoles` at once (the page says so when full), an idle limit, and a process
  that is told to quit, then terminated, then killed: gone within 5 s of its tab closing;
- nothing is fetched from anywhere else: the web font is served from textual-serve's own
  static files instead of the outside host its page template names.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import os
import re
import secrets
import shutil
import signal
import sys
import tempfile
import time
from asyncio.subprocess import Process
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp_jinja2
import jinja2
import textual_serve
from aiohttp import WSCloseCode, WSMsgType, web
from textual_serve.app_service import AppService
from textual_serve.server import Server

import console
from console.api.client import ApiClient
from console.api.errors import ApiError
from console.i18n import _, current_language, normalise, set_language
from console.private_files import private_dir

log = logging.getLogger("buurt.web")

HERE = Path(__file__).resolve().parent
TEXTUAL_SERVE_STATIC = Path(textual_serve.__file__).resolve().parent / "static"
# The directory the `console` package is in: the tab's Python imports the same code.
CODE_ROOT = Path(console.__file__).resolve().parent.parent

# Of the web server's environment, a tab's console gets these (and LC_*) only.
PASSED_ENVIRONMENT = ("PATH", "LANG", "LANGUAGE")
# What textual-serve sets for Textual's web driver (its debug settings are not kept).
DRIVER_ENVIRONMENT = (
    "TEXTUAL_DRIVER",
    "TEXTUAL_FPS",
    "TEXTUAL_COLOR_SYSTEM",
    "TERM_PROGRAM",
    "TERM_PROGRAM_VERSION",
    "COLUMNS",
    "ROWS",
)

# textual.js injects two <style> elements: its bundled CSS (the same rules are in
# buurt-web.css) and an empty one; their hashes let just these through ('unsafe-inline'
# would let any through). Another textual-serve may change them: tests/test_web.py fails
# on any Content-Security-Policy report, and buurt-web.css keeps the page right meanwhile.
TEXTUAL_JS_STYLES = " ".join(
    (
        "'sha256-03EiY9OLVCaCQVNKUgCYxdI11BJ8pKsqSKUlTlszVsE='",
        "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
    )
)

# A closed tab's process: asked to quit, then SIGTERM, then SIGKILL (2 + 1.5 s at most).
QUIT_SECONDS = 2.0
TERM_SECONDS = 1.5
SIGN_OUT_SECONDS = 8.0
# How far a browser may size the terminal (a huge one would cost the console memory).
COLUMNS_RANGE = (10, 400)
ROWS_RANGE = (5, 200)
FONT_SIZE_RANGE = (8, 40)
MAX_MESSAGE_BYTES = 1024 * 1024
HOST_HEADER = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def _clamp(value: object, bounds: tuple[int, int], default: int) -> int:
    try:
        number = int(str(value))
    except ValueError:
        number = default
    return max(bounds[0], min(bounds[1], number))


def is_loopback(host: str) -> bool:
    """Whether `host` (a name or address) is this machine only."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _is_wildcard(host: str) -> bool:
    return host in ("", "0.0.0.0", "::")  # noqa: S104 - compared, not bound


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an origin or URL, ports made explicit; None if not http(s)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts.scheme, parts.hostname.lower(), port or (443 if parts.scheme == "https" else 80)


def accepted_languages(header: str) -> list[str]:
    """The languages of an Accept-Language header, most wanted first."""
    weighted: list[tuple[float, int, str]] = []
    for index, item in enumerate(header.split(",")):
        tag, _sep, params = item.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _eq, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and quality > 0:
            weighted.append((-quality, index, tag))
    return [tag for _q, _i, tag in sorted(weighted)]


@contextlib.contextmanager
def speaking(language: str) -> Iterator[None]:
    """Translate to `language` for a moment (the page is rendered without awaiting)."""
    before = current_language()
    set_language(language)
    try:
        yield
    finally:
        set_language(before)


class TabService(AppService):
    """textual-serve's AppService for one tab: the console started without a shell, in its
    own session, with the tab's environment only; stopped for sure and quickly."""

    def __init__(
        self,
        argv: list[str],
        *,
        environment: dict[str, str],
        cwd: Path,
        write_bytes: Callable[[bytes], Awaitable[None]],
        write_str: Callable[[str], Awaitable[None]],
        close: Callable[[], Awaitable[Any]],
        download_manager: Any,
    ) -> None:
        super().__init__(
            " ".join(argv),
            write_bytes=write_bytes,
            write_str=write_str,
            close=close,
            download_manager=download_manager,
        )
        self.argv = argv
        self.tab_environment = environment
        self.cwd = cwd
        self._stopping: asyncio.Future[None] | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        # textual-serve's is the web server's whole environment plus the driver's settings:
        # keep the few names a console needs, then the tab's own.
        everything = super()._build_environment(width=width, height=height)
        kept = {
            name: value
            for name, value in everything.items()
            if name in PASSED_ENVIRONMENT or name in DRIVER_ENVIRONMENT or name.startswith("LC_")
        }
        kept.update(self.tab_environment)
        return kept

    async def _open_app_process(self, width: int = 80, height: int = 24) -> Process:
        self._process = process = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self._build_environment(width=width, height=height),
            cwd=self.cwd,
            start_new_session=True,  # its own process group: a stop reaches all of it
        )
        assert process.stdin is not None
        self._stdin = process.stdin
        return process

    async def set_terminal_size(self, width: int, height: int) -> None:
        await super().set_terminal_size(
            _clamp(width, COLUMNS_RANGE, 80), _clamp(height, ROWS_RANGE, 24)
        )

    async def stop(self) -> None:
        """Stop the console (once, however often asked; not undone by a cancellation)."""
        if self._stopping is None:
            self._stopping = asyncio.ensure_future(self._stop())
        await asyncio.shield(self._stopping)

    def _signal(self, number: int) -> None:
        if self._process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._process.pid, number)

    async def _stop(self) -> None:
        await self._download_manager.cancel_app_downloads(app_service_id=self.app_service_id)
        process = self._process
        if process is not None and process.returncode is None:
            if self._stdin is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self.send_meta({"type": "quit"}), 0.5)
            if not await _exited(process, QUIT_SECONDS):
                self._signal(signal.SIGTERM)
                if not await _exited(process, TERM_SECONDS):
                    self._signal(signal.SIGKILL)
                    await _exited(process, 5.0)
        # Anything it started in its session goes with it.
        self._signal(signal.SIGKILL)
        if self._task is not None:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(self._task, 2.0)
            self._task = None


async def _exited(process: Process, seconds: float) -> bool:
    try:
        await asyncio.wait_for(process.wait(), seconds)
    except TimeoutError:
        return False
    return True


@dataclass
class Tab:
    """One browser tab's console: its dirs, its process, when it was last used."""

    id: str
    root: Path
    language: str
    visitor: str | None = None
    opened: float = field(default_factory=time.monotonic)
    last_input: float = field(default_factory=time.monotonic)
    service: TabService | None = None
    websocket: web.WebSocketResponse | None = None
    closing: asyncio.Future[None] | None = None

    @property
    def config_dir(self) -> Path:
        return self.root / "config"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def home(self) -> Path:
        return self.root / "home"


class WebConsoleServer(Server):
    """`buurt web`: textual-serve's Server with a throwaway sign-in per tab, the Origin
    checked, a Content-Security-Policy, and limits."""

    def __init__(
        self,
        *,
        api_url: str,
        host: str = "127.0.0.1",
        port: int = 8080,
        public_url: str | None = None,
        max_consoles: int = 50,
        idle_seconds: float = 30 * 60,
        language: str = "en",
        fixed_language: str | None = None,
    ) -> None:
        super().__init__(
            "buurt",
            host=host,
            port=port,
            title="buurt",
            public_url=public_url.rstrip("/") if public_url else None,
            statics_path=TEXTUAL_SERVE_STATIC,
            templates_path=HERE / "templates",
        )
        self.api_url = api_url.rstrip("/")
        self.configured_public_url = public_url.rstrip("/") if public_url else None
        self.max_consoles = max_consoles
        self.idle_seconds = idle_seconds
        self.language = language
        self.fixed_language = fixed_language
        self.tabs: dict[str, Tab] = {}
        self.root: Path | None = None
        self.tab_command = [sys.executable, "-m", "console.web.tab"]

    # -- addresses ------------------------------------------------------------------------

    @property
    def base_path(self) -> str:
        """The path the server is reached under (behind a proxy, `--public-url`'s)."""
        if self.configured_public_url:
            return urlsplit(self.configured_public_url).path.rstrip("/")
        return ""

    def host_allowed(self, request: web.Request) -> bool:
        """The Host the browser asked for is a name of this server (without `--public-url`,
        a loopback server answers loopback names only: no page of another site reaches it
        by DNS rebinding)."""
        host = request.host
        if not HOST_HEADER.match(host):
            return False
        if self.configured_public_url:
            return True
        parts = urlsplit(f"http://{host}")
        try:
            port = parts.port or 80
        except ValueError:
            return False
        hostname = (parts.hostname or "").lower()
        if port != self.port:
            return False
        if _is_wildcard(self.host):
            return True
        if is_loopback(self.host):
            return hostname in LOOPBACK_NAMES or is_loopback(hostname)
        return hostname == self.host.strip("[]").lower()

    def page_origin(self, request: web.Request) -> tuple[str, str, int] | None:
        """The origin the page was served from: `--public-url`'s, else this request's."""
        if self.configured_public_url:
            return _origin(self.configured_public_url)
        return _origin(f"http://{request.host}")

    def origin_allowed(self, request: web.Request) -> bool:
        """A WebSocket only from the page's own origin; no Origin at all is refused too."""
        origin = request.headers.get("Origin")
        if not origin or not self.host_allowed(request):
            return False
        wanted = self.page_origin(request)
        return wanted is not None and _origin(origin) == wanted

    def websocket_url(self, request: web.Request) -> str:
        if self.configured_public_url:
            parts = urlsplit(self.configured_public_url)
            scheme = "wss" if parts.scheme == "https" else "ws"
            return f"{scheme}://{parts.netloc}{self.base_path}/ws"
        return f"ws://{request.host}/ws"

    def content_security_policy(self, request: web.Request) -> str:
        parts = urlsplit(self.websocket_url(request))
        return "; ".join(
            (
                "default-src 'none'",
                "script-src 'self'",
                f"style-src 'self' {TEXTUAL_JS_STYLES}",
                "font-src 'self'",
                "img-src 'self'",
                f"connect-src 'self' {parts.scheme}://{parts.netloc}",
                "base-uri 'none'",
                "form-action 'none'",
                "frame-ancestors 'none'",
            )
        )

    def visitor_address(self, request: web.Request) -> str | None:
        """The browser's address: the peer's, or, when the peer is this machine (a proxy in
        front, as the API believes 127.0.0.1 by default), the last X-Forwarded-For entry."""
        peer = request.remote or ""
        if is_loopback(peer):
            forwarded = request.headers.get("X-Forwarded-For", "").split(",")[-1].strip()
            if forwarded:
                peer = forwarded
        try:
            return str(ipaddress.ip_address(peer))
        except ValueError:
            return None

    def language_for(self, request: web.Request) -> str:
        """`buurt web --lang`, else the browser's first language of ours, else the server's."""
        if self.fixed_language:
            return self.fixed_language
        for tag in accepted_languages(request.headers.get("Accept-Language", "")):
            found = normalise(tag)
            if found:
                return found
        return self.language

    # -- the aiohttp application ----------------------------------------------------------

    async def _make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._headers])
        aiohttp_jinja2.setup(
            app, loader=jinja2.FileSystemLoader(self.templates_path), autoescape=True
        )
        app.add_routes(
            [
                web.get("/", self.handle_index, name="index"),
                web.get("/ws", self.handle_websocket, name="websocket"),
                web.get("/download/{key}", self.handle_download, name="download"),
                web.get("/favicon.ico", self.handle_favicon),
                web.static("/static", self.statics_path, name="static"),
                web.static("/assets", HERE / "static", name="assets"),
            ]
        )
        app.on_startup.append(self.on_startup)
        app.on_shutdown.append(self.on_shutdown)
        return app

    @web.middleware
    async def _headers(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        response = await handler(request)
        if not response.prepared:
            response.headers.setdefault(
                "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"
            )
            response.headers["X-Content-Type-Options"] = "nosniff"
            response.headers["Referrer-Policy"] = "no-referrer"
            response.headers["X-Frame-Options"] = "DENY"
            response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
        return response

    async def handle_favicon(self, request: web.Request) -> web.Response:
        """No icon (and no error in the browser's console for the lack of one)."""
        return web.Response(status=204)

    async def on_startup(self, app: web.Application) -> None:
        self.root = private_dir(Path(tempfile.mkdtemp(prefix="buurt-web-")))
        url = self.configured_public_url or f"http://{self._display_host()}:{self.port}"
        print(
            _(
                "buurt web: the console for browsers on {url}, signing in to {api}; at most "
                "{count} at once, each closed after {minutes} minutes without input. "
                "Ctrl+C stops it."
            ).format(
                url=url,
                api=self.api_url,
                count=self.max_consoles,
                minutes=f"{self.idle_seconds / 60:g}",
            ),
            flush=True,
        )

    def _display_host(self) -> str:
        host = "127.0.0.1" if _is_wildcard(self.host) else self.host
        return f"[{host}]" if ":" in host else host

    async def on_shutdown(self, app: web.Application) -> None:
        """Close every tab (their consoles stopped, sign-ins ended, dirs deleted)."""
        for tab in list(self.tabs.values()):
            if tab.websocket is not None:
                with contextlib.suppress(Exception):
                    await tab.websocket.close(code=WSCloseCode.GOING_AWAY)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                asyncio.gather(*(self.close_tab(tab) for tab in list(self.tabs.values()))),
                QUIT_SECONDS + TERM_SECONDS + SIGN_OUT_SECONDS + 2,
            )
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)

    def serve(self, debug: bool = False) -> None:
        """Serve until Ctrl+C or SIGTERM."""
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
        web.run_app(
            self._make_app(),
            host=self.host,
            port=self.port,
            print=None,
            access_log=None,
            shutdown_timeout=QUIT_SECONDS + TERM_SECONDS + SIGN_OUT_SECONDS + 5,
        )

    # -- pages ----------------------------------------------------------------------------

    def _render(
        self, name: str, request: web.Request, context: dict[str, Any], status: int = 200
    ) -> web.Response:
        response = aiohttp_jinja2.render_template(name, request, context, status=status)
        response.headers["Content-Security-Policy"] = self.content_security_policy(request)
        response.headers["Cache-Control"] = "no-store"
        return response

    async def handle_index(self, request: web.Request) -> web.Response:
        """The page: xterm.js and textual-serve's script, or a page that says all consoles
        are in use."""
        if not self.host_allowed(request):
            raise web.HTTPMisdirectedRequest(text=_("This server does not answer that name."))
        language = self.language_for(request)
        with speaking(language):
            common = {
                "lang": language,
                "base": self.base_path,
                "title": _("buurt staff console"),
            }
            if len(self.tabs) >= self.max_consoles:
                response = self._render(
                    "full.html",
                    request,
                    {
                        **common,
                        "heading": _("All consoles are in use"),
                        "text": _(
                            "This server runs at most {count} consoles at once, and all of "
                            "them are open. Try again in a few minutes."
                        ).format(count=self.max_consoles),
                        "again": _("Try again"),
                    },
                    status=503,
                )
                response.headers["Retry-After"] = "60"
                return response
            return self._render(
                "index.html",
                request,
                {
                    **common,
                    "websocket_url": self.websocket_url(request),
                    "font_size": _clamp(request.query.get("fontsize", "16"), FONT_SIZE_RANGE, 16),
                    "connecting": _("Opening the console…"),
                    "start": _("Start"),
                    "ended": _("The console has closed."),
                    "ended_detail": _(
                        "Its sign-in has ended and nothing of it is kept. A console closes "
                        "when you quit it, after {minutes} minutes without input, or when "
                        "the server stops."
                    ).format(minutes=f"{self.idle_seconds / 60:g}"),
                    "restart": _("Open a new console"),
                },
            )

    # -- one tab --------------------------------------------------------------------------

    def open_tab(self, language: str, visitor: str | None = None) -> Tab:
        """Register a tab and make its dirs (no await: the count and the slot agree)."""
        assert self.root is not None
        tab_id = secrets.token_hex(8)
        root = private_dir(self.root / tab_id)
        tab = Tab(id=tab_id, root=root, language=language, visitor=visitor)
        for folder in (tab.config_dir, tab.data_dir, tab.home):
            private_dir(folder)
        self.tabs[tab_id] = tab
        return tab

    def tab_environment(self, tab: Tab) -> dict[str, str]:
        """What the tab's console gets besides PATH, LANG/LC_* and the web driver's settings."""
        home = str(tab.home)
        return {
            "TERM": "xterm-256color",
            # Textual's web driver, which also ends the console when its input ends.
            "TEXTUAL_DRIVER": "console.web.tab:TabDriver",
            "BUURT_URL": self.api_url,
            "BUURT_CONFIG_DIR": str(tab.config_dir),
            "BUURT_DATA_DIR": str(tab.data_dir),
            "HOME": home,
            "XDG_CONFIG_HOME": home,
            "XDG_DATA_HOME": home,
            "XDG_CACHE_HOME": home,
            "XDG_STATE_HOME": home,
            "TMPDIR": home,
            # No keyring: the sign-in goes to the tab's data dir, where it is read to sign
            # out when the tab closes, then deleted with the dir.
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
            "PYTHONPATH": str(CODE_ROOT),
            # Whom its API calls are for (sent as X-Forwarded-For; see console/web/tab.py).
            **({"BUURT_WEB_VISITOR": tab.visitor} if tab.visitor else {}),
        }

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """One tab: its console started, relayed, and closed with everything it kept."""
        if not self.origin_allowed(request):
            log.warning(_("A console refused: the page it came from is not this server's."))
            raise web.HTTPForbidden(text=_("Consoles open from this server's own page only."))
        if len(self.tabs) >= self.max_consoles:
            raise web.HTTPServiceUnavailable(
                text=_("All consoles are in use. Try again in a few minutes."),
                headers={"Retry-After": "60"},
            )
        websocket = web.WebSocketResponse(heartbeat=15, max_msg_size=MAX_MESSAGE_BYTES)
        if not websocket.can_prepare(request).ok:
            raise web.HTTPBadRequest(text=_("This address takes a WebSocket only."))
        tab = self.open_tab(self.language_for(request), self.visitor_address(request))
        tab.websocket = websocket
        try:
            await websocket.prepare(request)
            service = TabService(
                [*self.tab_command, "--lang", tab.language],
                environment=self.tab_environment(tab),
                cwd=tab.home,
                write_bytes=websocket.send_bytes,
                write_str=websocket.send_str,
                close=websocket.close,
                download_manager=self.download_manager,
            )
            tab.service = service
            await service.start(
                _clamp(request.query.get("width"), COLUMNS_RANGE, 80),
                _clamp(request.query.get("height"), ROWS_RANGE, 24),
            )
            log.info(
                _("Console opened ({open} of {count} in use).").format(
                    open=len(self.tabs), count=self.max_consoles
                )
            )
            idle = asyncio.create_task(self._close_when_idle(tab, websocket))
            try:
                await self._relay(websocket, tab, service)
            finally:
                idle.cancel()
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await websocket.close(code=WSCloseCode.GOING_AWAY)
        except Exception as error:
            log.exception(error)
        finally:
            await asyncio.shield(self.close_tab(tab))
        return websocket

    async def _relay(self, websocket: web.WebSocketResponse, tab: Tab, service: TabService) -> None:
        """textual-serve's message loop, with what the browser sends checked (a bad message
        is skipped, not a crash) and input timed for the idle limit."""
        async for message in websocket:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                envelope = json.loads(message.data)
            except ValueError:
                continue
            if not isinstance(envelope, list) or not envelope:
                continue
            kind, data = envelope[0], envelope[1] if len(envelope) > 1 else None
            if kind == "stdin" and isinstance(data, str):
                tab.last_input = time.monotonic()
                await service.send_bytes(data.encode("utf-8", "replace"))
            elif kind == "resize" and isinstance(data, dict):
                await service.set_terminal_size(data.get("width", 80), data.get("height", 24))
            elif kind == "ping":
                await websocket.send_json(["pong", str(data)[:32]])
            elif kind == "blur":
                await service.blur()
            elif kind == "focus":
                await service.focus()

    async def _close_when_idle(self, tab: Tab, websocket: web.WebSocketResponse) -> None:
        while True:  # input moves the limit on: look again when it would be reached
            left = tab.last_input + self.idle_seconds - time.monotonic()
            if left <= 0:
                break
            await asyncio.sleep(min(left, 60.0) + 0.05)
        log.info(_("Console closed after {minutes} minutes without input.").format(
            minutes=f"{self.idle_seconds / 60:g}"
        ))  # fmt: skip
        await websocket.close(code=WSCloseCode.GOING_AWAY, message=b"idle")

    async def close_tab(self, tab: Tab) -> None:
        """Stop the console, end its sign-in on the server, delete its dirs (once)."""
        if tab.closing is None:
            tab.closing = asyncio.ensure_future(self._close_tab(tab))
        await asyncio.shield(tab.closing)

    async def _close_tab(self, tab: Tab) -> None:
        try:
            if tab.service is not None:
                await tab.service.stop()
            await self.sign_out(tab)
        finally:
            shutil.rmtree(tab.root, ignore_errors=True)
            self.tabs.pop(tab.id, None)
            log.info(
                _("Console closed ({open} of {count} in use).").format(
                    open=len(self.tabs), count=self.max_consoles
                )
            )

    async def sign_out(self, tab: Tab) -> None:
        """Revoke the sign-in the tab's console kept (its refresh and access tokens), on the
        one server it may sign in to."""
        for path in sorted((tab.data_dir / "credentials").glob("*.json")):
            try:
                stored = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if not isinstance(stored, dict):
                continue
            refresh = stored.get("refresh_token")
            access = stored.get("access_token")
            client = ApiClient(
                self.api_url,
                access_token=access if isinstance(access, str) else None,
                refresh_token=refresh if isinstance(refresh, str) else None,
                timeout=5.0,
                retries=0,
            )
            try:
                await asyncio.wait_for(client.sign_out(), SIGN_OUT_SECONDS)
            except (ApiError, TimeoutError) as error:
                log.warning(
                    _("A closed console's sign-in could not be ended on {url}: {reason}").format(
                        url=self.api_url, reason=getattr(error, "message", "timeout")
                    )
                )
            finally:
                await client.aclose()
