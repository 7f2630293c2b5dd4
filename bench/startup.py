"""Console start-up: time from launching `buurt` to its first frame, in a real pseudo-terminal.

Prints, over several runs (interleaved), the time until the sign-in screen is drawn (no
credential), until the dashboard shows its figures (a stored sign-in, against a local demo
server), the same for a bare Textual app (header, a 20-row table, footer: the floor of the
stack), and `buurt whoami` (no TUI) from launch to exit; then the ratios.

    .venv/bin/python bench/startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import pty
import re
import select
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
BARE_APP = """
from textual.app import App
from textual.widgets import DataTable, Footer, Header


class Bare(App):
    BINDINGS = [("q", "quit", "Quit")]

    def compose(self):
        yield Header()
        yield DataTable()
        yield Footer()

    def on_mount(self):
        table = self.query_one(DataTable)
        table.add_columns("Neighbourhood", "Households")
        for i in range(20):
            table.add_row(f"Row {i}", str(1000 + i))
        table.add_row("Bare floor", "ready")


Bare().run()
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def time_to_text(args: list[str], env: dict[str, str], marker: bytes, timeout: float = 30) -> float:
    """Seconds from spawning `args` in a pty until `marker` appears on its screen."""
    master, slave = pty.openpty()
    os.set_blocking(master, False)
    started = time.perf_counter()
    proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    seen = b""
    try:
        while time.perf_counter() - started < timeout:
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    seen += os.read(master, 65536)
                except OSError:
                    break
                # Textual draws with cursor moves between words: compare without escapes.
                if marker in strip(seen):
                    return time.perf_counter() - started
        raise RuntimeError(f"{marker!r} not seen within {timeout} s")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
        os.close(master)


def strip(raw: bytes) -> bytes:
    """The bytes without ANSI control sequences."""
    return re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", raw)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    home = Path(tempfile.mkdtemp(prefix="buurt-bench-"))
    # Compiled once, as an installed package is (pip compiles on install); a checkout run
    # with PYTHONDONTWRITEBYTECODE would otherwise compile the console at every launch.
    root = Path(__file__).resolve().parents[1]
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", *(str(root / d) for d in ("console", "config"))],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "COLUMNS": "120",
        "LINES": "35",
        "BUURT_CONFIG_DIR": str(home / "config"),
        "BUURT_DATA_DIR": str(home / "data"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "LANG": "C.UTF-8",
    }
    for var in ("BUURT_TOKEN", "BUURT_URL"):
        env.pop(var, None)
    buurt = str(BIN / "buurt")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    db_env = {**env, "BUURT_DATABASE_URL": f"sqlite+aiosqlite:///{home / 'bench.db'}"}
    subprocess.run(
        [str(BIN / "buurt-server"), "migrate"], env=db_env, check=True, capture_output=True
    )
    subprocess.run(
        [str(BIN / "buurt-server"), "seed", "--demo"], env=db_env, check=True, capture_output=True
    )
    server = subprocess.Popen(
        [str(BIN / "buurt-server"), "serve", "--port", str(port), "--log-level", "warning"],
        env=db_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        import httpx

        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.1)

        login = [time_to_text([buurt, "--url", url], env, b"Sign in to buurt") for _ in range(runs)]
        subprocess.run(
            [buurt, "--url", url, "login", "--email", "officer@mechelen.demo", "--password-stdin"],
            input="buurt-demo\n",
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        # The dashboard with its figures loaded: Mechelen's 53% of households registered;
        # interleaved with the bare Textual app, so both see the same machine.
        bare_app = home / "bare.py"
        bare_app.write_text(BARE_APP)
        overview, first, bare, whoami = [], [], [], []
        for _ in range(runs):
            # A start with nothing kept from the last one: who am I, then the figures.
            shutil.rmtree(home / "data" / "last-seen", ignore_errors=True)
            first.append(time_to_text([buurt], env, b"53.0%"))
            # The usual start: the last figures at once (fresh ones follow).
            overview.append(time_to_text([buurt], env, b"53.0%"))
            bare.append(time_to_text([sys.executable, str(bare_app)], env, b"Bare floor"))
            started = time.perf_counter()
            subprocess.run([buurt, "whoami"], env=env, check=True, capture_output=True)
            whoami.append(time.perf_counter() - started)
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(home, ignore_errors=True)

    def show(name: str, values: list[float]) -> None:
        ms = sorted(v * 1000 for v in values)
        print(
            f"{name:<38} median {statistics.median(ms):7.0f} ms   "
            f"min {ms[0]:7.0f} ms   max {ms[-1]:7.0f} ms   ({len(ms)} runs)"
        )

    print(f"buurt console start-up, {runs} runs, Python {sys.version.split()[0]}")
    show("launch -> sign-in screen drawn", login)
    show("launch -> dashboard, nothing kept (first start)", first)
    show("launch -> dashboard with figures (signed in)", overview)
    show("bare Textual app -> its table drawn", bare)
    show("buurt whoami (no TUI), launch -> exit", whoami)
    ratio = statistics.median(overview) / statistics.median(bare)
    print(f"dashboard with figures ÷ bare Textual app: {ratio:.2f} (target ≤ 2)")
    first_ratio = statistics.median(first) / statistics.median(bare)
    print(f"first start ÷ bare Textual app: {first_ratio:.2f}")
    print(f"buurt whoami: {statistics.median(whoami):.2f} s (target ≤ 0.3 s)")


if __name__ == "__main__":
    main()
