"""The ledger: the library's events table and type, fact keys, customer keys.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Exactly the schema eventsourcing 9.5's PostgresApplicationRecorder would create for
# an application named "touchpoint" (its own CREATE TABLE is switched off).
EVENTS = """
CREATE TYPE stored_event_uuid AS (
    originator_id uuid, originator_version bigint, topic text, state bytea
);
CREATE TABLE touchpoint_events (
    originator_id uuid NOT NULL,
    originator_version bigint NOT NULL,
    topic text,
    state bytea,
    notification_id bigserial,
    PRIMARY KEY (originator_id, originator_version)
) WITH (
    autovacuum_enabled = true,
    autovacuum_vacuum_threshold = 100000000,
    autovacuum_vacuum_scale_factor = 0.5,
    autovacuum_analyze_threshold = 1000,
    autovacuum_analyze_scale_factor = 0.01
);
CREATE UNIQUE INDEX touchpoint_events_notification_id_idx
    ON touchpoint_events (notification_id ASC);
"""

KEYS = """
CREATE TABLE fact_keys (
    fact_id uuid PRIMARY KEY,
    stream_id uuid NOT NULL,
    stream_version bigint NOT NULL,
    content_hash bytea NOT NULL
);
COMMENT ON TABLE fact_keys IS
    'Idempotency: uuid5 of (kind, source, source_id) -> the event that recorded it';
CREATE TABLE customer_keys (
    customer_id uuid PRIMARY KEY,
    customer_ref text NOT NULL,
    data_key bytea,
    created_at timestamptz NOT NULL DEFAULT now(),
    destroyed_at timestamptz,
    CHECK ((data_key IS NULL) = (destroyed_at IS NOT NULL))
);
COMMENT ON TABLE customer_keys IS
    'Per-customer AES-256-GCM data keys; a NULL key means erased (crypto-shredded)';
"""

# The log is append-only: no role of the application may rewrite history.
APPEND_ONLY = """
CREATE FUNCTION touchpoint_refuse_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the touchpoint log is append-only (% refused)', TG_OP;
END $$;
CREATE TRIGGER touchpoint_events_append_only
    BEFORE UPDATE OR DELETE ON touchpoint_events
    FOR EACH ROW EXECUTE FUNCTION touchpoint_refuse_rewrite();
CREATE TRIGGER fact_keys_append_only
    BEFORE UPDATE OR DELETE ON fact_keys
    FOR EACH ROW EXECUTE FUNCTION touchpoint_refuse_rewrite();
CREATE TRIGGER touchpoint_events_no_truncate
    BEFORE TRUNCATE ON touchpoint_events
    FOR EACH STATEMENT EXECUTE FUNCTION touchpoint_refuse_rewrite();
CREATE TRIGGER fact_keys_no_truncate
    BEFORE TRUNCATE ON fact_keys
    FOR EACH STATEMENT EXECUTE FUNCTION touchpoint_refuse_rewrite();
"""


def upgrade() -> None:
    op.execute(EVENTS)
    op.execute(KEYS)
    op.execute(APPEND_ONLY)


def downgrade() -> None:
    op.execute("DROP TABLE customer_keys, fact_keys, touchpoint_events")
    op.execute("DROP FUNCTION touchpoint_refuse_rewrite()")
    op.execute("DROP TYPE stored_event_uuid")
