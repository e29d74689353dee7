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


def upgrade() -> None:
    op.execute("SELECT 1")  # tables of the customer view: filled in with the view


def downgrade() -> None:
    op.execute("SELECT 1")
