"""Call wrap-up: an agent's notes on a call, in the customer timeline.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06

``CallRecorded`` v3 carries ``notes``, personal (ciphertext under the customer's
key, like a survey comment); the customer view keeps them as they are in the log.
Calls recorded before have no notes (their facts upcast to ``notes = None``), so the
new column is right empty and no rebuild is needed. The managed list of call
reasons needs no table: it is the latest ``CallReasonsPublished`` fact of its
stream in the log.
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE customer_timeline ADD COLUMN notes text")
    op.execute(
        "COMMENT ON COLUMN customer_timeline.notes IS "
        "'calls: the agent''s notes, ciphertext under the customer''s key'"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE customer_timeline DROP COLUMN notes")
