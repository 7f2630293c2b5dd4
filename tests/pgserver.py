"""A throwaway PostgreSQL server for the test suite, started from the installed binaries.

pytest-postgresql refuses to run as root, and CI runs as root: here, as root, the server runs
as the `postgres` system user that Debian's package creates.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise RuntimeError(
        "PostgreSQL server binaries not found: install them (Debian: apt-get install postgresql)."
    )


class PostgresServer:
    """initdb + postgres on a free port of 127.0.0.1, trust auth; fsync off (test data only)
    unless `durable`, as for benchmarks that compare with SQLite's own durability."""

    def __init__(self, *, durable: bool = False) -> None:
        self.durable = durable
        self.bindir = _bindir()
        self.port = free_port()
        self.user = "buurt"
        self.root = Path(tempfile.mkdtemp(prefix="buurt-pg-"))
        self.datadir = self.root / "data"
        self.process: subprocess.Popen[bytes] | None = None
        self._run_as: str | None = None
        if os.geteuid() == 0:
            self._run_as = "postgres"
            pw = pwd.getpwnam("postgres")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)

    def _popen_kwargs(self) -> dict[str, object]:
        return {"user": self._run_as} if self._run_as else {}

    def start(self) -> None:
        self._initdb()
        self._launch()

    def pause(self) -> None:
        """Stop the server but keep its data (for outage tests)."""
        if self.process and self.process.poll() is None:
            # SIGINT is PostgreSQL's fast shutdown: open connections are cut, as in an outage.
            self.process.send_signal(signal.SIGINT)
            self.process.wait(timeout=15)

    def resume(self) -> None:
        """Start again on the same port with the same data."""
        self._launch()

    def _initdb(self) -> None:
        subprocess.run(
            [
                str(self.bindir / "initdb"),
                "-D",
                str(self.datadir),
                "-U",
                self.user,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
            ],
            check=True,
            capture_output=True,
            **self._popen_kwargs(),  # type: ignore[arg-type]
        )

    def _launch(self) -> None:
        log = open(self.root / "postgres.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                str(self.bindir / "postgres"),
                "-D",
                str(self.datadir),
                "-p",
                str(self.port),
                "-k",
                str(self.root),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "max_connections=200",
                *(
                    ()
                    if self.durable
                    else (
                        "-c",
                        "fsync=off",
                        "-c",
                        "synchronous_commit=off",
                        "-c",
                        "full_page_writes=off",
                    )
                ),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            **self._popen_kwargs(),  # type: ignore[arg-type]
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError((self.root / "postgres.log").read_text())
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5),
            ):
                ready = subprocess.run(
                    [str(self.bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                    capture_output=True,
                )
                if ready.returncode == 0:
                    return
            time.sleep(0.1)
        raise RuntimeError("PostgreSQL did not start in 30 s")

    def url(self, database: str, driver: str = "asyncpg") -> str:
        """SQLAlchemy URL of a database on this server."""
        return f"postgresql+{driver}://{self.user}@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> None:
        """Run SQL as the superuser (CREATE/DROP DATABASE and the like)."""
        subprocess.run(
            [
                str(self.bindir / "psql")
                if (self.bindir / "psql").exists()
                else shutil.which("psql") or "psql",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                self.user,
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-q",
                "-c",
                sql,
            ],
            check=True,
            capture_output=True,
        )

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.root, ignore_errors=True)
