"""Cost view: staffing intervals and wait / handle-time histograms; cem bands as METRICS.md.

Adds to the cost view, per call, the local 15-minute slot it arrived in (``slot``,
wall-clock time in the centre's time zone, and ``utc_offset``, so that the hour a
DST change repeats is two slots, not one), a table of additive components per slot
(``cost_intervals``) and a table of per-day histograms of wait and handle times
(``cost_histograms``; percentiles are not additive, bucket counts are).

The cost and cem views are emptied and put back at position 0, so the projector
rebuilds them from the log with the new columns and the METRICS.md rules (half-open
handle-time bands, pressure bands 3 and 4 apart, follow-ups strictly after the reply):
their rows are not derivable from the old ones.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_COMPONENTS = """
    offered integer NOT NULL,
    answered integer NOT NULL,
    abandoned integer NOT NULL,
    short_abandoned integer NOT NULL,
    answered_wait_seconds bigint NOT NULL,
    talk_seconds bigint NOT NULL,
    hold_seconds bigint NOT NULL,
    after_call_work_seconds bigint NOT NULL,
    handled_seconds bigint NOT NULL,
    service_level_hits integer NOT NULL,
    transferred integer NOT NULL,
    resolved integer NOT NULL,
    cost numeric NOT NULL,
"""
_CEM_TABLES = "cem_daily, cem_replies, cem_calls, cem_mailshots, cem_customers"


def _rewind(*views: str) -> str:
    names = ", ".join(f"'{view}'" for view in views)
    return (
        "UPDATE view_tracking SET position = 0, updated_at = now(), last_recorded_at = NULL"
        f" WHERE view_name IN ({names});"
    )


def upgrade() -> None:
    op.execute(
        f"""
        TRUNCATE cost_daily, cost_calls, {_CEM_TABLES};
        {_rewind("cost", "cem")}
        ALTER TABLE cost_calls ADD COLUMN slot timestamp NOT NULL,
            ADD COLUMN utc_offset integer NOT NULL;
        COMMENT ON COLUMN cost_calls.slot IS
            'Start of the 15-minute slot of occurred_at, wall-clock time in the view time zone';
        COMMENT ON COLUMN cost_calls.utc_offset IS
            'UTC offset of the view time zone at occurred_at, minutes east (tells apart the two slots of an hour a DST change repeats)';

        CREATE TABLE cost_intervals (
            day date NOT NULL,
            slot timestamp NOT NULL,
            utc_offset integer NOT NULL,
            queue text NOT NULL,
            agent text NOT NULL,
            reason text NOT NULL,
            {_COMPONENTS}
            PRIMARY KEY (day, slot, utc_offset, queue, agent, reason)
        );
        CREATE INDEX cost_intervals_empty ON cost_intervals (day) WHERE offered = 0;
        COMMENT ON TABLE cost_intervals IS
            'Cost view: the additive components of cost_daily per 15-minute slot (wall clock in the view time zone, with its UTC offset) x queue x agent x reason; 30- and 60-minute intervals are sums of slots';
        COMMENT ON COLUMN cost_intervals.slot IS
            'Start of the 15-minute slot, wall-clock time in the view time zone';
        COMMENT ON COLUMN cost_intervals.utc_offset IS
            'UTC offset in minutes of the slot''s calls (two rows for the hour a DST change repeats)';

        CREATE TABLE cost_histograms (
            day date NOT NULL,
            queue text NOT NULL,
            agent text NOT NULL,
            reason text NOT NULL,
            measure text NOT NULL CHECK (measure IN ('wait', 'handle', 'abandon_wait')),
            low_seconds integer NOT NULL,
            calls integer NOT NULL,
            PRIMARY KEY (day, queue, agent, reason, measure, low_seconds)
        );
        CREATE INDEX cost_histograms_empty ON cost_histograms (day) WHERE calls = 0;
        COMMENT ON TABLE cost_histograms IS
            'Cost view: calls per day x queue x agent x reason x measure x bucket of seconds (wait = wait of answered calls, handle = talk + hold + acw of answered calls, abandon_wait = wait of abandoned calls). Buckets are 1 s wide below 600 s, 5 s below 3600 s, 30 s below 14400 s, 300 s below 86400 s, 3600 s beyond (projections/cost/histogram.py)';
        COMMENT ON COLUMN cost_histograms.low_seconds IS
            'Lowest value of the bucket, in seconds (its width follows from it)';
        """
    )


def downgrade() -> None:
    op.execute(
        f"""
        DROP TABLE cost_histograms;
        DROP TABLE cost_intervals;
        TRUNCATE cost_daily, cost_calls, {_CEM_TABLES};
        {_rewind("cost", "cem")}
        ALTER TABLE cost_calls DROP COLUMN slot, DROP COLUMN utc_offset;
        """
    )
