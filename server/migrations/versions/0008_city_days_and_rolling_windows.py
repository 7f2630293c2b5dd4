"""city days and rolling windows

The days of the figures become the municipality's (its time zone) instead of whatever offset
an event's sender wrote, and "active this week" / "contributors this month" (calendar sets
that start from zero every Monday and every 1st) become the last 7 and 30 days, read from
each household's last active day. The events are kept; the rollups are rebuilt from them.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 21:50:00
"""
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A frozen copy of the metrics an event counts into (server/services/events.py, today):
# a migration must mean the same thing whatever the code becomes later.
METRIC_FOR = {
    "registration": "registrations", "post": "posts", "comment": "comments",
    "reaction": "reactions", "help_request": "help_requests", "help_solved": "help_solved",
    "activity": "activities", "helper_signup": "helpers", "volunteer_signup": "volunteers",
    "connection": "connections", "encounter": "encounters", "message_view": "message_views",
    "survey_response": "survey_responses", "proposal": "proposals", "vote": "votes",
}
CONTRIBUTIONS = {"post", "comment", "reaction"}
BATCH = 5000

events = sa.table(
    "engagement_events",
    sa.column("municipality_id", sa.Integer), sa.column("type", sa.String),
    sa.column("household", sa.String), sa.column("neighbourhood_id", sa.Integer),
    sa.column("at", sa.DateTime(timezone=True)), sa.column("attrs", sa.JSON),
)
daily = sa.table(
    "daily_rollups", sa.column("neighbourhood_id", sa.Integer), sa.column("day", sa.Date),
    sa.column("metric", sa.String), sa.column("value", sa.Integer),
)
city = sa.table(
    "municipality_rollups", sa.column("municipality_id", sa.Integer), sa.column("day", sa.Date),
    sa.column("metric", sa.String), sa.column("value", sa.Integer),
)


def _metrics(kind: str, attrs: dict) -> list[str]:
    names = [METRIC_FOR.get(kind, "")] if kind != "rsvp" else []
    if kind == "registration":
        names.append(f"registrations_{attrs.get('channel') or 'organic'}")
    elif kind == "post" and attrs.get("topic"):
        names.append(f"topic:{attrs['topic']}")
    elif kind == "rsvp":
        names.append(f"rsvp_{attrs.get('response') or 'interested'}")
    return [n for n in names if n]


def _insert(bind: sa.Connection, table: sa.TableClause, rows: list[dict]) -> None:
    for i in range(0, len(rows), BATCH):
        bind.execute(table.insert(), rows[i : i + BATCH])


def _rebuild(bind: sa.Connection, day_of: Callable[[int, datetime], date]) -> list[tuple]:
    """Rebuild both rollups from the events, with `day_of(municipality, moment)` as the day;
    returns each event's (neighbourhood, type, household, day) for the distinct sets."""
    per_hood: dict[tuple[int, date, str], int] = defaultdict(int)
    per_city: dict[tuple[int, date, str], int] = defaultdict(int)
    seen: list[tuple] = []
    result = bind.execute(
        sa.select(events.c.municipality_id, events.c.type, events.c.household,
                  events.c.neighbourhood_id, events.c.at, events.c.attrs)
    )  # fmt: skip
    for municipality, kind, household, hood, at, attrs in result:
        at = at.replace(tzinfo=UTC) if at.tzinfo is None else at
        day = day_of(municipality, at)
        for metric in _metrics(kind, attrs or {}):
            per_hood[(hood, day, metric)] += 1
            per_city[(municipality, day, metric)] += 1
        seen.append((hood, kind, household, day))
    bind.execute(daily.delete())
    bind.execute(city.delete())
    _insert(bind, daily, [
        {"neighbourhood_id": h, "day": d, "metric": m, "value": n}
        for (h, d, m), n in per_hood.items()
    ])  # fmt: skip
    _insert(bind, city, [
        {"municipality_id": c, "day": d, "metric": m, "value": n}
        for (c, d, m), n in per_city.items()
    ])  # fmt: skip
    return seen


def upgrade() -> None:
    op.create_table('household_activity',
    sa.Column('neighbourhood_id', sa.Integer(), nullable=False),
    sa.Column('set_name', sa.String(length=20), nullable=False),
    sa.Column('household', sa.String(length=100), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['neighbourhood_id'], ['neighbourhoods.id'], name=op.f('fk_household_activity_neighbourhood_id_neighbourhoods'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('neighbourhood_id', 'set_name', 'household', name=op.f('pk_household_activity'))
    )
    with op.batch_alter_table('household_activity', schema=None) as batch_op:
        batch_op.create_index('ix_household_activity_recent', ['neighbourhood_id', 'set_name', 'last_day'], unique=False)

    bind = op.get_bind()
    zones = {
        m: ZoneInfo(tz or "UTC")
        for m, tz in bind.execute(sa.text("SELECT id, timezone FROM municipalities"))
    }
    seen = _rebuild(bind, lambda m, at: at.astimezone(zones[m]).date())
    last: dict[tuple[int, str, str], date] = {}
    for hood, kind, household, day in seen:
        for set_name in ("active", "contributor") if kind in CONTRIBUTIONS else ("active",):
            key = (hood, set_name, household)
            if last.get(key, date.min) < day:
                last[key] = day
    activity = sa.table(
        "household_activity", sa.column("neighbourhood_id", sa.Integer),
        sa.column("set_name", sa.String), sa.column("household", sa.String),
        sa.column("last_day", sa.Date),
    )  # fmt: skip
    _insert(bind, activity, [
        {"neighbourhood_id": h, "set_name": s, "household": hh, "last_day": d}
        for (h, s, hh), d in last.items()
    ])  # fmt: skip

    op.drop_table('period_members')
    op.drop_table('period_counts')


def downgrade() -> None:
    op.create_table('period_counts',
    sa.Column('neighbourhood_id', sa.INTEGER(), nullable=False),
    sa.Column('period', sa.VARCHAR(length=12), nullable=False),
    sa.Column('set_name', sa.VARCHAR(length=20), nullable=False),
    sa.Column('value', sa.INTEGER(), nullable=False),
    sa.ForeignKeyConstraint(['neighbourhood_id'], ['neighbourhoods.id'], name=op.f('fk_period_counts_neighbourhood_id_neighbourhoods'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('neighbourhood_id', 'period', 'set_name', name=op.f('pk_period_counts')),
    sqlite_with_rowid=False
    )
    op.create_table('period_members',
    sa.Column('neighbourhood_id', sa.INTEGER(), nullable=False),
    sa.Column('period', sa.VARCHAR(length=12), nullable=False),
    sa.Column('set_name', sa.VARCHAR(length=20), nullable=False),
    sa.Column('household', sa.VARCHAR(length=100), nullable=False),
    sa.ForeignKeyConstraint(['neighbourhood_id'], ['neighbourhoods.id'], name=op.f('fk_period_members_neighbourhood_id_neighbourhoods'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('neighbourhood_id', 'period', 'set_name', 'household', name=op.f('pk_period_members'))
    )
    # The older schema's days were UTC's, its sets calendar weeks and months: rebuilt so.
    bind = op.get_bind()
    seen = _rebuild(bind, lambda _m, at: at.astimezone(UTC).date())
    members: set[tuple[int, str, str, str]] = set()
    for hood, kind, household, day in seen:
        year, week, _ = day.isocalendar()
        for period in (f"W{year}-{week:02d}", f"M{day.year}-{day.month:02d}"):
            members.add((hood, period, "active", household))
            if kind in CONTRIBUTIONS:
                members.add((hood, period, "contributor", household))
    counts: dict[tuple[int, str, str], int] = defaultdict(int)
    for hood, period, set_name, _household in members:
        counts[(hood, period, set_name)] += 1
    _insert(bind, sa.table(
        "period_members", sa.column("neighbourhood_id", sa.Integer), sa.column("period", sa.String),
        sa.column("set_name", sa.String), sa.column("household", sa.String),
    ), [
        {"neighbourhood_id": h, "period": p, "set_name": s, "household": hh}
        for h, p, s, hh in sorted(members)
    ])  # fmt: skip
    _insert(bind, sa.table(
        "period_counts", sa.column("neighbourhood_id", sa.Integer), sa.column("period", sa.String),
        sa.column("set_name", sa.String), sa.column("value", sa.Integer),
    ), [
        {"neighbourhood_id": h, "period": p, "set_name": s, "value": n}
        for (h, p, s), n in counts.items()
    ])  # fmt: skip

    with op.batch_alter_table('household_activity', schema=None) as batch_op:
        batch_op.drop_index('ix_household_activity_recent')
    op.drop_table('household_activity')
