"""`buurt web`: the console in a real browser (Debian's chromium, driven by Playwright), on a
real `buurt web` process and a real API server.

xterm.js draws on a canvas, so what the console shows is read from the WebSocket's frames.
Every wait is bounded; every process is stopped at the end.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psutil
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.conftest import DEMO_PASSWORD
from tests.live import LiveServer
from tests.pgserver import free_port
from tests.processes import STARTED_LOGS

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
EMAIL = "officer@mechelen.demo"
VISITOR = "203.0.113.9"
SCREENSHOT = Path("/tmp/buurt-web-dashboard.png")
ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
# What a tab's console may get from the web server's environment (and what it is given).
TAB_ENVIRONMENT = {
    "PATH", "LANG", "LANGUAGE", "TERM", "BUURT_URL", "BUURT_CONFIG_DIR", "BUURT_DATA_DIR",
    "HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME", "TMPDIR",
    "PYTHON_KEYRING_BACKEND", "PYTHONPATH", "BUURT_WEB_VISITOR", "TEXTUAL_DRIVER", "TEXTUAL_FPS",
    "TEXTUAL_COLOR_SYSTEM", "TERM_PROGRAM", "TERM_PROGRAM_VERSION", "COLUMNS", "ROWS",
}  # fmt: skip


@dataclass
class WebServer:
    """A `buurt web` process."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def consoles(self) -> list[psutil.Process]:
        """The tab consoles it runs now."""
        try:
            children = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []
        found = []
        for child in children:
            with contextlib.suppress(psutil.Error):
                if "console.web.tab" in child.cmdline():
                    found.append(child)
        return found

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start_web(api: LiveServer, log: Path, *options: str) -> WebServer:
    """`buurt web` on a free port, with a web server environment holding things no tab
    console may see (a canary, an API token, the web server's own console dirs)."""
    home = log.parent / f"{log.stem}-home"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": str(home),
        "BUURT_CONFIG_DIR": str(home / "config"),
        "BUURT_DATA_DIR": str(home / "data"),
        "BUURT_TOKEN": "bat_the-web-servers-own-token",
        "WEB_SERVER_SECRET": "canary",
        "PYTHONUNBUFFERED": "1",
    }
    port = free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "buurt"), "web", "--url", api.url,
         "--port", str(port), *options],
        env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT,  # noqa: SIM115
    )  # fmt: skip
    server = WebServer(process, port, log)
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(server.url + "/", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            raise RuntimeError("buurt web did not start:\n" + log.read_text(errors="replace"))
        time.sleep(0.1)


@pytest.fixture(scope="module")
def api(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    path = tmp_path_factory.mktemp("web-api") / "buurt.db"
    shutil.copy(sqlite_template, path)
    server = LiveServer(path, login_max_failures_per_address=10_000)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def web(api: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    server = start_web(api, tmp_path_factory.mktemp("web") / "web.log")
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def web_logs_checked(request: pytest.FixtureRequest) -> None:
    """Fail a test during which `buurt web` (or a console it ran) wrote a traceback."""
    for name in ("web", "small_web"):
        if name in request.fixturenames:
            STARTED_LOGS.append(request.getfixturevalue(name).log)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=30_000
        )
        yield browser
        browser.close()


@dataclass
class Tab:
    """A browser page on `buurt web`, with what its WebSocket carried and what it asked."""

    page: Page
    frames: list[bytes | str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    console_messages: list[str] = field(default_factory=list)
    first_frame_at: float | None = None
    sockets_closed: int = 0

    def text(self) -> str:
        """The terminal output so far, escape sequences taken out."""
        raw = "".join(
            f.decode("utf-8", "replace") if isinstance(f, bytes) else "" for f in self.frames
        )
        return ANSI.sub("", raw)

    def wait_for(self, condition: Callable[[], bool], seconds: float, what: str) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                tail = self.text()[-1500:]
                raise AssertionError(f"not within {seconds} s: {what}\n--- screen text:\n{tail}")
            self.page.wait_for_timeout(100)

    def wait_for_text(self, text: str, seconds: float = 30) -> None:
        self.wait_for(lambda: text in self.text(), seconds, repr(text))


def open_tab(browser: Browser, url: str, **context_options: object) -> Tab:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, **context_options)  # type: ignore[arg-type]
    page = context.new_page()
    tab = Tab(page)

    def on_frame(payload: bytes | str) -> None:
        if tab.first_frame_at is None and isinstance(payload, bytes) and len(payload) > 10:
            tab.first_frame_at = time.monotonic()
        tab.frames.append(payload)

    def on_websocket(ws: object) -> None:
        ws.on("framereceived", on_frame)  # type: ignore[attr-defined]

        def closed(_ws: object) -> None:
            tab.sockets_closed += 1

        ws.on("close", closed)  # type: ignore[attr-defined]

    page.on("websocket", on_websocket)
    page.on("request", lambda request: tab.requests.append(request.url))
    page.on("console", lambda message: tab.console_messages.append(message.text))
    return tab


def sign_in(tab: Tab, email: str = EMAIL) -> None:
    """Type as a person would: email, tab, password, enter. (Keys typed in the same
    millisecond as the tab could still reach the email field: Textual moves the focus after
    the keys already queued for it, so the test, like a person, waits for the field.)"""
    tab.page.focus(".xterm-helper-textarea")
    tab.page.keyboard.type(email, delay=5)
    tab.wait_for_text(email, 10)
    tab.page.keyboard.press("Tab")
    tab.page.wait_for_timeout(300)
    tab.page.keyboard.type(DEMO_PASSWORD, delay=5)
    tab.page.wait_for_timeout(100)
    tab.page.keyboard.press("Enter")


def environment_of(process: psutil.Process) -> dict[str, str]:
    raw = Path(f"/proc/{process.pid}/environ").read_bytes()
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {k.decode(): v.decode(errors="replace") for k, v in pairs}


def gone_within(process: psutil.Process, seconds: float) -> float | None:
    """Seconds until the process ended, or None if it did not in time."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if not process.is_running() or process.status() == psutil.STATUS_ZOMBIE:
            return time.monotonic() - start
        time.sleep(0.05)
    return None


def wait_until(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def sessions_of(api: LiveServer, email: str) -> list[tuple[int, str | None, str | None, str]]:
    """The account's sign-in sessions in the server's database: (id, revoked_at, reason,
    client address)."""
    with contextlib.closing(sqlite3.connect(api.database)) as db:
        return db.execute(
            "SELECT s.id, s.revoked_at, s.revoked_reason, s.client_address FROM auth_sessions s "
            "JOIN staff_accounts a ON a.id = s.account_id WHERE a.email = ? ORDER BY s.id",
            (email,),
        ).fetchall()


def test_a_tab_signs_in_and_leaves_nothing_behind(
    web: WebServer, api: LiveServer, browser: Browser
) -> None:
    before = {row[0] for row in sessions_of(api, EMAIL)}
    # As if through a proxy on this machine, for a visitor at 203.0.113.9.
    first = open_tab(browser, web.url, extra_http_headers={"X-Forwarded-For": VISITOR})
    opened = time.monotonic()
    response = first.page.goto(web.url + "/", timeout=20_000)
    assert response is not None and response.status == 200
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert f"connect-src 'self' ws://127.0.0.1:{web.port}" in policy
    first.wait_for_text("Sign in to buurt")
    assert first.first_frame_at is not None
    first_frame = first.first_frame_at - opened

    # Its console: only the environment it needs, dirs of its own, no stored sign-in yet.
    [console] = web.consoles()
    env = environment_of(console)
    assert set(env) <= TAB_ENVIRONMENT, set(env) - TAB_ENVIRONMENT
    assert env["BUURT_URL"] == api.url
    assert env["BUURT_WEB_VISITOR"] == VISITOR
    assert "WEB_SERVER_SECRET" not in env and "BUURT_TOKEN" not in env
    tab_root = Path(env["BUURT_DATA_DIR"]).parent
    assert tab_root.is_dir() and oct(tab_root.stat().st_mode & 0o777) == "0o700"
    assert Path(env["BUURT_CONFIG_DIR"]).parent == tab_root

    sign_in(first)
    typed = time.monotonic()
    first.wait_for_text("Stad Mechelen")
    first.wait_for_text("Registered households")
    to_dashboard = time.monotonic() - typed
    first.page.wait_for_timeout(500)
    first.page.screenshot(path=str(SCREENSHOT))
    rss = console.memory_info().rss
    print(
        f"\nfirst frame {first_frame:.2f} s after the page was asked for; dashboard "
        f"{to_dashboard:.2f} s after Enter; console RSS {rss / 2**20:.0f} MiB; "
        f"screenshot {SCREENSHOT}"
    )

    # The sign-in is in the tab's own dir (no keyring), nowhere the web server keeps its own.
    credentials = list((Path(env["BUURT_DATA_DIR"]) / "credentials").glob("*.json"))
    assert len(credentials) == 1
    refresh_token = json.loads(credentials[0].read_text())["refresh_token"]
    web_home = web.log.parent / f"{web.log.stem}-home"
    assert not (web_home / "data" / "credentials").exists()

    # A second, fresh browser meets the sign-in form, not the first one's dashboard.
    second = open_tab(browser, web.url)
    second.page.goto(web.url + "/", timeout=20_000)
    second.wait_for_text("Sign in to buurt")
    second.page.wait_for_timeout(1000)
    assert "Stad Mechelen" not in second.text()
    assert "Registered households" not in second.text()
    assert len(web.consoles()) == 2

    # Close the first tab: its process ends within 5 s, its dirs go, its sign-in ends.
    first.page.context.close()
    took = gone_within(console, 5.0)
    assert took is not None, "the closed tab's console still runs after 5 s"
    print(f"closed tab's console gone {took:.2f} s after the tab closed")
    assert wait_until(lambda: not tab_root.exists(), 15), "the tab's files are still there"
    new = [row for row in sessions_of(api, EMAIL) if row[0] not in before]
    assert len(new) == 1
    assert wait_until(
        lambda: all(row[1] is not None for row in sessions_of(api, EMAIL) if row[0] not in before),
        10,
    ), "the closed tab's sign-in was not ended"
    [(_id, revoked_at, reason, address)] = [
        r for r in sessions_of(api, EMAIL) if r[0] not in before
    ]
    assert revoked_at is not None and reason == "logout"
    assert address == VISITOR  # the API counted the visitor, not the web server
    refused = httpx.post(
        f"{api.url}/v1/auth/refresh", json={"refresh_token": refresh_token}, timeout=10
    )
    assert refused.status_code == 401

    # Nothing was asked of any other server; the page broke no rule of its own policy.
    for tab in (first, second):
        hosts = {urlsplit(url).netloc for url in tab.requests}
        assert hosts == {f"127.0.0.1:{web.port}"}, tab.requests
        assert not [m for m in tab.console_messages if "Content Security Policy" in m]
    assert any(url.endswith(".ttf") for url in first.requests)  # the font, from here
    second.page.context.close()
    assert wait_until(lambda: not web.consoles(), 10)


def handshake(web: WebServer, origin: str | None, host: str | None = None) -> int:
    """The status of a WebSocket handshake on /ws with this Origin (raw: the test's thread
    has Playwright's event loop)."""
    lines = [
        "GET /ws?width=80&height=24 HTTP/1.1",
        f"Host: {host or f'127.0.0.1:{web.port}'}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}",
        "Sec-WebSocket-Version: 13",
        *([f"Origin: {origin}"] if origin else []),
    ]
    with socket.create_connection(("127.0.0.1", web.port), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        status_line = sock.makefile("rb").readline().decode()
    return int(status_line.split()[1])


def test_a_foreign_origin_gets_no_console(web: WebServer) -> None:
    for origin in ("http://evil.example", "null", f"http://127.0.0.1:{web.port + 1}",
                   f"https://127.0.0.1:{web.port}", None):  # fmt: skip
        assert handshake(web, origin) == 403, origin
    assert not web.consoles()
    # A page of another site that resolves to this machine (DNS rebinding) is refused too.
    rebound = httpx.get(f"{web.url}/", headers={"Host": f"evil.example:{web.port}"}, timeout=5)
    assert rebound.status_code == 421
    assert handshake(web, f"http://evil.example:{web.port}", f"evil.example:{web.port}") == 403
    # The page's own origin is let in.
    assert handshake(web, f"http://127.0.0.1:{web.port}") == 101
    assert handshake(web, f"http://localhost:{web.port}", f"localhost:{web.port}") == 101
    assert wait_until(lambda: not web.consoles(), 10)


def test_tab_command_refuses_to_run_outside_buurt_web(tmp_path: Path) -> None:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "console.web.tab"], env=env, capture_output=True, timeout=30
    )
    assert done.returncode == 2
    assert b"buurt web" in done.stderr


@pytest.fixture
def small_web(api: LiveServer, tmp_path: Path) -> Iterator[WebServer]:
    # One console at most, closed after 6 s without input.
    server = start_web(api, tmp_path / "small.log", "--max-consoles", "1", "--idle-minutes", "0.1")
    yield server
    server.stop()


def test_full_then_idle(small_web: WebServer, browser: Browser) -> None:
    first = open_tab(browser, small_web.url)
    first.page.goto(small_web.url + "/", timeout=20_000)
    first.wait_for_text("Sign in to buurt")
    [console] = small_web.consoles()

    # The second console of a server that runs one: a page that says so.
    second = open_tab(browser, small_web.url, locale="nl-BE")
    response = second.page.goto(small_web.url + "/", timeout=20_000)
    assert response is not None and response.status == 503
    assert response.headers.get("retry-after") == "60"
    full_text = second.page.inner_text("#full")
    assert "Alle consoles zijn in gebruik" in full_text and "1" in full_text
    assert len(small_web.consoles()) == 1

    # Untouched, the first closes by itself after its idle time (6 s) and ends its process.
    first.wait_for(lambda: first.sockets_closed > 0, 15, "the idle console to close")
    assert gone_within(console, 5.0) is not None
    first.page.wait_for_selector("body.-closed .closed-dialog", timeout=5_000)
    # ... and the slot is free again: the second gets its console (in Dutch, as it asks).
    assert wait_until(lambda: not small_web.consoles(), 10)
    second.page.goto(small_web.url + "/", timeout=20_000)
    second.wait_for_text("Aanmelden bij buurt")

    # Stopping the server (Ctrl+C) with a tab open ends that console and leaves no file.
    [console] = small_web.consoles()
    server_root = Path(environment_of(console)["BUURT_DATA_DIR"]).parent.parent
    assert server_root.name.startswith("buurt-web-")
    small_web.stop()
    assert small_web.process.returncode == 0
    assert gone_within(console, 5.0) is not None
    assert not server_root.exists()
    second.wait_for(lambda: second.sockets_closed > 0, 10, "the socket to close")
    first.page.context.close()
    second.page.context.close()


def test_behind_a_proxy(api: LiveServer, tmp_path: Path) -> None:
    """With --public-url https://…: the page connects with wss:// to that host, and only
    that origin may open a console."""
    server = start_web(api, tmp_path / "proxied.log", "--public-url", "https://buurt.example.org/")
    STARTED_LOGS.append(server.log)
    try:
        page = httpx.get(f"{server.url}/", timeout=10)
        assert 'data-session-websocket-url="wss://buurt.example.org/ws"' in page.text
        assert (
            "connect-src 'self' wss://buurt.example.org" in page.headers["content-security-policy"]
        )
        assert handshake(server, f"http://127.0.0.1:{server.port}") == 403
        assert handshake(server, "https://buurt.example.org") == 101
        assert wait_until(lambda: not server.consoles(), 10)
    finally:
        server.stop()
