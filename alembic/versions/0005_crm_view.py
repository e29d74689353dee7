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

# Rows of these tables are updated in place page after page: room on each page keeps
# those updates HOT (no index churn).
TABLES = """
CREATE TABLE crm_campaigns (
    campaign_id text PRIMARY KEY,
    name text NOT NULL,
    channel text NOT NULL,
    fixed_cost numeric NOT NULL,
    attribution_window_days integer NOT NULL,
    planned_at timestamptz NOT NULL
);
CREATE TABLE crm_customers (
    customer_ref text PRIMARY KEY,
    segment text,
    registered_position bigint,
    first_day date NOT NULL
) WITH (fillfactor = 80);
CREATE TABLE crm_mailshots (
    mailshot_id uuid PRIMARY KEY,
    customer_ref text NOT NULL,
    campaign_id text NOT NULL,
    channel text NOT NULL,
    control boolean NOT NULL,
    sent_at timestamptz NOT NULL,
    window_end timestamptz NOT NULL,
    day date NOT NULL,
    segment text NOT NULL,
    opt_out_channel text NOT NULL,
    unit_cost numeric NOT NULL,
    revenue numeric NOT NULL DEFAULT 0,
    bounced boolean NOT NULL DEFAULT false,
    responded boolean NOT NULL DEFAULT false,
    converted boolean NOT NULL DEFAULT false,
    opted_out boolean NOT NULL DEFAULT false
) WITH (fillfactor = 80);
CREATE INDEX crm_mailshots_customer_idx ON crm_mailshots (customer_ref, opt_out_channel);
CREATE TABLE crm_opt_outs (
    position bigint PRIMARY KEY,
    customer_ref text NOT NULL,
    channel text NOT NULL,
    occurred_at timestamptz NOT NULL
);
CREATE INDEX crm_opt_outs_customer_idx ON crm_opt_outs (customer_ref, channel, occurred_at);
CREATE TABLE crm_daily (
    campaign_id text NOT NULL,
    channel text NOT NULL,
    day date NOT NULL,
    segment text NOT NULL,
    sent integer NOT NULL DEFAULT 0,
    bounced integer NOT NULL DEFAULT 0,
    unit_cost numeric NOT NULL DEFAULT 0,
    responders integer NOT NULL DEFAULT 0,
    converters integer NOT NULL DEFAULT 0,
    revenue numeric NOT NULL DEFAULT 0,
    opt_outs integer NOT NULL DEFAULT 0,
    held_back integer NOT NULL DEFAULT 0,
    control_responders integer NOT NULL DEFAULT 0,
    control_converters integer NOT NULL DEFAULT 0,
    control_revenue numeric NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, channel, day, segment)
) WITH (fillfactor = 80);
CREATE INDEX crm_daily_day_idx ON crm_daily (day);
CREATE TABLE crm_contact_days (
    customer_ref text NOT NULL,
    day date NOT NULL,
    sends integer NOT NULL,
    PRIMARY KEY (customer_ref, day)
) WITH (fillfactor = 80);
CREATE TABLE crm_pressure_changes (
    day date NOT NULL,
    mailshots integer NOT NULL,
    delta integer NOT NULL,
    PRIMARY KEY (day, mailshots)
) WITH (fillfactor = 80);
CREATE VIEW crm_pressure AS
WITH bounds AS (
    SELECT min(day) AS lo, max(day) AS hi FROM crm_pressure_changes
), grid AS (
    SELECT g::date AS day, m.mailshots
    FROM bounds, generate_series(bounds.lo, bounds.hi, interval '1 day') AS g,
        (SELECT DISTINCT mailshots FROM crm_pressure_changes) AS m
), running AS (
    SELECT grid.day, grid.mailshots,
        sum(coalesce(c.delta, 0)) OVER (PARTITION BY grid.mailshots ORDER BY grid.day)
            AS customers
    FROM grid LEFT JOIN crm_pressure_changes c
        ON c.day = grid.day AND c.mailshots = grid.mailshots
)
SELECT day, mailshots, customers::integer AS customers FROM running WHERE customers <> 0;
"""

COMMENTS = """
COMMENT ON TABLE crm_campaigns IS 'CRM view: every planned campaign (from CampaignPlanned)';
COMMENT ON COLUMN crm_campaigns.fixed_cost IS
    'Fixed cost of the campaign, added once per campaign at query time (pro rata by sent)';
COMMENT ON COLUMN crm_campaigns.attribution_window_days IS
    'Responses/conversions/opt-outs up to this many days after the send (end included) count';
COMMENT ON TABLE crm_customers IS
    'CRM view: customers known to it (registered, mailed or held back): the pressure population';
COMMENT ON COLUMN crm_customers.segment IS 'Segment given at registration (NULL: none given)';
COMMENT ON COLUMN crm_customers.registered_position IS
    'Log position of CustomerRegistered (NULL: not registered yet)';
COMMENT ON COLUMN crm_customers.first_day IS
    'Earliest day the customer was registered, mailed or held back (in the view time zone)';
COMMENT ON TABLE crm_mailshots IS
    'CRM view helper: one row per mailshot (a send or a hold-back) with its credited flags';
COMMENT ON COLUMN crm_mailshots.control IS 'true: held back (control group), not mailed';
COMMENT ON COLUMN crm_mailshots.sent_at IS 'When it was sent or held back (occurred_at)';
COMMENT ON COLUMN crm_mailshots.window_end IS 'sent_at + the campaign attribution window';
COMMENT ON COLUMN crm_mailshots.segment IS
    'Customer segment as known when the send was projected (unknown: not registered yet)';
COMMENT ON COLUMN crm_mailshots.opt_out_channel IS 'The campaign''s channel (opt-outs match it)';
COMMENT ON COLUMN crm_mailshots.revenue IS 'Sum of conversion values inside the window';
COMMENT ON COLUMN crm_mailshots.bounced IS
    'A bounce was recorded: its responses, conversions and opt-outs are not credited';
COMMENT ON COLUMN crm_mailshots.responded IS 'At least one response inside the window';
COMMENT ON COLUMN crm_mailshots.converted IS 'At least one conversion inside the window';
COMMENT ON COLUMN crm_mailshots.opted_out IS
    'A consent withdrawal for opt_out_channel between sent_at and window_end (sends only)';
COMMENT ON TABLE crm_opt_outs IS
    'CRM view helper: every consent withdrawal (MarketingConsentChanged granted=false)';
COMMENT ON TABLE crm_daily IS
    'CRM view: additive components per campaign x channel x send day x segment';
COMMENT ON COLUMN crm_daily.day IS 'Day of the send (or hold-back), in the view time zone';
COMMENT ON COLUMN crm_daily.sent IS 'Mailshots sent';
COMMENT ON COLUMN crm_daily.bounced IS 'Sent mailshots with at least one bounce';
COMMENT ON COLUMN crm_daily.unit_cost IS 'Sum of unit costs of the sent mailshots';
COMMENT ON COLUMN crm_daily.responders IS
    'Delivered (not bounced) mailshots with a response inside the window';
COMMENT ON COLUMN crm_daily.converters IS
    'Delivered (not bounced) mailshots with a conversion inside the window';
COMMENT ON COLUMN crm_daily.revenue IS
    'Sum of conversion values inside the window of delivered (not bounced) mailshots';
COMMENT ON COLUMN crm_daily.opt_outs IS
    'Delivered mailshots followed by a consent withdrawal for the campaign channel in the window';
COMMENT ON COLUMN crm_daily.held_back IS 'Recipients held back (control group)';
COMMENT ON COLUMN crm_daily.control_responders IS 'Held back with a response inside the window';
COMMENT ON COLUMN crm_daily.control_converters IS
    'Held back with a conversion inside the window';
COMMENT ON COLUMN crm_daily.control_revenue IS 'Sum of conversion values credited to held back';
COMMENT ON TABLE crm_contact_days IS 'CRM view helper: mailshots sent per customer per day';
COMMENT ON TABLE crm_pressure_changes IS
    'CRM view: contact pressure as changes: from day on, delta more customers have exactly mailshots sends in their trailing 30 days (running sum over days = crm_pressure)';
COMMENT ON COLUMN crm_pressure_changes.mailshots IS 'A 30-day send count (>= 1)';
COMMENT ON COLUMN crm_pressure_changes.delta IS
    'Change, from this day on, in the number of customers with exactly that count';
COMMENT ON VIEW crm_pressure IS
    'CRM view: contact pressure histogram: customers with exactly N mailshots sent in the 30 days ending on day (N >= 1; rows with 0 customers omitted)';
COMMENT ON COLUMN crm_pressure.mailshots IS 'Mailshots sent to the customer on days day-29 .. day';
COMMENT ON COLUMN crm_pressure.customers IS 'Customers with exactly that many';
"""


def upgrade() -> None:
    op.execute(TABLES)
    op.execute(COMMENTS)


def downgrade() -> None:
    op.execute(
        "DROP VIEW crm_pressure; DROP TABLE crm_pressure_changes, crm_contact_days, crm_daily, crm_opt_outs, "
        "crm_mailshots, crm_customers, crm_campaigns"
    )
