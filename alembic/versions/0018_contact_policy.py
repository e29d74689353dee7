"""The contact policy: the customer view keeps every consent change, not only the latest.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06

``GET /customers/{ref}/contactability?at=`` asks the contact policy (``domain.policy``)
whether a customer could be contacted at a past instant too, so it needs the consent as it
stood then: ``customer_consent`` keeps only the latest change per channel, and
``customer_consent_changes`` keeps each ``MarketingConsentChanged``. The policy itself
needs no table: it is the latest ``ContactPolicyPublished`` fact of its own stream, read
from the log. The new table starts with the latest change per channel (what
``customer_consent`` holds, so answers about now are right at once); earlier changes
appear after ``touchpoint views rebuild customer``.
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE TABLE customer_consent_changes (
    position bigint PRIMARY KEY,
    customer_ref text NOT NULL,
    channel text NOT NULL,
    granted boolean NOT NULL,
    occurred_at timestamptz NOT NULL
);
CREATE INDEX customer_consent_changes_ref_idx
    ON customer_consent_changes (customer_ref, channel, occurred_at);
COMMENT ON TABLE customer_consent_changes IS
    'Customer view: every MarketingConsentChanged (consent as it stood at any instant, for '
    'the contact policy); before a rebuild of the view only the latest change per channel';
INSERT INTO customer_consent_changes (position, customer_ref, channel, granted, occurred_at)
    SELECT position, customer_ref, channel, granted, occurred_at FROM customer_consent;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute("DROP TABLE customer_consent_changes")
