"""The CEM view (experience).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_KEY = (
    "day, survey_kind, queue, agent_id, reason, handle_time_band, repeat_contact, "
    "pressure_band, segment"
)

_HELPERS = """
CREATE TABLE cem_customers (
    customer_ref text PRIMARY KEY,
    segment text,
    position bigint NOT NULL
);
COMMENT ON TABLE cem_customers IS
    'cem view helper: the segment of every registered customer (from CustomerRegistered)';
COMMENT ON COLUMN cem_customers.segment IS 'Customer segment as registered (NULL if none given)';
COMMENT ON COLUMN cem_customers.position IS 'Log position of the CustomerRegistered fact';

CREATE TABLE cem_calls (
    call_id uuid PRIMARY KEY,
    customer_ref text NOT NULL,
    occurred_at timestamptz NOT NULL,
    answered boolean NOT NULL,
    queue text NOT NULL,
    agent_id text,
    reason text NOT NULL,
    talk_seconds integer NOT NULL,
    hold_seconds integer NOT NULL,
    after_call_work_seconds integer NOT NULL,
    handled_seconds integer GENERATED ALWAYS AS
        (talk_seconds + hold_seconds + after_call_work_seconds) STORED,
    position bigint NOT NULL
);
CREATE INDEX cem_calls_customer_time ON cem_calls (customer_ref, occurred_at);
COMMENT ON TABLE cem_calls IS
    'cem view helper: every inbound call as currently corrected (CallRecorded + CallCorrected)';
COMMENT ON COLUMN cem_calls.call_id IS 'Stream id of the call (what SurveyReplied.about_id names)';
COMMENT ON COLUMN cem_calls.answered IS 'true if the call was answered, false if abandoned';
COMMENT ON COLUMN cem_calls.handled_seconds IS 'talk + hold + after-call work, in seconds';
COMMENT ON COLUMN cem_calls.position IS 'Log position of the CallRecorded fact';

CREATE TABLE cem_mailshots (
    mailshot_id uuid PRIMARY KEY,
    customer_ref text NOT NULL,
    sent_at timestamptz NOT NULL,
    position bigint NOT NULL
);
CREATE INDEX cem_mailshots_customer_time ON cem_mailshots (customer_ref, sent_at);
COMMENT ON TABLE cem_mailshots IS
    'cem view helper: every mailshot sent (MailshotSent; held-back recipients are not here)';
COMMENT ON COLUMN cem_mailshots.sent_at IS 'occurred_at of the MailshotSent fact';
"""

_REPLIES = """
CREATE TABLE cem_replies (
    reply_id uuid PRIMARY KEY,
    position bigint NOT NULL,
    customer_ref text NOT NULL,
    occurred_at timestamptz NOT NULL,
    day date NOT NULL,
    survey_kind text NOT NULL,
    nps smallint,
    csat smallint,
    effort smallint,
    about_kind text,
    about_id uuid,
    call_at timestamptz,
    queue text,
    agent_id text,
    reason text,
    handle_time_band text,
    repeat_contact boolean,
    pressure_band text,
    segment text,
    attributed boolean NOT NULL DEFAULT false,
    followup_at timestamptz
);
CREATE INDEX cem_replies_customer_time ON cem_replies (customer_ref, occurred_at);
CREATE INDEX cem_replies_about ON cem_replies (about_id);
CREATE INDEX cem_replies_detractor_day ON cem_replies (day) WHERE nps <= 6;
COMMENT ON TABLE cem_replies IS
    'cem view: one row per survey reply with its current attribution and closed-loop follow-up';
COMMENT ON COLUMN cem_replies.position IS 'Log position of the SurveyReplied fact';
COMMENT ON COLUMN cem_replies.day IS 'Day of occurred_at in the configured time zone';
COMMENT ON COLUMN cem_replies.about_kind IS 'call, mailshot or NULL (what the reply is about)';
COMMENT ON COLUMN cem_replies.call_at IS 'occurred_at of the surveyed call (NULL if not about a call)';
COMMENT ON COLUMN cem_replies.queue IS 'Queue of the surveyed call (NULL if not about a call)';
COMMENT ON COLUMN cem_replies.handle_time_band IS
    'Surveyed call handled seconds h: <3 (h<180), 3-6 (180<=h<360), 6-10 (360<=h<=600), >10 (h>600)';
COMMENT ON COLUMN cem_replies.repeat_contact IS
    'Surveyed call follows an answered call of the same customer and reason within W days';
COMMENT ON COLUMN cem_replies.pressure_band IS
    'Mailshots sent to the customer in [reply - 30 days, reply]: 0, 1, 2, 3-4, 5+';
COMMENT ON COLUMN cem_replies.attributed IS 'false only between insert and attribution (same page)';
COMMENT ON COLUMN cem_replies.followup_at IS
    'Detractors: earliest answered call or mailshot sent to the customer in [reply, reply + 48 h]';
"""

_DAILY = f"""
CREATE TABLE cem_daily (
    day date NOT NULL,
    survey_kind text NOT NULL,
    queue text,
    agent_id text,
    reason text,
    handle_time_band text,
    repeat_contact boolean,
    pressure_band text NOT NULL,
    segment text,
    replies integer NOT NULL,
    nps_replies integer NOT NULL,
    promoters integer NOT NULL,
    passives integer NOT NULL,
    detractors integer NOT NULL,
    csat_replies integer NOT NULL,
    csat_top2 integer NOT NULL,
    effort_replies integer NOT NULL,
    effort_sum integer NOT NULL,
    effort_5_7 integer NOT NULL
);
CREATE UNIQUE INDEX cem_daily_key ON cem_daily ({_KEY}) NULLS NOT DISTINCT;
CREATE INDEX cem_daily_empty ON cem_daily (day) WHERE replies = 0;
COMMENT ON TABLE cem_daily IS
    'cem view: additive survey components per day and breakdown key (sum them, then divide)';
COMMENT ON COLUMN cem_daily.day IS 'Day of the reply (occurred_at in the configured time zone)';
COMMENT ON COLUMN cem_daily.survey_kind IS 'transactional or relationship';
COMMENT ON COLUMN cem_daily.queue IS 'Queue of the surveyed call; NULL: reply not about a call';
COMMENT ON COLUMN cem_daily.agent_id IS 'Agent of the surveyed call; NULL: none or not about a call';
COMMENT ON COLUMN cem_daily.reason IS 'Reason code of the surveyed call; NULL: not about a call';
COMMENT ON COLUMN cem_daily.handle_time_band IS
    'Surveyed call handled seconds h: <3 (h<180), 3-6 (180<=h<360), 6-10 (360<=h<=600), >10 (h>600)';
COMMENT ON COLUMN cem_daily.repeat_contact IS
    'Surveyed call is a repeat (answered call, same customer and reason, within W days before)';
COMMENT ON COLUMN cem_daily.pressure_band IS
    'Mailshots sent to the customer in [reply - 30 days, reply]: 0, 1, 2, 3-4, 5+';
COMMENT ON COLUMN cem_daily.segment IS 'Segment of the replying customer; NULL: unknown';
COMMENT ON COLUMN cem_daily.replies IS 'Survey replies (with any score)';
COMMENT ON COLUMN cem_daily.nps_replies IS 'Replies with an NPS score (n of the NPS)';
COMMENT ON COLUMN cem_daily.promoters IS 'Replies with NPS 9-10';
COMMENT ON COLUMN cem_daily.passives IS 'Replies with NPS 7-8';
COMMENT ON COLUMN cem_daily.detractors IS 'Replies with NPS 0-6';
COMMENT ON COLUMN cem_daily.csat_replies IS 'Replies with a CSAT score';
COMMENT ON COLUMN cem_daily.csat_top2 IS 'Replies with CSAT 4 or 5';
COMMENT ON COLUMN cem_daily.effort_replies IS 'Replies with an effort score';
COMMENT ON COLUMN cem_daily.effort_sum IS 'Sum of effort scores (1-7, easy is high)';
COMMENT ON COLUMN cem_daily.effort_5_7 IS 'Replies with effort 5, 6 or 7';
"""


def upgrade() -> None:
    op.execute(_HELPERS)
    op.execute(_REPLIES)
    op.execute(_DAILY)


def downgrade() -> None:
    op.execute("DROP TABLE cem_daily, cem_replies, cem_mailshots, cem_calls, cem_customers")
