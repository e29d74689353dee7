"""Why they may be calling: the customer view knows each campaign's name and purpose.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06

``customer_campaigns`` holds every planned campaign (``CampaignPlanned``): its name, so
the timeline shows campaigns by name, and its purpose (alert, service, marketing,
newsletter), which ranks recent sends in "why they may be calling". Rows come from the
log like every view's; on a database whose customer view was built before this revision
the table starts empty (mailshots show no campaign name and rank as marketing) until
``touchpoint views rebuild customer``.
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

CAMPAIGNS = """
CREATE TABLE customer_campaigns (
    campaign_id text PRIMARY KEY,
    name text NOT NULL,
    channel text NOT NULL,
    purpose text NOT NULL CHECK (purpose IN ('alert', 'service', 'marketing', 'newsletter')),
    position bigint NOT NULL
);
COMMENT ON TABLE customer_campaigns IS
    'Customer view: every planned campaign (CampaignPlanned), for mailshots'' names and the '
    'ranking of recent sends in why_calling';
COMMENT ON COLUMN customer_campaigns.purpose IS
    'alert (asks for an urgent reply), service, marketing or newsletter (asks for none); '
    'facts recorded before purposes existed read as marketing';
COMMENT ON COLUMN customer_campaigns.position IS 'log position of CampaignPlanned';
"""


def upgrade() -> None:
    op.execute(CAMPAIGNS)


def downgrade() -> None:
    op.execute("DROP TABLE customer_campaigns")
