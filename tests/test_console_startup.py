"""What the console imports to start: `buurt --help` and `buurt whoami` without Textual,
Babel or keyring, the TUI without the screens it does not show first.

Each check runs in a fresh interpreter and reads its `sys.modules`: a test process has
imported everything already. These are the start-up gains of issue 28 kept from quietly
coming undone; the times themselves are measured by bench/startup.py.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from console.cli import main
from tests.conftest import DEMO_PASSWORD
from tests.live import LiveServer

# Modules a command without a TUI must not wait for.
NOT_FOR_COMMANDS = ("textual", "rich", "babel", "plotext", "console.app", "console.screens")
PROBE = """
import json, sys
from console.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as done:
    code = done.code
sys.stdout.flush()
# A None entry is an import refused (httpx._main), not one made.
modules = sorted(name for name, module in sys.modules.items() if module is not None)
print(json.dumps({"code": code, "modules": modules}), file=sys.stderr)
"""


def run_console(args: list[str], home: Path) -> tuple[int, str, set[str]]:
    """`buurt ARGS` in a fresh interpreter: its exit code, its output and the modules it
    imported."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUURT_")}
    env.update(BUURT_CONFIG_DIR=str(home / "config"), BUURT_DATA_DIR=str(home / "data"))
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    report = json.loads(done.stderr.strip().splitlines()[-1])
    return report["code"], done.stdout, set(report["modules"])


def imported(modules: set[str], names: tuple[str, ...]) -> list[str]:
    """Which of `names` (packages with their submodules) were imported."""
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in names))


def test_help_imports_no_client_no_tui(console_home: Path) -> None:
    code, out, modules = run_console(["--help"], console_home)
    assert code == 0 and "whoami" in out and "messages" in out
    # Not even the API client: help says what there is, it asks the server nothing.
    assert imported(modules, (*NOT_FOR_COMMANDS, "keyring", "httpx", "pydantic")) == []
    # Translated all the same (gettext's catalog, not Babel).
    code, out, modules = run_console(["--lang", "nl", "--help"], console_home)
    assert code == 0 and "als wie en waar u bent aangemeld" in out
    assert imported(modules, ("babel", "textual")) == []


def test_whoami_imports_no_tui_and_no_keyring_for_a_file_credential(
    live_server: LiveServer,
    console_home: Path,
    no_keyring: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(DEMO_PASSWORD + "\n"))
    signed_in = main(
        ["--url", live_server.url, "login", "--email", "analyst@mechelen.demo", "--password-stdin"]
    )
    assert signed_in == 0
    assert (console_home / "data" / "credentials" / "default.json").exists()
    code, out, modules = run_console(["whoami"], console_home)
    assert code == 0 and "analyst@mechelen.demo" in out and "default.json" in out
    # The sign-in is in a file: keyring (0.1-0.4 s to import and find a backend) not needed.
    assert imported(modules, (*NOT_FOR_COMMANDS, "keyring")) == []


def test_tui_imports_only_the_first_screens(console_home: Path) -> None:
    # `buurt --url URL` up to the TUI (not run: its modules are what is looked at).
    probe = (
        "import json, sys; import console.cli as cli;"
        "cli.cmd_tui = lambda args, context: 0;"
        "code = cli.main(['--url', 'http://127.0.0.1:9']);"
        "import console.app, console.screens.dashboard;"
        "print(json.dumps([code, sorted(n for n, m in sys.modules.items() if m is not None)]))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUURT_")}
    env.update(
        BUURT_CONFIG_DIR=str(console_home / "config"), BUURT_DATA_DIR=str(console_home / "data")
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60
    )
    code, names = json.loads(done.stdout)
    modules = set(names)
    assert code == 0 and {"console.screens.login", "console.screens.dashboard"} <= modules
    later = (
        # The API client (httpx): made after the first frame, which shows what is remembered.
        "httpx",
        "console.api.client",
        "console.api.stream",
        # The commands: the TUI's arguments are read without registering them.
        "console.commands.broadcast",
        "console.commands.submissions",
        "console.composing",
        "console.web",
        "plotext",
        "console.mapview",
        "console.screens.map",
        "console.screens.statistics",
        "console.screens.compose",
        "console.screens.results",
        "console.screens.inbox",
        "console.screens.messages",
        "console.screens.overview",
        "console.screens.help",
        "console.screens.confirm",
    )
    assert imported(modules, later) == []
