"""The crm view: uncredited follow-ups, last-touch opt-outs, pressure at the send.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06

METRICS.md ("CRM view") now credits each consent withdrawal once, to the latest
delivered send before it (last touch), reports responses and conversions that were not
credited (outside the window, of a bounced send), breaks sends down by the recipient's
contact pressure at the send, and gives a campaign with no sends its fixed cost on the
day it was planned. The opt-outs are now found at query time (a later bounce or an
earlier send logged later changes the last touch), so their stored flags go; the view
keeps every response and conversion (``crm_follow_ups``), each send's log position (the
tie-break of sends at one instant) and each campaign's planned day. The crm view is
emptied and its tracking reset: its projector rebuilds it from the log.
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_RESET = """
TRUNCATE crm_campaigns, crm_customers, crm_mailshots, crm_opt_outs, crm_daily,
    crm_contact_days, crm_pressure_changes;
UPDATE view_tracking SET position = 0, updated_at = now(), last_recorded_at = NULL
    WHERE view_name = 'crm';
"""

UPGRADE = """
ALTER TABLE crm_campaigns ADD COLUMN planned_day date NOT NULL;
ALTER TABLE crm_mailshots DROP COLUMN opted_out, ADD COLUMN position bigint NOT NULL;
ALTER TABLE crm_daily DROP COLUMN opt_outs;
CREATE INDEX crm_mailshots_sent_idx ON crm_mailshots (customer_ref, sent_at);
CREATE INDEX crm_opt_outs_occurred_idx ON crm_opt_outs (occurred_at);
CREATE TABLE crm_follow_ups (
    position bigint PRIMARY KEY,
    mailshot_id uuid NOT NULL,
    kind text NOT NULL CHECK (kind IN ('response', 'conversion')),
    occurred_at timestamptz NOT NULL,
    value numeric NOT NULL DEFAULT 0
);
CREATE INDEX crm_follow_ups_mailshot_idx ON crm_follow_ups (mailshot_id);
COMMENT ON COLUMN crm_campaigns.planned_day IS
    'Day of CampaignPlanned in the view time zone: where a campaign with no sends carries its fixed cost';
COMMENT ON COLUMN crm_mailshots.position IS
    'Log position of the send or hold-back (the latest of sends at one instant is the last touch)';
COMMENT ON TABLE crm_follow_ups IS
    'CRM view helper: every MailshotResponded and MailshotConverted, credited or not (uncredited: outside the window or of a bounced send)';
COMMENT ON COLUMN crm_follow_ups.value IS 'Conversion value (0 for a response)';
COMMENT ON COLUMN crm_daily.responders IS
    'Delivered (not bounced) mailshots with a response inside the window [sent, sent + window]';
"""

DOWNGRADE = """
DROP TABLE crm_follow_ups;
DROP INDEX crm_opt_outs_occurred_idx;
DROP INDEX crm_mailshots_sent_idx;
ALTER TABLE crm_daily ADD COLUMN opt_outs integer NOT NULL DEFAULT 0;
ALTER TABLE crm_mailshots DROP COLUMN position,
    ADD COLUMN opted_out boolean NOT NULL DEFAULT false;
ALTER TABLE crm_campaigns DROP COLUMN planned_day;
"""


def upgrade() -> None:
    op.execute(_RESET)
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(_RESET)
    op.execute(DOWNGRADE)
