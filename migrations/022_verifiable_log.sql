-- The verifiable log (RFC 9162 Merkle tree, C2SP tlog-tiles, signed checkpoints anchored on chain). Every accepted
-- bundle, every resource version as stored and every audit record is one entry: a salted commitment (see README,
-- "The verifiable log"). Writers queue entries in their own transaction; one sequencer at a time (advisory lock)
-- assigns leaf indexes in queue order, so bridge processes sharing this database never fork the log.

CREATE TABLE log_queue (
  seq            bigserial PRIMARY KEY,
  kind           text NOT NULL CHECK (kind IN ('bundle', 'resource', 'audit')),
  ref_id         uuid NOT NULL,
  version        integer,
  doc_hash       bytea NOT NULL CHECK (octet_length(doc_hash) = 32),
  salt           bytea NOT NULL CHECK (octet_length(salt) = 32),
  clinic_id      uuid,
  resource_type  text,
  person_id      uuid,
  queued_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE log_queue IS 'Entries accepted (committed with what they describe) and not yet given a leaf index; the sequencer moves them to log_leaf in seq order.';

CREATE TABLE log_leaf (
  leaf_index     bigint PRIMARY KEY CHECK (leaf_index >= 0),
  kind           text NOT NULL,
  ref_id         uuid NOT NULL,
  version        integer,
  doc_hash       bytea NOT NULL,
  salt           bytea,
  clinic_id      uuid,
  resource_type  text,
  chain_id       bytea,
  chain_seq      bigint,
  chain_prev     bytea,
  commitment     bytea NOT NULL CHECK (octet_length(commitment) = 32),
  queued_at      timestamptz NOT NULL,
  integrated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE log_leaf IS 'One row per log entry, by leaf index. commitment = SHA-256(JCS(leaf document)) is the entry the tree hashes; salt NULL once erased.';
CREATE INDEX log_leaf_ref_idx ON log_leaf (ref_id, version);
CREATE INDEX log_leaf_chain_idx ON log_leaf (chain_id, chain_seq) WHERE chain_id IS NOT NULL;

CREATE TABLE log_tile (
  level   smallint NOT NULL CHECK (level >= 0),
  idx     bigint NOT NULL CHECK (idx >= 0),
  hashes  bytea NOT NULL CHECK (octet_length(hashes) % 32 = 0 AND octet_length(hashes) BETWEEN 32 AND 8192),
  PRIMARY KEY (level, idx)
);
COMMENT ON TABLE log_tile IS 'C2SP tlog-tiles hash tiles (height 8): level L, index N holds up to 256 hashes of tree level 8L. The right-edge partial tile is rewritten as it grows.';

CREATE TABLE log_person_chain (
  person_id  uuid PRIMARY KEY,
  chain_id   bytea NOT NULL UNIQUE CHECK (octet_length(chain_id) = 32),
  seq        bigint NOT NULL,
  head       bytea NOT NULL
);
COMMENT ON TABLE log_person_chain IS 'Hash chain of the audit entries about one person: random chain id, last sequence number and the commitment of its head.';

CREATE TABLE log_checkpoint (
  tree_size        bigint PRIMARY KEY CHECK (tree_size >= 0),
  root             bytea NOT NULL CHECK (octet_length(root) = 32),
  note             text NOT NULL,
  cosignatures     text[] NOT NULL DEFAULT '{}',
  created_at       timestamptz NOT NULL DEFAULT now(),
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'submitted', 'confirmed')),
  chain_id         bigint,
  contract         text,
  log_id           bytea,
  tx_hash          bytea,
  block_number     bigint,
  block_time       timestamptz,
  submitted_block  bigint,
  submitted_at     timestamptz,
  confirmed_at     timestamptz,
  attempts         integer NOT NULL DEFAULT 0,
  last_error       text
);
COMMENT ON TABLE log_checkpoint IS 'Signed checkpoints (C2SP tlog-checkpoint) as published; note is signed by the log key, cosignatures are witness signature lines. status: anchoring on chain, as for batch.';
CREATE INDEX log_checkpoint_unconfirmed_idx ON log_checkpoint (tree_size) WHERE status <> 'confirmed';

-- What was stored before this migration joins the log too. Bundles and audit records are queued here (their hashes
-- are stored; 32-byte salts from two random UUIDs, PostgreSQL's strong random source); resource versions need the
-- RFC 8785 JSON of their content, so they are listed here and queued by the bridge at start (bridge/log/backfill.ts).
INSERT INTO log_queue (kind, ref_id, doc_hash, salt, clinic_id, queued_at)
  SELECT 'bundle', id, hash, decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex'), clinic_id, received_at
  FROM bundle ORDER BY received_at, id;
INSERT INTO log_queue (kind, ref_id, doc_hash, salt, clinic_id, person_id, queued_at)
  SELECT 'audit', id, hash, decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex'), clinic_id, person_id, recorded
  FROM audit_event ORDER BY seq;
CREATE TABLE log_backfill (resource_id uuid PRIMARY KEY);
COMMENT ON TABLE log_backfill IS 'Resources stored before the log existed whose versions the bridge has yet to queue (emptied at start).';
INSERT INTO log_backfill (resource_id) SELECT id FROM resource;
