"""Finding customers: the customer view's blind indexes, and references found in any case.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05

``customer_search`` holds, per customer, keyed HMAC-SHA256 tokens of the normalised
current phone number (and its endings of 9+ digits), e-mail address and name words
(and their prefixes of 3+ letters), under an index key kept outside the database
(``api.storage.blind_index``). The customer view maintains it from registrations and
contact-detail changes and deletes a customer's rows on erasure; nothing of it is
ever in the log. ``customer_profile_by_lower_ref`` serves the case-insensitive
search by reference.
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

SEARCH = """
CREATE TABLE customer_search (
    token bytea NOT NULL,
    customer_ref text NOT NULL,
    field text NOT NULL CHECK (field IN ('phone', 'email', 'name', 'caller')),
    PRIMARY KEY (token, customer_ref)
);
CREATE INDEX customer_search_by_customer ON customer_search (customer_ref);
COMMENT ON TABLE customer_search IS
    'Customer view: blind-index tokens (HMAC-SHA256 under the index key, kept outside the '
    'database) of customers'' current contact details; a customer erased has none';
COMMENT ON COLUMN customer_search.token IS
    'HMAC of a tagged normalised value: phone (E.164), phone ending (9+ digits), e-mail '
    '(trimmed, casefolded), name word or prefix (3+ letters, accents dropped); caller: the '
    'first 10 bytes of the token naming an unidentified caller with that number';
COMMENT ON COLUMN customer_search.field IS 'phone, email, name or caller';
CREATE INDEX customer_profile_by_lower_ref ON customer_profile (lower(customer_ref));
"""


def upgrade() -> None:
    op.execute(SEARCH)


def downgrade() -> None:
    op.execute("DROP INDEX customer_profile_by_lower_ref")
    op.execute("DROP TABLE customer_search")
