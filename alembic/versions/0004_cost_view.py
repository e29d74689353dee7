"""The cost view (interaction management): daily buckets and one row per call.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE cost_daily (
            day date NOT NULL,
            queue text NOT NULL,
            agent text NOT NULL,
            reason text NOT NULL,
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
            PRIMARY KEY (day, queue, agent, reason)
        );
        COMMENT ON TABLE cost_daily IS
            'Cost view: additive call components per day (of occurred_at, in the view time zone) x queue x agent x reason. Sum over any range, then divide.';
        COMMENT ON COLUMN cost_daily.day IS 'Day of the call''s occurred_at in the configured time zone';
        COMMENT ON COLUMN cost_daily.agent IS 'Agent id; the empty string '''' for calls without an agent';
        COMMENT ON COLUMN cost_daily.offered IS 'Calls recorded (answered + abandoned)';
        COMMENT ON COLUMN cost_daily.answered IS 'Answered calls';
        COMMENT ON COLUMN cost_daily.abandoned IS 'Abandoned calls (short abandons included)';
        COMMENT ON COLUMN cost_daily.short_abandoned IS 'Abandoned calls with wait < S (short-abandon threshold)';
        COMMENT ON COLUMN cost_daily.answered_wait_seconds IS 'Sum of wait seconds of answered calls (ASA numerator)';
        COMMENT ON COLUMN cost_daily.talk_seconds IS 'Sum of talk seconds of answered calls';
        COMMENT ON COLUMN cost_daily.hold_seconds IS 'Sum of hold seconds of answered calls';
        COMMENT ON COLUMN cost_daily.after_call_work_seconds IS 'Sum of after-call-work seconds of answered calls';
        COMMENT ON COLUMN cost_daily.handled_seconds IS 'Sum of talk + hold + after-call work of answered calls (AHT numerator)';
        COMMENT ON COLUMN cost_daily.service_level_hits IS 'Answered calls with wait <= T (service-level target)';
        COMMENT ON COLUMN cost_daily.transferred IS 'Answered calls flagged transferred';
        COMMENT ON COLUMN cost_daily.resolved IS 'Answered calls the agent flagged resolved (wrap-up flag, not FCR)';
        COMMENT ON COLUMN cost_daily.cost IS 'Sum over answered calls of handled seconds x queue rate + fixed cost per answered call';

        CREATE TABLE cost_calls (
            call_id uuid PRIMARY KEY,
            position bigint NOT NULL,
            customer_ref text NOT NULL,
            occurred_at timestamptz NOT NULL,
            day date NOT NULL,
            queue text NOT NULL,
            agent text NOT NULL,
            reason text NOT NULL,
            outcome text NOT NULL CHECK (outcome IN ('answered', 'abandoned')),
            wait_seconds integer NOT NULL,
            talk_seconds integer NOT NULL,
            hold_seconds integer NOT NULL,
            after_call_work_seconds integer NOT NULL,
            resolved boolean NOT NULL,
            transferred boolean NOT NULL,
            first_repeat_at timestamptz,
            is_repeat boolean NOT NULL DEFAULT false
        );
        CREATE INDEX cost_calls_customer_reason ON cost_calls (customer_ref, reason, occurred_at);
        CREATE INDEX cost_calls_day ON cost_calls (day);
        COMMENT ON TABLE cost_calls IS
            'Cost view: one row per call as currently corrected, with its repeat relations (FCR, repeat contacts)';
        COMMENT ON COLUMN cost_calls.call_id IS 'Stream id of the call in the log';
        COMMENT ON COLUMN cost_calls.position IS 'Log position of the CallRecorded fact';
        COMMENT ON COLUMN cost_calls.agent IS 'Agent id; the empty string '''' for calls without an agent';
        COMMENT ON COLUMN cost_calls.first_repeat_at IS
            'Answered calls only: occurred_at of the earliest later call (answered or abandoned) of the same customer and reason within W (end included); NULL if none';
        COMMENT ON COLUMN cost_calls.is_repeat IS
            'True if an earlier answered call of the same customer and reason lies within W before this call (a repeat contact)';
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE cost_calls; DROP TABLE cost_daily")
