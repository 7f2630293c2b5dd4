"""`buurt-server backup` while the server writes, `restore` into another database, `migrate`,
`serve`: every row committed before the backup began is there. Restoring refuses a database
that holds rows without --force; the wrong kind of file or a missing pg_dump is a sentence."""

from __future__ import annotations

import asyncio
import os
import subprocess
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from server import operations
from tests.conftest import DEMO_PASSWORD
from tests.pgserver import PostgresServer, free_port
from tests.processes import server_cli, start_server


def cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return server_cli(database_url, *args, timeout=300)


def scalars(database_url: str, statement: str) -> list:
    async def run() -> list:
        engine = create_async_engine(database_url)
        async with engine.connect() as conn:
            found = list((await conn.execute(text(statement))).scalars())
        await engine.dispose()
        return found

    return asyncio.run(run())


def bearer(http: httpx.Client, email: str) -> dict[str, str]:
    signed = http.post("/v1/auth/token", json={"email": email, "password": DEMO_PASSWORD})
    assert signed.status_code == 200, signed.text
    return {"Authorization": f"Bearer {signed.json()['access_token']}"}


class Writers:
    """Two threads writing through the API until stopped: staff-taken reports (a row each)
    and batches of engagement events; what the server confirmed is committed."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.submissions: list[tuple[float, float, int]] = []  # (sent, confirmed, id)
        self.events: list[tuple[float, float, str]] = []
        self.stop = threading.Event()
        self.errors: list[str] = []
        self.threads = [
            threading.Thread(target=self._reports, daemon=True),
            threading.Thread(target=self._events, daemon=True),
        ]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def _reports(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as http:
            headers = bearer(http, "moderator@mechelen.demo")
            hoods = [
                h["id"] for h in http.get("/v1/neighbourhoods", headers=headers).json()["items"]
            ]
            i = 0
            while not self.stop.is_set():
                sent = time.monotonic()
                made = http.post(
                    "/v1/submissions",
                    headers=headers,
                    json={
                        "category": "sidewalk",
                        "description": f"Losse tegel {i}",
                        "channel": "phone",
                        "neighbourhood_id": hoods[i % len(hoods)],
                    },
                )
                if made.status_code != 201:
                    self.errors.append(made.text)
                    return
                self.submissions.append((sent, time.monotonic(), made.json()["id"]))
                i += 1

    def _events(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as http:
            headers = bearer(http, "admin@mechelen.demo")
            hoods = [
                h["id"] for h in http.get("/v1/neighbourhoods", headers=headers).json()["items"]
            ]
            run = uuid.uuid4().hex[:6]
            i = 0
            while not self.stop.is_set():
                ids = [f"bk-{run}-{i}-{j}" for j in range(10)]
                now = datetime.now(UTC).isoformat()
                sent = time.monotonic()
                made = http.post(
                    "/v1/events",
                    headers=headers,
                    json={
                        "events": [
                            {
                                "id": event_id,
                                "type": "post",
                                "topic": "events",
                                "household": f"h{i}-{j}",
                                "neighbourhood_id": hoods[(i + j) % len(hoods)],
                                "at": now,
                            }
                            for j, event_id in enumerate(ids)
                        ]
                    },
                )
                if made.status_code != 200 or made.json()["accepted"] != len(ids):
                    self.errors.append(made.text)
                    return
                confirmed = time.monotonic()
                self.events.extend((sent, confirmed, event_id) for event_id in ids)
                i += 1


def empty_database_like(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if database_url.startswith("sqlite"):
        return f"sqlite+aiosqlite:///{tmp_path / 'restored.db'}"
    postgres: PostgresServer = request.getfixturevalue("postgres")
    name = f"restored_{uuid.uuid4().hex[:8]}"
    postgres.psql(f"CREATE DATABASE {name}")
    return postgres.url(name)


@pytest.mark.dialect
@pytest.mark.slow
def test_a_backup_under_writes_restores_every_row_committed_before_it(
    database_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    port, log = free_port(), tmp_path / "server.log"
    env = {**os.environ, "BUURT_DATABASE_URL": database_url}
    server = start_server(env, port, log)
    writers = Writers(f"http://127.0.0.1:{port}")
    backup = tmp_path / "buurt.backup"
    try:
        writers.start()
        deadline = time.monotonic() + 30
        while len(writers.submissions) < 20 or len(writers.events) < 200:
            assert not writers.errors, writers.errors
            assert time.monotonic() < deadline, "the writers did not get going"
            time.sleep(0.05)
        began = time.monotonic()
        made = cli(database_url, "backup", str(backup))
        ended = time.monotonic()
        time.sleep(0.3)  # and the writers go on after it
    finally:
        writers.finish()
        server.terminate()
        server.wait(timeout=20)
    assert made.returncode == 0, made.stderr
    assert f"to {backup}" in made.stderr and backup.stat().st_size > 0
    assert not writers.errors, writers.errors
    before_reports = [i for _sent, confirmed, i in writers.submissions if confirmed < began]
    before_events = [e for _sent, confirmed, e in writers.events if confirmed < began]
    during = [x for x in writers.submissions + writers.events if x[0] < ended and x[1] > began]
    after = [x for x in writers.submissions + writers.events if x[0] > ended]
    assert during or after, "no write ran beside the backup"

    # Into another, empty database: restore, migrate, serve.
    target = empty_database_like(database_url, tmp_path, request)
    restored = cli(target, "restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    assert "Restored" in restored.stderr
    migrated = cli(target, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    port, log = free_port(), tmp_path / "restored.log"
    server = start_server({**os.environ, "BUURT_DATABASE_URL": target}, port, log)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            headers = bearer(http, "moderator@mechelen.demo")
            missing = [
                i
                for i in before_reports
                if http.get(f"/v1/submissions/{i}", headers=headers).status_code != 200
            ]
    finally:
        server.terminate()
        server.wait(timeout=20)
    found_events = set(scalars(target, "SELECT event_id FROM engagement_events"))
    found_reports = len(before_reports) - len(missing)
    print(
        f"\nbackup under writes ({database_url.split(':')[0]}): `buurt-server backup` ran "
        f"{(ended - began) * 1000:.0f} ms (process start included) beside {len(during)} "
        f"confirmed writes; committed before "
        f"it began: {len(before_reports)} reports, {len(before_events)} events; found after "
        f"restore+migrate+serve: {found_reports} reports, "
        f"{len(found_events & set(before_events))} of those events "
        f"({len(found_events)} event rows in all)"
    )
    assert missing == []
    assert set(before_events) <= found_events

    # The restored database now holds rows: a second restore needs --force.
    again = cli(target, "restore", str(backup))
    assert again.returncode == 1
    assert "is not empty" in again.stderr and "--force" in again.stderr
    forced = cli(target, "restore", "--force", str(backup))
    assert forced.returncode == 0, forced.stderr
    # At the backup's revision, which was the newest: said so.
    assert "the newest" in forced.stderr


@pytest.mark.slow
def test_backup_and_restore_refuse_what_they_should(sqlite_template: Path, tmp_path: Path) -> None:
    import shutil

    database = tmp_path / "buurt.db"
    shutil.copy(sqlite_template, database)
    url = f"sqlite+aiosqlite:///{database}"
    backup = tmp_path / "first.backup"
    assert cli(url, "backup", str(backup)).returncode == 0
    exists = cli(url, "backup", str(backup))
    assert exists.returncode == 1 and "exists already" in exists.stderr
    assert cli(url, "backup", "--force", str(backup)).returncode == 0
    itself = cli(url, "backup", "--force", str(database))
    assert itself.returncode == 1 and "database file itself" in itself.stderr
    no_folder = cli(url, "backup", str(tmp_path / "nowhere" / "x.backup"))
    assert no_folder.returncode == 1 and "does not exist" in no_folder.stderr

    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello")
    wrong = cli(url, "restore", "--force", str(not_a_backup))
    assert wrong.returncode == 1 and "is not a backup" in wrong.stderr
    missing = cli(url, "restore", str(tmp_path / "missing.backup"))
    assert missing.returncode == 1 and "no backup file" in missing.stderr
    other_kind = cli(
        f"postgresql+asyncpg://buurt@127.0.0.1:{free_port()}/x", "restore", str(backup)
    )
    assert other_kind.returncode == 1 and "SQLite backup" in other_kind.stderr
    refused = cli(url, "restore", str(backup))
    assert refused.returncode == 1 and "is not empty" in refused.stderr


def test_a_missing_pg_dump_is_a_sentence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(operations, "pg_tool", lambda name: None)
    with pytest.raises(operations.OperationError, match="pg_dump was not found: install"):
        operations.backup("postgresql+asyncpg://buurt@127.0.0.1/buurt", tmp_path / "x.dump")
