"""The single customer view and its timeline.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

PROFILE = """
CREATE TABLE customer_profile (
    customer_ref text PRIMARY KEY,
    registered boolean NOT NULL DEFAULT false,
    registered_at timestamptz,
    segment text,
    erased_at timestamptz,
    first_position bigint NOT NULL,
    last_position bigint NOT NULL
);
COMMENT ON TABLE customer_profile IS
    'Customer view: one row per customer_ref seen in any fact (registered or not)';
COMMENT ON COLUMN customer_profile.registered IS
    'true once CustomerRegistered arrived; facts may name a customer before CRM sync';
COMMENT ON COLUMN customer_profile.registered_at IS 'occurred_at of CustomerRegistered';
COMMENT ON COLUMN customer_profile.segment IS 'segment given at registration';
COMMENT ON COLUMN customer_profile.erased_at IS
    'occurred_at of CustomerErased; personal data can no longer be decrypted';
COMMENT ON COLUMN customer_profile.first_position IS 'log position of the first fact naming the customer';
COMMENT ON COLUMN customer_profile.last_position IS 'log position of the latest fact naming the customer';

CREATE TABLE customer_details (
    position bigint PRIMARY KEY,
    customer_ref text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('CustomerRegistered', 'ContactDetailsChanged')),
    occurred_at timestamptz NOT NULL,
    name text,
    email text,
    phone text
);
CREATE INDEX customer_details_by_customer
    ON customer_details (customer_ref, occurred_at DESC, position DESC);
COMMENT ON TABLE customer_details IS
    'Customer view: every registration or change of contact details. The current value of '
    'a field is the latest non-null one by (occurred_at, position). Values are ciphertext '
    'under the customer''s own key: read them through the API, not with SQL';
COMMENT ON COLUMN customer_details.name IS 'ciphertext (NULL = unchanged by this fact)';
COMMENT ON COLUMN customer_details.email IS 'ciphertext (NULL = unchanged by this fact)';
COMMENT ON COLUMN customer_details.phone IS 'ciphertext (NULL = unchanged by this fact)';

CREATE TABLE customer_consent (
    customer_ref text NOT NULL,
    channel text NOT NULL,
    granted boolean NOT NULL,
    occurred_at timestamptz NOT NULL,
    position bigint NOT NULL,
    PRIMARY KEY (customer_ref, channel)
);
COMMENT ON TABLE customer_consent IS
    'Customer view: current marketing consent per channel (the latest change by occurred_at, '
    'then log position); a channel without a row was never stated';
"""

TIMELINE = """
CREATE TABLE customer_timeline (
    position bigint PRIMARY KEY,
    stream_id uuid NOT NULL UNIQUE,
    customer_ref text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('call', 'mailshot', 'survey')),
    channel text NOT NULL,
    occurred_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL,
    source text NOT NULL,
    source_id text NOT NULL,
    queue text,
    agent_id text,
    reason text,
    outcome text,
    wait_seconds integer,
    talk_seconds integer,
    hold_seconds integer,
    after_call_work_seconds integer,
    handled_seconds integer GENERATED ALWAYS AS (
        CASE WHEN kind = 'call'
             THEN talk_seconds + hold_seconds + after_call_work_seconds END
    ) STORED,
    resolved boolean,
    transferred boolean,
    corrections integer NOT NULL DEFAULT 0,
    campaign_id text,
    unit_cost numeric(14, 4),
    delivered_at timestamptz,
    bounced_at timestamptz,
    responses integer NOT NULL DEFAULT 0,
    first_response_at timestamptz,
    first_response_how text,
    conversions integer NOT NULL DEFAULT 0,
    conversion_value numeric(16, 4) NOT NULL DEFAULT 0,
    survey_kind text,
    nps smallint,
    csat smallint,
    effort smallint,
    comment text,
    about_kind text,
    about_id uuid
);
CREATE INDEX customer_timeline_by_customer
    ON customer_timeline (customer_ref, occurred_at DESC, position DESC);
COMMENT ON TABLE customer_timeline IS
    'Customer view: one row per interaction (inbound call, mailshot sent, survey reply), '
    'keyed by the log position of the fact that recorded it; later facts about the same '
    'interaction (call corrections, delivery, bounce, response, conversion) update the row';
COMMENT ON COLUMN customer_timeline.position IS 'log position of CallRecorded / MailshotSent / SurveyReplied';
COMMENT ON COLUMN customer_timeline.stream_id IS 'the interaction''s stream in the log';
COMMENT ON COLUMN customer_timeline.kind IS 'call, mailshot or survey';
COMMENT ON COLUMN customer_timeline.channel IS 'phone (calls), post / email / sms (mailshots), survey';
COMMENT ON COLUMN customer_timeline.occurred_at IS 'when it happened in the world (UTC)';
COMMENT ON COLUMN customer_timeline.recorded_at IS 'when the ledger recorded it';
COMMENT ON COLUMN customer_timeline.queue IS 'calls: queue, as corrected';
COMMENT ON COLUMN customer_timeline.reason IS 'calls: reason code, as corrected';
COMMENT ON COLUMN customer_timeline.outcome IS 'calls: answered or abandoned';
COMMENT ON COLUMN customer_timeline.handled_seconds IS 'calls: talk + hold + after-call work, as corrected';
COMMENT ON COLUMN customer_timeline.resolved IS 'calls: resolved flag, as corrected';
COMMENT ON COLUMN customer_timeline.corrections IS 'calls: number of CallCorrected facts applied';
COMMENT ON COLUMN customer_timeline.unit_cost IS 'mailshots: cost of this send';
COMMENT ON COLUMN customer_timeline.delivered_at IS 'mailshots: earliest delivery receipt';
COMMENT ON COLUMN customer_timeline.bounced_at IS 'mailshots: earliest bounce';
COMMENT ON COLUMN customer_timeline.responses IS 'mailshots: MailshotResponded facts (any time)';
COMMENT ON COLUMN customer_timeline.first_response_how IS 'mailshots: how the earliest response came';
COMMENT ON COLUMN customer_timeline.conversion_value IS 'mailshots: sum of conversion values';
COMMENT ON COLUMN customer_timeline.comment IS 'surveys: ciphertext under the customer''s key';
COMMENT ON COLUMN customer_timeline.about_id IS 'surveys: stream of the call or mailshot the reply is about';
"""


def upgrade() -> None:
    op.execute(PROFILE)
    op.execute(TIMELINE)


def downgrade() -> None:
    op.execute("DROP TABLE customer_timeline, customer_consent, customer_details, customer_profile")
