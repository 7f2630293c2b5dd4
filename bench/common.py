"""Helpers for the bench scripts: a seeded database and a real server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def brussels_dataset(neighbourhoods: int = 115, registered: int = 33_000) -> dict[str, Any]:
    """A Brussels-sized municipality (FIGURES.md): 115 neighbourhoods, ~33,000 registered
    households, 8% of all."""
    hoods = [
        {"name": f"Wijk {i:03d}", "households": 2600 + (i * 53) % 2000}
        for i in range(neighbourhoods)
    ]
    return {
        "demo_password": "bench-password",
        "demo_officer": "officer@brussels.bench",
        "municipalities": [
            {
                "slug": "brussels",
                "name": "Brussel / Bruxelles",
                "languages": ["fr", "nl", "en"],
                "timezone": "Europe/Brussels",
                "registered_households": registered,
                "neighbourhoods": hoods,
                "organisations": [
                    {
                        "slug": "brussels",
                        "name": "Ville de Bruxelles",
                        "kind": "municipality",
                        "accounts": [
                            {
                                "email": "officer@brussels.bench",
                                "name": "Bench Officer",
                                "language": "fr",
                                "roles": ["admin", "communicator", "moderator", "analyst"],
                            }
                        ],
                    }
                ],
            }
        ],
    }


def with_categories(dataset: dict[str, Any]) -> dict[str, Any]:
    """The dataset with the demo's inbox categories and a city centre, for submissions."""
    from server.services.seed import load_dataset

    for m in dataset["municipalities"]:
        m["centre"] = [50.8467, 4.3525]
    dataset["categories"] = load_dataset()["categories"]
    return dataset


def prepare(database_url: str, dataset: dict[str, Any], *, messages: bool = False) -> None:
    """Migrate and seed in this process; with `messages`, the demo's published messages,
    reply templates and participation too (`seed_demo`)."""
    from server import migrate
    from server.db import make_engine, make_sessionmaker
    from server.services.seed import seed_demo
    from server.settings import Settings

    migrate.upgrade(database_url)

    async def seed() -> None:
        engine = make_engine(Settings(database_url=database_url))
        async with make_sessionmaker(engine)() as session:
            await seed_demo(session, dataset, messages=messages)
        await engine.dispose()

    asyncio.run(seed())


def sign_in(url: str, dataset: dict[str, Any]) -> str:
    """An access token of the dataset's officer on the server at `url`."""
    answer = httpx.post(
        f"{url}/v1/auth/token",
        json={"email": dataset["demo_officer"], "password": dataset["demo_password"]},
    )
    answer.raise_for_status()
    return str(answer.json()["access_token"])


class Server:
    """`buurt-server serve` in a child process on a free port (`serve_args`: more options of
    `serve`, e.g. `("--workers", "2")`)."""

    def __init__(self, database_url: str, *serve_args: str, **env: str) -> None:
        self.serve_args = serve_args
        self.port = free_port()
        self.log = Path(tempfile.mkdtemp(prefix="buurt-bench-server-")) / "server.log"
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "BUURT_DATABASE_URL": database_url, **env}
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        self.process = subprocess.Popen(
            [
                str(BIN / "buurt-server"),
                "serve",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
                *self.serve_args,
            ],
            env=self.env,
            stdout=open(self.log, "wb"),
            stderr=subprocess.STDOUT,
        )
        # Generous: workers start one by one, on a machine that others share.
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.__exit__()  # not left running behind the error
        raise RuntimeError(f"server did not start (its log: {self.log})")

    def worker_pids(self) -> list[int]:
        """The processes that serve requests: uvicorn's workers with `--workers` above 1
        (children started by multiprocessing's spawn), else the server itself."""
        import psutil

        assert self.process is not None
        workers = [
            child.pid
            for child in psutil.Process(self.process.pid).children()
            if "spawn_main" in " ".join(child.cmdline())
        ]
        return workers or [self.process.pid]

    def __exit__(self, *exc: object) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=10)


def percentile_ms(values_s: list[float], q: float) -> float:
    """The `q` quantile (0..1, nearest rank) of durations in seconds, in milliseconds."""
    ordered = sorted(values_s)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000 if ordered else 0.0


def summary(values_s: list[float]) -> str:
    """p50 / p95 / max in milliseconds."""
    ms = sorted(v * 1000 for v in values_s)
    p95 = percentile_ms(values_s, 0.95)
    return (
        f"p50 {statistics.median(ms):7.1f} ms   p95 {p95:7.1f} ms   "
        f"max {ms[-1]:7.1f} ms   (n={len(ms)})"
    )


def interleaved(calls: dict[str, Callable[[], object]], runs: int) -> dict[str, list[float]]:
    """Durations in seconds of each call, `runs` times, taking turns (in an order that
    changes each round): on a shared machine every call sees the same moments of load, so
    their ratio means something even when the absolute figures move."""
    times: dict[str, list[float]] = {name: [] for name in calls}
    names = list(calls)
    for run in range(runs):
        for name in names[run % len(names) :] + names[: run % len(names)]:
            started = time.perf_counter()
            calls[name]()
            times[name].append(time.perf_counter() - started)
    return times


def growth_header(small: str, large: str) -> str:
    """The two header lines over `growth` lines (times in ms)."""
    return (
        f"{'':<34} {small:>15}   {large:>15}\n"
        f"{'(ms)':<34} {'p50':>7} {'p95':>7}   {'p50':>7} {'p95':>7}   p95 ratio"
    )


def growth(label: str, small: list[float], large: list[float], target: float = 1.5) -> str:
    """One line: p50/p95 at the small and the large size, the ratio of the p95s and whether
    it is within `target` (the cost of a page must not grow with the data)."""
    ratio = percentile_ms(large, 0.95) / max(percentile_ms(small, 0.95), 1e-9)
    mark = "ok" if ratio <= target else "MISSED"
    return (
        f"{label:<34} {statistics.median(small) * 1000:7.1f} {percentile_ms(small, 0.95):7.1f}"
        f"   {statistics.median(large) * 1000:7.1f} {percentile_ms(large, 0.95):7.1f}"
        f"   {ratio:5.2f}x  (target <= {target}x: {mark})"
    )
