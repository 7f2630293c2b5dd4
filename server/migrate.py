"""Run Alembic migrations from code (`buurt-server migrate`, tests, `buurt demo`)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config


def alembic_config(database_url: str) -> Config:
    """An Alembic config for our migrations package and the given database."""
    cfg = Config()
    cfg.set_main_option("script_location", "server:migrations")
    # ConfigParser interpolation: a literal % in a password must be doubled.
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database up to `revision` (the newest by default)."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    """Take the database down to `revision` (empty by default)."""
    command.downgrade(alembic_config(database_url), revision)


def revision(database_url: str, message: str, rev_id: str | None = None) -> None:
    """Autogenerate a new migration from the difference between models and database."""
    command.revision(
        alembic_config(database_url), message=message, autogenerate=True, rev_id=rev_id
    )
