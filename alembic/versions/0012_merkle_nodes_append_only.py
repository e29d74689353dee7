"""The Merkle node cache is append-only, as the log and its chain are.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05

``touchpoint_merkle_nodes`` only speeds up proofs and served digests, and
verification recomputes every node it needs from the records instead of reading
it (then reports cached nodes that disagree). Its rows are still never changed
or deleted by the application: nodes are deterministic, written once with
``INSERT ... ON CONFLICT DO NOTHING``; so the same triggers as the log's refuse
``UPDATE``, ``DELETE`` and ``TRUNCATE`` (emptying a corrupt cache is the
owner's act: disable the trigger, delete, enable it).
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TRIGGER touchpoint_merkle_nodes_append_only
            BEFORE UPDATE OR DELETE ON touchpoint_merkle_nodes
            FOR EACH ROW EXECUTE FUNCTION touchpoint_refuse_rewrite();
        CREATE TRIGGER touchpoint_merkle_nodes_no_truncate
            BEFORE TRUNCATE ON touchpoint_merkle_nodes
            FOR EACH STATEMENT EXECUTE FUNCTION touchpoint_refuse_rewrite();
        COMMENT ON TABLE touchpoint_merkle_nodes IS
            'Append-only cache: root of the complete Merkle subtree over leaves '
            '[index * 2^level, (index + 1) * 2^level); verification checks it, never reads it';
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DROP TRIGGER touchpoint_merkle_nodes_no_truncate ON touchpoint_merkle_nodes;
        DROP TRIGGER touchpoint_merkle_nodes_append_only ON touchpoint_merkle_nodes;
        """
    )
