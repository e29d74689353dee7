"""The hash chain: one entry per stored event, written by the append's own statement.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29

Each event's chain entry is ``SHA-256(previous entry's hash || record)``, where
``record`` is the canonical encoding of the stored row exactly as stored (see
``touchpoint_record_bytes``, mirrored by ``domain.chain.hashes.encode_record``); the hash
before the first entry is 32 zero bytes.

Why a statement trigger rather than a chain insert sent by the recorder: the
chain rows are written inside the very ``INSERT`` that stores the events, so no
client (ours, the library's own recorder, ``psql``) can commit an event without
its entry, and no extra round trip is needed (positions are only known once the
insert has run). The rows come from the statement's transition table, in
position order. The trigger takes the chain's own ``EXCLUSIVE`` lock before
reading the previous entry (uncontended when the append already holds the log's
lock), refuses positions that are not after the head (an insert that did not
take the log's lock and lost the race), and ``seq`` is unique, so two writers
can never fork the chain whatever their isolation level.

``touchpoint_merkle_nodes`` caches roots of complete Merkle subtrees (RFC 6962)
over the entries; it is derived data, filled lazily by readers, checked by
``touchpoint audit verify``.
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TABLES = """
CREATE TABLE touchpoint_chain (
    position bigint PRIMARY KEY,
    seq bigint NOT NULL UNIQUE,
    hash bytea NOT NULL CHECK (octet_length(hash) = 32)
);
COMMENT ON TABLE touchpoint_chain IS
    'Hash chain over touchpoint_events: one entry per event, written in the same statement';
COMMENT ON COLUMN touchpoint_chain.position IS 'The event''s position (notification_id)';
COMMENT ON COLUMN touchpoint_chain.seq IS
    'Place of the entry in the chain from 0 (positions have gaps); its Merkle leaf index';
COMMENT ON COLUMN touchpoint_chain.hash IS
    'SHA-256(hash of the entry before || touchpoint_record_bytes(event)); 32 zero bytes before the first';
CREATE TRIGGER touchpoint_chain_append_only
    BEFORE UPDATE OR DELETE ON touchpoint_chain
    FOR EACH ROW EXECUTE FUNCTION touchpoint_refuse_rewrite();
CREATE TRIGGER touchpoint_chain_no_truncate
    BEFORE TRUNCATE ON touchpoint_chain
    FOR EACH STATEMENT EXECUTE FUNCTION touchpoint_refuse_rewrite();

CREATE TABLE touchpoint_merkle_nodes (
    level smallint NOT NULL CHECK (level > 0),
    index bigint NOT NULL CHECK (index >= 0),
    hash bytea NOT NULL CHECK (octet_length(hash) = 32),
    PRIMARY KEY (level, index)
);
COMMENT ON TABLE touchpoint_merkle_nodes IS
    'Cache: root of the complete Merkle subtree over leaves [index * 2^level, (index + 1) * 2^level)';
"""

# Big-endian fixed widths, lengths before variable parts: one byte string per
# record, never ambiguous. NULL topic or state makes it NULL (refused below).
# STABLE, as convert_to is: the planner then inlines it into the trigger's query
# (declared IMMUTABLE it would not be, and the chain would cost twice as much).
RECORD_BYTES = """
CREATE FUNCTION touchpoint_record_bytes(
    notification_id bigint, originator_id uuid, originator_version bigint, topic text, state bytea
) RETURNS bytea LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT int8send(notification_id) || uuid_send(originator_id) || int8send(originator_version)
        || int4send(octet_length(convert_to(topic, 'UTF8'))) || convert_to(topic, 'UTF8')
        || int4send(octet_length(state)) || state
$$;
COMMENT ON FUNCTION touchpoint_record_bytes(bigint, uuid, bigint, text, bytea) IS
    'Canonical encoding of a stored event, as hashed into the chain';
"""

APPEND = """
CREATE FUNCTION touchpoint_chain_append() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    head bigint := 0;
    next_seq bigint := 0;
    last_hash bytea := '\\x0000000000000000000000000000000000000000000000000000000000000000';
    event record;
    positions bigint[] := '{}';
    hashes bytea[] := '{}';
BEGIN
    LOCK TABLE touchpoint_chain IN EXCLUSIVE MODE;
    SELECT c.position, c.seq + 1, c.hash INTO head, next_seq, last_hash
        FROM touchpoint_chain c ORDER BY c.position DESC LIMIT 1;
    IF NOT FOUND THEN
        head := 0;
        next_seq := 0;
        last_hash := '\\x0000000000000000000000000000000000000000000000000000000000000000';
    END IF;
    FOR event IN
        SELECT e.notification_id AS position,
               touchpoint_record_bytes(e.notification_id, e.originator_id,
                   e.originator_version, e.topic, e.state) AS bytes
        FROM new_events e ORDER BY e.notification_id
    LOOP
        IF event.position <= head THEN
            RAISE EXCEPTION 'position % is not after the chain''s head %: append under '
                'the log''s lock (LOCK TABLE touchpoint_events IN EXCLUSIVE MODE)',
                event.position, head;
        END IF;
        IF event.bytes IS NULL THEN
            RAISE EXCEPTION 'the event at position % has no topic or no state', event.position;
        END IF;
        last_hash := sha256(last_hash || event.bytes);
        positions := positions || event.position;
        hashes := hashes || last_hash;
        head := event.position;
    END LOOP;
    INSERT INTO touchpoint_chain (position, seq, hash)
        SELECT p, next_seq + o - 1, h FROM unnest(positions, hashes) WITH ORDINALITY AS u(p, h, o);
    RETURN NULL;
END $$;
"""

TRIGGER = """
CREATE TRIGGER touchpoint_events_chain
    AFTER INSERT ON touchpoint_events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION touchpoint_chain_append();
"""

# Events recorded before this migration get their entries now, in one pass.
BACKFILL = """
LOCK TABLE touchpoint_events IN EXCLUSIVE MODE;
DO $$
DECLARE
    last_hash bytea := '\\x0000000000000000000000000000000000000000000000000000000000000000';
    next_seq bigint := 0;
    event record;
BEGIN
    FOR event IN
        SELECT e.notification_id AS position,
               touchpoint_record_bytes(e.notification_id, e.originator_id,
                   e.originator_version, e.topic, e.state) AS bytes
        FROM touchpoint_events e ORDER BY e.notification_id
    LOOP
        last_hash := sha256(last_hash || event.bytes);
        INSERT INTO touchpoint_chain (position, seq, hash)
            VALUES (event.position, next_seq, last_hash);
        next_seq := next_seq + 1;
    END LOOP;
END $$;
"""


def upgrade() -> None:
    op.execute(TABLES)
    op.execute(RECORD_BYTES)
    op.execute(APPEND)
    op.execute(BACKFILL)
    op.execute(TRIGGER)


def downgrade() -> None:
    op.execute("DROP TRIGGER touchpoint_events_chain ON touchpoint_events")
    op.execute("DROP FUNCTION touchpoint_chain_append()")
    op.execute("DROP FUNCTION touchpoint_record_bytes(bigint, uuid, bigint, text, bytea)")
    op.execute("DROP TABLE touchpoint_merkle_nodes, touchpoint_chain")
