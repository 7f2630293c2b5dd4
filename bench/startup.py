"""Console start-up: launch to first frame in a real pseudo-terminal (120x35), and the
commands without a TUI from launch to exit, each beside its floor in the same run.

Over several interleaved runs it times:

- `python -c "import httpx"`: the floor of every command (Python and the HTTP client);
- `buurt --help` and `buurt whoami` (signed in, against a local demo server);
- launch → sign-in screen drawn (no credential), → dashboard with its figures (a stored
  sign-in; the first start with nothing kept, and the usual start);
- a bare Textual app (header, a 20-row table, footer): the floor of the TUI stack;
- posting 2.11.1 (another Textual HTTP client) to its first frame, when `--posting` names
  it. It is not a dependency of buurt; install it in a venv of its own (tree-sitter 0.26
  crashes Textual 6.1's syntax highlighting, hence the pin):

      python3 -m venv /tmp/posting-venv
      /tmp/posting-venv/bin/pip install posting==2.11.1 'tree-sitter<0.26'

Then the goals of issue 28, each met or missed: dashboard ≤ 2 times the bare app and ≤ 0.5 times
posting, `buurt whoami` ≤ 0.25 s, `buurt --help` ≤ 0.15 s.

    .venv/bin/python bench/startup.py [--runs 7] [--posting /tmp/posting-venv/bin/posting]

Where the time goes: `.venv/bin/python -X importtime -m console --help 2>&1 | sort -t'|'
-k2 -n | tail`.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import re
import resource
import select
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path
from typing import NamedTuple

BIN = Path(sys.executable).parent
COLUMNS, LINES = 120, 35
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
# Goals of issue 28.
DASHBOARD_PER_BARE = 2.0
DASHBOARD_PER_POSTING = 0.5
WHOAMI_S = 0.25
HELP_S = 0.15


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Timing(NamedTuple):
    """Seconds on the clock, and of CPU (user and system) the process used: on a shared
    machine the clock counts the others' work too, the CPU time only the process's own."""

    wall: float
    cpu: float


def process_cpu(pid: int) -> float:
    """CPU seconds a running process has used so far, all its threads (/proc, in ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    """CPU seconds of the children waited for so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_to_text(
    args: list[str],
    env: dict[str, str],
    marker: bytes,
    timeout: float = 30,
    cwd: Path | None = None,
) -> Timing:
    """From spawning `args` in a 120x35 pty until `marker` appears on its screen."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
    os.set_blocking(master, False)
    started = time.perf_counter()
    proc = subprocess.Popen(
        args, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True, cwd=cwd
    )
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
                    # Read while it runs: what it does after the frame (the requests that
                    # follow it) is not the frame's.
                    return Timing(time.perf_counter() - started, process_cpu(proc.pid))
        raise RuntimeError(f"{marker!r} not seen within {timeout} s: {strip(seen)[-300:]!r}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)


def time_to_exit(args: list[str], env: dict[str, str]) -> Timing:
    """From spawning `args` until it exits (successfully)."""
    cpu = children_cpu()
    started = time.perf_counter()
    subprocess.run(args, env=env, check=True, capture_output=True)
    return Timing(time.perf_counter() - started, children_cpu() - cpu)


def strip(raw: bytes) -> bytes:
    """The bytes without ANSI control sequences."""
    return re.sub(rb"\x1b\[[0-9;?<>=$]*[A-Za-z]", b"", raw)


def start_server(home: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """A seeded demo server on a free port, ready."""
    import httpx

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    db_env = {**env, "BUURT_DATABASE_URL": f"sqlite+aiosqlite:///{home / 'bench.db'}"}
    server_bin = str(BIN / "buurt-server")
    subprocess.run([server_bin, "migrate"], env=db_env, check=True, capture_output=True)
    subprocess.run([server_bin, "seed", "--demo"], env=db_env, check=True, capture_output=True)
    server = subprocess.Popen(
        [server_bin, "serve", "--port", str(port), "--log-level", "warning"],
        env=db_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return server, url
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            server.terminate()
            raise RuntimeError("server did not start")
        time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--posting", type=Path, help="posting 2.11.1's executable (see above to install it)"
    )
    options = parser.parse_args()
    runs, posting = options.runs, options.posting
    if posting is not None and not posting.exists():
        parser.error(f"{posting} does not exist")
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
        "COLUMNS": str(COLUMNS),
        "LINES": str(LINES),
        "BUURT_CONFIG_DIR": str(home / "config"),
        "BUURT_DATA_DIR": str(home / "data"),
        # No keyring on this machine: the sign-in is kept in a file, as on a headless server.
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "LANG": "C.UTF-8",
    }
    for var in ("BUURT_TOKEN", "BUURT_URL"):
        env.pop(var, None)
    # posting keeps its settings and history under XDG dirs; none of ours.
    posting_home = home / "posting"
    posting_env = {
        **{k: v for k, v in env.items() if k != "PYTHONPATH"},
        "HOME": str(posting_home),
        "XDG_CONFIG_HOME": str(posting_home / "config"),
        "XDG_DATA_HOME": str(posting_home / "data"),
    }
    posting_home.mkdir()
    buurt = str(BIN / "buurt")
    times: dict[str, list[Timing]] = {}

    def take(name: str, timing: Timing) -> None:
        times.setdefault(name, []).append(timing)

    server, url = start_server(home, env)
    try:
        for _ in range(runs):
            take("login", time_to_text([buurt, "--url", url], env, b"Sign in to buurt"))
        subprocess.run(
            [buurt, "--url", url, "login", "--email", "officer@mechelen.demo", "--password-stdin"],
            input="buurt-demo\n",
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        bare_app = home / "bare.py"
        bare_app.write_text(BARE_APP)
        # Interleaved, so that every figure and its floor see the same machine.
        for _ in range(runs):
            take("httpx", time_to_exit([sys.executable, "-c", "import httpx"], env))
            take("help", time_to_exit([buurt, "--help"], env))
            take("whoami", time_to_exit([buurt, "whoami"], env))
            # A start with nothing kept from the last one: who am I, then the figures
            # (Mechelen's 53% of households registered).
            shutil.rmtree(home / "data" / "last-seen", ignore_errors=True)
            take("first", time_to_text([buurt], env, b"53.0%"))
            # The usual start: the last figures at once (fresh ones follow).
            take("dashboard", time_to_text([buurt], env, b"53.0%"))
            take("bare", time_to_text([sys.executable, str(bare_app)], env, b"Bare floor"))
            if posting is not None:
                marker = b"Enter a URL or paste a curl command"
                take("posting", time_to_text([str(posting)], posting_env, marker, cwd=home))
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(home, ignore_errors=True)

    def median(name: str, kind: str) -> float:
        return statistics.median(getattr(t, kind) for t in times[name])

    def show(name: str, label: str) -> None:
        ms = sorted(t.wall * 1000 for t in times[name])
        print(
            f"{label:<48} {statistics.median(ms):6.0f} ms (min {ms[0]:5.0f}, max {ms[-1]:5.0f})"
            f"   CPU {median(name, 'cpu') * 1000:5.0f} ms"
        )

    def goal(label: str, value: float, target: float, unit: str, extra: str = "") -> None:
        verdict = "met" if value <= target else "MISSED"
        print(f"  {label:<46} {value:6.2f}{unit} (goal ≤ {target:g}{unit}) {verdict}{extra}")

    load = os.getloadavg()
    cores = os.cpu_count() or 1
    print(
        f"buurt console start-up, medians of {runs} runs, Python {sys.version.split()[0]}, "
        f"load {load[0]:.2f} on {cores} cores"
    )
    if load[0] > 1.5 * cores:
        print("(a busy machine: the clock counts others' work too; CPU time is each process's own)")
    show("httpx", 'python -c "import httpx" (floor), -> exit')
    show("help", "buurt --help, launch -> exit")
    show("whoami", "buurt whoami, launch -> exit")
    show("login", "launch -> sign-in screen drawn")
    show("first", "launch -> dashboard, nothing kept (first start)")
    show("dashboard", "launch -> dashboard with figures (signed in)")
    show("bare", "bare Textual app -> its table drawn")
    if posting is not None:
        show("posting", "posting 2.11.1 -> its first frame")
    for kind, title in (("wall", "on the clock"), ("cpu", "in CPU time")):
        print(f"\nGoals, {title}:")
        floor = median("httpx", kind)
        for name, label, target in (
            ("help", "buurt --help", HELP_S),
            ("whoami", "buurt whoami", WHOAMI_S),
        ):
            extra = f"; the floor {floor:.2f} s, {median(name, kind) - floor:+.2f} s over it"
            goal(label, median(name, kind), target, " s", extra)
        bare = median("bare", kind)
        goal(
            "dashboard ÷ bare Textual app",
            median("dashboard", kind) / bare,
            DASHBOARD_PER_BARE,
            "×",
        )
        print(f"  {'first start ÷ bare Textual app':<46} {median('first', kind) / bare:6.2f}×")
        if posting is not None:
            ratio = median("dashboard", kind) / median("posting", kind)
            goal("dashboard ÷ posting 2.11.1", ratio, DASHBOARD_PER_POSTING, "×")
        else:
            print("  dashboard ÷ posting 2.11.1: not measured (--posting PATH; see the docstring)")


if __name__ == "__main__":
    main()
