-- Messages partitioned natively by hash of their conversation (16 partitions), so that every
-- conversation's messages sit in one partition and a query keyed by conversation reads one; the
-- same shape a distributed PostgreSQL (Citus, distribution column conversation_id) takes as is
-- (README, "Scaling").
--
-- A partitioned table's primary key and unique constraints must hold the partition key:
--   * the primary key becomes (conversation_id, id) (ids stay random UUIDs, unique in practice;
--     a plain index on id serves the look-ups that start from a message id alone);
--   * the idempotency key becomes (conversation_id, sender_id, client_id): a clientId is unique
--     per sender within a conversation (a retry lands in the conversation it was sent to);
--   * what points at a message (unlocks, reactions, edits, hidden, the legacy reports) carries its
--     conversation_id and references (conversation_id, id), so it can be co-located too.

-- message_states reads messages: dropped here, created again from server/sql/chat/ after the migrations.
DROP VIEW IF EXISTS message_states;

ALTER TABLE message_unlocks DROP CONSTRAINT message_unlocks_message_id_fkey;
ALTER TABLE message_reactions DROP CONSTRAINT message_reactions_message_id_fkey;
ALTER TABLE message_edits DROP CONSTRAINT message_edits_message_id_fkey;
ALTER TABLE message_hidden DROP CONSTRAINT message_hidden_message_id_fkey;
ALTER TABLE message_reports DROP CONSTRAINT message_reports_message_id_fkey;

CREATE TABLE messages_partitioned (
  id               uuid NOT NULL,
  conversation_id  uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  seq              bigint NOT NULL,
  sender_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  client_id        uuid NOT NULL,
  body             text NOT NULL,
  price            integer NOT NULL DEFAULT 0 CHECK (price >= 0),
  created_at       timestamptz NOT NULL DEFAULT now(),
  attachment_id    uuid REFERENCES media (id),
  attachment_price integer NOT NULL DEFAULT 0 CHECK (attachment_price >= 0),
  reply_to         uuid,
  reply_sender_id  uuid,
  reply_excerpt    text CHECK (length(reply_excerpt) <= 200),
  edited_at        timestamptz,
  deleted_at       timestamptz,
  change_seq       bigint NOT NULL DEFAULT 0,
  changed_at       timestamptz,
  reactions        jsonb NOT NULL DEFAULT '[]'::jsonb,
  CONSTRAINT messages_body_check CHECK (length(body) <= 4000 AND (length(body) >= 1 OR attachment_id IS NOT NULL OR deleted_at IS NOT NULL)),
  CONSTRAINT messages_price_needs_attachment CHECK (attachment_id IS NOT NULL OR attachment_price = 0 OR deleted_at IS NOT NULL)
) PARTITION BY HASH (conversation_id);

CREATE TABLE messages_p00 PARTITION OF messages_partitioned FOR VALUES WITH (MODULUS 16, REMAINDER 0);
CREATE TABLE messages_p01 PARTITION OF messages_partitioned FOR VALUES WITH (MODULUS 16, REMAINDER 1);
CREATE TABLE messages_p02 PARTITION OF messages_partitioned FOR VALUES WITH (MODULUS 16, REMAINDER 2);
CREATE TABLE messages_p03 PARTITION OF messages_partitioned FOR VALUES WITH (MODULUS 16, REMAINDER 3);
CREATE TABLE messages_p04 PARTITION OF messages_partitioned FOR VALUES WITH (MODULUS 16, REMAINDER 4);
CREATE TABLE messages_p05 PARTITION OF messages_partitioned FOR VALUES WITH (MODULUS 16, REMAINDER 5);
CREATE TABLE messages_p06 PARTITION OF messages_partitioned FOR VALUES WITH (MODULUS 16, REMAINDER 6);
CREATE TABLE messages_p07 PARTITION OF messages_partitioned FOR VALUES WITH (MODULUS 16, REMAINDER 7);
CREATE TABLE messages_p08 PARTITION OF messages_partitioned FOR VALUES WITH (MODULUS 16, REMAINDER 8);
CREATE TABLE messages_p09 PARTITION OF messages_partitioned FOR VALUES WITH (MODULUS 16, REMAINDER 9);
CREATE TABLE messages_p10 PARTITION OF messages_partitioned FOR VALUES WITH (MODULUS 16, REMAINDER 10);
CREATE TABLE messages_p11 PARTITION OF messages_partitioned FOR VALUES WITH (MODULUS 16, REMAINDER 11);
CREATE TABLE messages_p12 PARTITION OF messages_partitioned FOR VALUES WITH (MODULUS 16, REMAINDER 12);
CREATE TABLE messages_p13 PARTITION OF messages_partitioned FOR VALUES WITH (MODULUS 16, REMAINDER 13);
CREATE TABLE messages_p14 PARTITION OF messages_partitioned FOR VALUES WITH (MODULUS 16, REMAINDER 14);
CREATE TABLE messages_p15 PARTITION OF messages_partitioned FOR VALUES WITH (MODULUS 16, REMAINDER 15);

INSERT INTO messages_partitioned (id, conversation_id, seq, sender_id, client_id, body, price, created_at, attachment_id, attachment_price,
                                  reply_to, reply_sender_id, reply_excerpt, edited_at, deleted_at, change_seq, changed_at, reactions)
SELECT id, conversation_id, seq, sender_id, client_id, body, price, created_at, attachment_id, attachment_price,
       reply_to, reply_sender_id, reply_excerpt, edited_at, deleted_at, change_seq, changed_at, reactions
FROM messages;

-- What points at a message learns its conversation before the old table goes.
ALTER TABLE message_unlocks ADD COLUMN conversation_id uuid;
ALTER TABLE message_reactions ADD COLUMN conversation_id uuid;
ALTER TABLE message_edits ADD COLUMN conversation_id uuid;
ALTER TABLE message_hidden ADD COLUMN conversation_id uuid;
ALTER TABLE message_reports ADD COLUMN conversation_id uuid;
UPDATE message_unlocks x SET conversation_id = m.conversation_id FROM messages m WHERE m.id = x.message_id;
UPDATE message_reactions x SET conversation_id = m.conversation_id FROM messages m WHERE m.id = x.message_id;
UPDATE message_edits x SET conversation_id = m.conversation_id FROM messages m WHERE m.id = x.message_id;
UPDATE message_hidden x SET conversation_id = m.conversation_id FROM messages m WHERE m.id = x.message_id;
UPDATE message_reports x SET conversation_id = m.conversation_id FROM messages m WHERE m.id = x.message_id;

DROP TABLE messages;
ALTER TABLE messages_partitioned RENAME TO messages;
-- The constraint names the code recognises (isClientIdTaken) and the old index names.
ALTER TABLE messages ADD CONSTRAINT messages_pkey PRIMARY KEY (conversation_id, id);
ALTER TABLE messages ADD CONSTRAINT messages_conversation_id_seq_key UNIQUE (conversation_id, seq);
ALTER TABLE messages ADD CONSTRAINT messages_client_id_key UNIQUE (conversation_id, sender_id, client_id);
CREATE INDEX messages_id_idx ON messages (id);
CREATE INDEX messages_created_idx ON messages (conversation_id, created_at);
CREATE INDEX messages_attachment_idx ON messages (attachment_id) WHERE attachment_id IS NOT NULL;
CREATE INDEX messages_changed_idx ON messages (conversation_id, changed_at) WHERE changed_at IS NOT NULL;
CREATE INDEX messages_body_fts_idx ON messages USING gin (to_tsvector('simple', body)) WHERE deleted_at IS NULL;

ALTER TABLE message_unlocks ALTER COLUMN conversation_id SET NOT NULL;
ALTER TABLE message_reactions ALTER COLUMN conversation_id SET NOT NULL;
ALTER TABLE message_edits ALTER COLUMN conversation_id SET NOT NULL;
ALTER TABLE message_hidden ALTER COLUMN conversation_id SET NOT NULL;
-- Reports of messages already gone had no message left to point at (their FK cascaded): none is null.
ALTER TABLE message_reports ALTER COLUMN conversation_id SET NOT NULL;
ALTER TABLE message_unlocks ADD CONSTRAINT message_unlocks_message_fkey FOREIGN KEY (conversation_id, message_id) REFERENCES messages (conversation_id, id) ON DELETE CASCADE;
ALTER TABLE message_reactions ADD CONSTRAINT message_reactions_message_fkey FOREIGN KEY (conversation_id, message_id) REFERENCES messages (conversation_id, id) ON DELETE CASCADE;
ALTER TABLE message_edits ADD CONSTRAINT message_edits_message_fkey FOREIGN KEY (conversation_id, message_id) REFERENCES messages (conversation_id, id) ON DELETE CASCADE;
ALTER TABLE message_hidden ADD CONSTRAINT message_hidden_message_fkey FOREIGN KEY (conversation_id, message_id) REFERENCES messages (conversation_id, id) ON DELETE CASCADE;
ALTER TABLE message_reports ADD CONSTRAINT message_reports_message_fkey FOREIGN KEY (conversation_id, message_id) REFERENCES messages (conversation_id, id) ON DELETE CASCADE;
