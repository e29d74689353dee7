"""API keys: roles, stored as SHA-256 digests of high-entropy secrets.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE api_keys (
            key_id text PRIMARY KEY,
            name text NOT NULL,
            role text NOT NULL
                CHECK (role IN ('agent', 'analyst', 'auditor', 'integrator', 'admin')),
            secret_sha256 bytea NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            revoked_at timestamptz
        );
        COMMENT ON TABLE api_keys IS
            'API keys; only a SHA-256 digest of each 256-bit secret is kept';
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE api_keys")
