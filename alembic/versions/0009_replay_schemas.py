"""Replay schemas: the views as they stood at a past position, each in a schema of its own.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29

``touchpoint replay --until N --into SCHEMA`` creates SCHEMA with empty copies of
the views' tables and replays the log up to N into them. This registry names the
schemas touchpoint made, so that ``as_of_schema`` on the metric endpoints can only
ever reach one of them (never ``public`` or another application's schema), and so
that ``--replace`` only ever drops a schema touchpoint made.
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TABLE = """
CREATE TABLE replay_schemas (
    schema_name text PRIMARY KEY,
    until_position bigint NOT NULL CHECK (until_position >= 0),
    views text[] NOT NULL,
    config jsonb NOT NULL,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz
);
COMMENT ON TABLE replay_schemas IS
    'Schemas made by touchpoint replay: copies of view tables as they stood at a log position';
COMMENT ON COLUMN replay_schemas.schema_name IS 'The schema holding the replayed view tables';
COMMENT ON COLUMN replay_schemas.until_position IS
    'Log position replayed up to (inclusive; the head of the log when a later one was asked)';
COMMENT ON COLUMN replay_schemas.views IS 'The views replayed (their tables are in the schema)';
COMMENT ON COLUMN replay_schemas.config IS 'Thresholds and rates the views were replayed with';
COMMENT ON COLUMN replay_schemas.created_by IS 'Who ran the replay (cli:<OS user>)';
COMMENT ON COLUMN replay_schemas.completed_at IS
    'When the replay finished; NULL while it runs (or if it failed): not queryable then';
"""


def upgrade() -> None:
    op.execute(TABLE)


def downgrade() -> None:
    op.execute("DROP TABLE replay_schemas")
