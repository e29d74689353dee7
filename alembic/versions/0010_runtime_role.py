"""The runtime role's way to the log: append under the log's lock, never rewrite.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05

The API and the projectors connect as a runtime role (``touchpoint migrate``
creates it and grants what it needs, see ``api.storage.roles``) that may only
SELECT and INSERT the log's tables. Two things an append needs are more than that:

- ``LOCK TABLE touchpoint_events IN EXCLUSIVE MODE`` (positions follow commit
  order) needs UPDATE, DELETE or TRUNCATE on the table. ``touchpoint_lock_log()``
  takes that lock for its caller as the tables' owner (SECURITY DEFINER, the lock
  lasts until the caller's transaction ends); only roles granted EXECUTE may call it.
- The chain trigger writes ``touchpoint_chain`` and locks it: it now runs as the
  owner too, so the runtime role needs no INSERT on the chain and can never write
  a chain entry other than the one its event's own INSERT computes.

Both run with a fixed ``search_path``: a caller's own schema can never stand in for
the log's tables or functions.
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

UPGRADE = """
ALTER FUNCTION touchpoint_chain_append() SECURITY DEFINER SET search_path = pg_catalog, public;
CREATE FUNCTION touchpoint_lock_log() RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
    LOCK TABLE public.touchpoint_events IN EXCLUSIVE MODE;
END $$;
COMMENT ON FUNCTION touchpoint_lock_log() IS
    'Takes the log''s append lock (EXCLUSIVE on touchpoint_events) for the caller''s transaction';
REVOKE ALL ON FUNCTION touchpoint_lock_log() FROM PUBLIC;
REVOKE ALL ON FUNCTION touchpoint_chain_append() FROM PUBLIC;
"""

DOWNGRADE = """
DROP FUNCTION touchpoint_lock_log();
ALTER FUNCTION touchpoint_chain_append() SECURITY INVOKER RESET search_path;
GRANT EXECUTE ON FUNCTION touchpoint_chain_append() TO PUBLIC;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
