"""The CRM view (mailshots).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("SELECT 1")  # tables of the crm view: filled in with the view


def downgrade() -> None:
    op.execute("SELECT 1")
