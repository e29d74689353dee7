"""Projection tracking: one row per view with the last log position it applied.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE view_tracking (
            view_name text PRIMARY KEY,
            position bigint NOT NULL DEFAULT 0,
            updated_at timestamptz NOT NULL DEFAULT now(),
            last_recorded_at timestamptz
        );
        COMMENT ON TABLE view_tracking IS
            'Each view''s last applied log position, written in the same transaction as its rows';
        INSERT INTO view_tracking (view_name) VALUES ('customer'), ('cost'), ('crm'), ('cem');
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE view_tracking")
