"""Wrapped data keys: customers' keys stored only under a key-encryption key (KEK).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05

``wrapped_key`` holds a customer's data key as AES-256-GCM ciphertext under the
KEK version ``kek_version`` (``api.storage.kek``); the KEKs live in a keyring file
outside the database. ``data_key`` (plain) is kept only until ``touchpoint migrate``
wraps the keys an older database holds (the KEK is not known here): from now on
no statement may write a plain key into it, and the migration step leaves none.

``customer_key_kek.retired_below`` is the lowest KEK version still in use: after
``touchpoint keys rotate-kek`` no writer may store a key wrapped under an older
(retired) version, even one that read the keyring just before the rotation.
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

UPGRADE = """
ALTER TABLE customer_keys
    ADD COLUMN wrapped_key bytea,
    ADD COLUMN kek_version integer CHECK (kek_version >= 1),
    DROP CONSTRAINT customer_keys_check,
    ADD CONSTRAINT customer_keys_one_key CHECK (
        num_nonnulls(data_key, wrapped_key) = CASE WHEN destroyed_at IS NULL THEN 1 ELSE 0 END
    ),
    ADD CONSTRAINT customer_keys_wrapped_version CHECK (
        (wrapped_key IS NULL) = (kek_version IS NULL)
    );
COMMENT ON TABLE customer_keys IS
    'Per-customer AES-256-GCM data keys, stored wrapped under a KEK kept outside the database; '
    'destroyed_at set and no key means erased (crypto-shredded)';
COMMENT ON COLUMN customer_keys.wrapped_key IS
    'nonce || AES-256-GCM(KEK, data key), associated data: KEK version and customer_id';
COMMENT ON COLUMN customer_keys.kek_version IS 'The KEK version (keyring file) that wrapped it';
COMMENT ON COLUMN customer_keys.data_key IS
    'Legacy plain key of a database older than 0011; NULL once touchpoint migrate wrapped it';

CREATE TABLE customer_key_kek (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    retired_below integer NOT NULL DEFAULT 0
);
INSERT INTO customer_key_kek DEFAULT VALUES;
COMMENT ON TABLE customer_key_kek IS
    'KEK versions below retired_below are retired: no data key may be stored under them';

CREATE FUNCTION customer_keys_only_wrapped() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.data_key IS NOT NULL
       AND (TG_OP = 'INSERT' OR OLD.data_key IS DISTINCT FROM NEW.data_key) THEN
        RAISE EXCEPTION 'customer_keys: a data key is stored only wrapped under a KEK';
    END IF;
    IF NEW.wrapped_key IS NOT NULL
       AND NEW.kek_version < (SELECT retired_below FROM customer_key_kek) THEN
        RAISE EXCEPTION 'customer_keys: KEK version % is retired', NEW.kek_version
            USING ERRCODE = 'TPK01';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER customer_keys_only_wrapped
    BEFORE INSERT OR UPDATE ON customer_keys
    FOR EACH ROW EXECUTE FUNCTION customer_keys_only_wrapped();
"""

DOWNGRADE = """
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM customer_keys WHERE wrapped_key IS NOT NULL) THEN
        RAISE EXCEPTION 'customer_keys holds wrapped keys: downgrading would lose them';
    END IF;
END $$;
DROP TRIGGER customer_keys_only_wrapped ON customer_keys;
DROP FUNCTION customer_keys_only_wrapped();
DROP TABLE customer_key_kek;
ALTER TABLE customer_keys
    DROP CONSTRAINT customer_keys_one_key,
    DROP CONSTRAINT customer_keys_wrapped_version,
    DROP COLUMN wrapped_key,
    DROP COLUMN kek_version,
    ADD CONSTRAINT customer_keys_check CHECK ((data_key IS NULL) = (destroyed_at IS NOT NULL));
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
