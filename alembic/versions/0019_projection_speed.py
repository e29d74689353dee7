"""Projection speed: an index for the cem view, room for the views' updates in place.

A new or corrected call can change the repeat flag of the replies about later calls of
the same customer within W. The cem view finds them with a range scan of a new index
(customer, time of the surveyed call), so the work per call is bounded by the window,
never by how many replies the customer has had (one id shared by every unidentified
caller holds half the history).

Rows the views update page after page (a customer's profile on each of their facts, a
mailshot's timeline row on each follow-up, a call's repeat links) leave free space in
their table pages (fillfactor), so PostgreSQL updates them in place (HOT: no new index
entries; none of the updated columns is indexed): on the demo, the profile's upsert took
half the time. Existing pages fill up as they are; tables made afterwards (a rebuild,
rows inserted anew) get the room. No rows change: no rebuild is needed.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


FILLFACTOR = {"customer_profile": 70, "customer_timeline": 80, "cost_calls": 80}


def upgrade() -> None:
    op.execute("CREATE INDEX cem_replies_customer_call_at ON cem_replies (customer_ref, call_at)")
    for table, percent in FILLFACTOR.items():
        op.execute(f"ALTER TABLE {table} SET (fillfactor = {percent})")


def downgrade() -> None:
    for table in FILLFACTOR:
        op.execute(f"ALTER TABLE {table} RESET (fillfactor)")
    op.execute("DROP INDEX cem_replies_customer_call_at")
