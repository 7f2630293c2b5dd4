"""`buurt-server backup FILE` and `buurt-server restore FILE`.

- SQLite: the backup is SQLite's online backup API, one step, so one consistent snapshot:
  in WAL mode the server goes on writing meanwhile, and every transaction committed before
  the backup began is in it. The copy is checked (`PRAGMA quick_check`) and made a single
  self-contained file (rollback journal) before it takes FILE's name. Restoring goes through
  the same API the other way, so the database's own WAL and shared-memory files stay
  consistent (copying a file over a database with a WAL beside it is what corrupts it).
- PostgreSQL: `pg_dump --format=custom`, and for restoring `pg_restore` piped into one
  `psql` transaction that first drops the tables the database has: a restore is all or
  nothing, and an older backup never meets the tables of a newer schema.
- Restoring refuses a database that holds rows unless `--force`; after it, the database is
  at the backup's revision and `buurt-server migrate` brings it to the newest.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from server import migrate

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


class OperationError(Exception):
    """Why a backup or restore cannot be made, in a sentence for the person who runs it."""


def _url(database_url: str) -> URL:
    return make_url(database_url)


def is_sqlite(database_url: str) -> bool:
    return _url(database_url).get_backend_name() == "sqlite"


def sqlite_path(database_url: str) -> Path:
    """The file of a SQLite URL."""
    database = _url(database_url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise OperationError(f"{database_url} is not a SQLite file this command can copy.")
    return Path(database)


def _size(path: Path) -> str:
    size = float(path.stat().st_size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{size:,.1f} TB"  # pragma: no cover


def _partial(target: Path) -> Path:
    return target.with_name(f".{target.name}.partial")


# -- PostgreSQL's tools ------------------------------------------------------------------------


def _version_key(path: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"/postgresql/(\d+)", path)) or (0,)


def pg_tool(name: str) -> str | None:
    """PostgreSQL's `name` (pg_dump, pg_restore, psql): on PATH, else Debian's newest."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=_version_key)
    return candidates[-1] if candidates else None


def _need(name: str) -> str:
    tool = pg_tool(name)
    if tool is None:
        raise OperationError(
            f"{name} was not found: install PostgreSQL's client programs, of the server's "
            "version or newer (Debian: apt-get install postgresql-client), or put them on PATH."
        )
    return tool


def libpq_env(database_url: str) -> dict[str, str]:
    """The environment that points libpq's tools at the database of a SQLAlchemy URL (the
    password in PGPASSWORD, never on a command line)."""
    url = _url(database_url)
    env = dict(os.environ)
    values = {
        "PGHOST": url.host or url.query.get("host"),
        "PGPORT": str(url.port) if url.port else url.query.get("port"),
        "PGUSER": url.username,
        "PGPASSWORD": url.password,
        "PGDATABASE": url.database,
        # asyncpg says `ssl=require`, libpq `sslmode=require`
        "PGSSLMODE": url.query.get("sslmode") or url.query.get("ssl"),
    }
    for key, value in values.items():
        if isinstance(value, tuple):
            value = value[0] if value else None
        if value:
            env[key] = str(value)
    return env


def _last_line(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if "error" in line.lower() or "fatal" in line.lower()]
    return (errors or lines or ["no message"])[0][:300]


# -- backup ------------------------------------------------------------------------------------


def backup(database_url: str, target: Path, *, force: bool = False) -> str:
    """Write a backup of the database to `target`; a sentence saying what was written."""
    target = Path(target)
    if target.exists() and not force:
        raise OperationError(f"{target} exists already: choose another name, or pass --force.")
    if target.parent and not target.parent.is_dir():
        raise OperationError(f"The folder {target.parent} does not exist.")
    if is_sqlite(database_url):
        _backup_sqlite(sqlite_path(database_url), target)
        kind = "SQLite"
    elif _url(database_url).get_backend_name() == "postgresql":
        _backup_postgres(database_url, target)
        kind = "PostgreSQL custom-format dump"
    else:
        raise OperationError(
            f"Backups of {_url(database_url).get_backend_name()} are not made here."
        )
    return f"Backed up {migrate.safe_url(database_url)} to {target} ({kind}, {_size(target)})."


def _backup_sqlite(source: Path, target: Path) -> None:
    if not source.is_file():
        raise OperationError(f"There is no database file at {source}.")
    if target.resolve() == source.resolve():
        raise OperationError("The backup cannot be the database file itself.")
    partial = _partial(target)
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=30)
    try:
        dst = sqlite3.connect(partial)
        try:
            # One step: one read transaction, so one consistent snapshot; WAL lets the
            # server's writers go on meanwhile.
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal beside it
            verdict = dst.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            dst.close()
    except sqlite3.Error as error:
        partial.unlink(missing_ok=True)
        raise OperationError(f"The backup of {source} failed: {error}.") from error
    finally:
        src.close()
    if verdict != "ok":
        partial.unlink(missing_ok=True)
        raise OperationError(f"The copy of {source} does not pass SQLite's check: {verdict}.")
    _commit_file(partial, target)


def _commit_file(partial: Path, target: Path) -> None:
    """Give a finished file its name, durably: no half-written backup ever has it."""
    with open(partial, "rb") as file:
        os.fsync(file.fileno())
    os.replace(partial, target)
    with contextlib.suppress(OSError):
        folder = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def _backup_postgres(database_url: str, target: Path) -> None:
    pg_dump = _need("pg_dump")
    partial = _partial(target)
    done = subprocess.run(  # noqa: S603 - our own arguments, no shell
        [pg_dump, "--format=custom", "--no-password", f"--file={partial}"],
        env=libpq_env(database_url),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        raise OperationError(f"pg_dump failed: {_last_line(done.stderr)}")
    _commit_file(partial, target)


# -- restore -----------------------------------------------------------------------------------


def _format_of(source: Path) -> str:
    if not source.is_file():
        raise OperationError(f"There is no backup file at {source}.")
    with open(source, "rb") as file:
        head = file.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise OperationError(
        f"{source} is not a backup of buurt-server backup (neither a SQLite file nor a "
        "pg_dump custom-format dump)."
    )


def holding(database_url: str) -> dict[str, int]:
    """The tables of the database that hold rows, with their counts."""
    if is_sqlite(database_url) and not sqlite_path(database_url).exists():
        return {}
    return {t: n for t, n in migrate.row_counts(database_url).items() if n}


def restore(database_url: str, source: Path, *, force: bool = False) -> str:
    """Replace the database with the backup in `source`; a sentence saying what it is now."""
    source = Path(source)
    kind = _format_of(source)
    backend = _url(database_url).get_backend_name()
    if kind != backend:
        raise OperationError(
            f"{source} is a {'SQLite' if kind == 'sqlite' else 'PostgreSQL'} backup; the "
            f"database is {backend}: restore it into the same kind of database (moving "
            "between the two is not supported)."
        )
    if kind == "sqlite":
        _check_sqlite_backup(source)
    found = holding(database_url)
    if found and not force:
        rows = sum(found.values())
        biggest = sorted(found.items(), key=lambda kv: -kv[1])[:3]
        shown = ", ".join(f"{t} {n:,}" for t, n in biggest)
        raise OperationError(
            f"The database at {migrate.safe_url(database_url)} is not empty ({rows:,} rows in "
            f"{len(found)} tables: {shown}, ...): restoring replaces all of it. Stop the "
            "server, take a backup of it if it matters, and pass --force."
        )
    if kind == "sqlite":
        _restore_sqlite(source, sqlite_path(database_url))
    else:
        _restore_postgres(database_url, source)
    at, newest = migrate.current(database_url), migrate.head()
    rows = sum(migrate.row_counts(database_url).values())
    said = (
        f"Restored {source} into {migrate.safe_url(database_url)}: {rows:,} rows, at "
        f"revision {migrate.describe(at)}"
    )
    if at == newest:
        return said + ", the newest."
    return said + f"; the newest is {migrate.describe(newest)}: run `buurt-server migrate`."


def _check_sqlite_backup(source: Path) -> None:
    try:
        conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        finally:
            conn.close()
    except sqlite3.Error as error:
        raise OperationError(f"{source} cannot be read as a SQLite backup: {error}.") from error
    if verdict != "ok":
        raise OperationError(f"{source} does not pass SQLite's check: {verdict}.")
    if migrate.VERSION_TABLE not in tables:
        raise OperationError(f"{source} is a SQLite file but not a buurt database.")


def _restore_sqlite(source: Path, database: Path) -> None:
    database.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(database, timeout=30)
        try:
            # Page by page under the destination's write lock, through its own journal:
            # all or nothing, and its -wal and -shm files stay consistent.
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=WAL")
        finally:
            dst.close()
    except sqlite3.Error as error:
        raise OperationError(f"Restoring into {database} failed: {error}.") from error
    finally:
        src.close()


def _restore_postgres(database_url: str, source: Path) -> None:
    pg_restore, psql = _need("pg_restore"), _need("psql")
    env = libpq_env(database_url)

    def quoted(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    existing = migrate.table_names(database_url)
    drop = (
        "DROP TABLE IF EXISTS "
        + ", ".join(f"{quoted(schema)}.{quoted(table)}" for schema, table in existing)
        + " CASCADE;\n"
        if existing
        else ""
    )
    # One transaction: the tables that are there go, the backup's come. COMMIT is sent
    # only once pg_restore has read the whole file; psql stops at the first error
    # (ON_ERROR_STOP) and its transaction goes with it: all or nothing.
    with tempfile.TemporaryFile() as dump_errors, tempfile.TemporaryFile() as load_errors:
        dump = subprocess.Popen(  # noqa: S603 - our own arguments, no shell
            [pg_restore, "--no-owner", "--no-privileges", "--file=-", str(source)],
            env=env, stdout=subprocess.PIPE, stderr=dump_errors,
        )  # fmt: skip
        load = subprocess.Popen(  # noqa: S603
            [psql, "--no-psqlrc", "--quiet", "--no-password", "--set=ON_ERROR_STOP=1",
             "--file=-"],
            env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=load_errors,
        )  # fmt: skip
        assert dump.stdout is not None and load.stdin is not None
        try:
            load.stdin.write(b"BEGIN;\n" + drop.encode())
            shutil.copyfileobj(dump.stdout, load.stdin, 1 << 20)
            dump.wait()
            load.stdin.write(b"\nCOMMIT;\n" if dump.returncode == 0 else b"\nROLLBACK;\n")
        except BrokenPipeError:
            pass  # psql stopped at an error: nothing was committed
        finally:
            with contextlib.suppress(BrokenPipeError):
                load.stdin.close()
            load.wait()
            if dump.poll() is None:
                dump.kill()
            dump.wait()
        dump_errors.seek(0)
        load_errors.seek(0)
        dump_said = dump_errors.read().decode(errors="replace")
        load_said = load_errors.read().decode(errors="replace")
    if load.returncode != 0:
        raise OperationError(
            f"Restoring into the database failed, nothing was changed: {_last_line(load_said)}"
        )
    if dump.returncode != 0:
        raise OperationError(
            f"pg_restore could not read {source}, nothing was changed: {_last_line(dump_said)}"
        )
