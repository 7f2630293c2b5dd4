"""buurt platform API: FastAPI + SQLAlchemy 2 + Alembic, on SQLite or PostgreSQL."""

__version__ = "0.1.0"
