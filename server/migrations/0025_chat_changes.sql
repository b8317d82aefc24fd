-- Chat changes after sending: reactions, replies, edits, deletes (issue #20).
--
-- Every change to a message (a reaction added or removed, an edit, a delete
-- for everyone) takes the next number of its conversation's change sequence
-- (conversations.change_seq) under the conversation's row lock, and stores it
-- on the message (messages.change_seq, 0 for a message never changed), so a
-- client keeps, per message, the view with the highest change_seq and applies
-- changes in order and idempotently. New messages need nothing from their
-- insert path: every new column is nullable or has a default.

ALTER TABLE conversations ADD COLUMN change_seq bigint NOT NULL DEFAULT 0;

-- A reply quotes a message of the same conversation: its id, its sender and
-- a short excerpt copied at send time (kept if the quoted message is deleted).
ALTER TABLE messages ADD COLUMN reply_to uuid;
ALTER TABLE messages ADD COLUMN reply_sender_id uuid;
ALTER TABLE messages ADD COLUMN reply_excerpt text CHECK (length(reply_excerpt) <= 200);
ALTER TABLE messages ADD COLUMN edited_at timestamptz;
-- Deleted for everyone: the body (and its earlier versions) removed, the row kept as a tombstone with its seq.
ALTER TABLE messages ADD COLUMN deleted_at timestamptz;
ALTER TABLE messages ADD COLUMN change_seq bigint NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN changed_at timestamptz;
-- The reactions as the views show them ([{ emoji, userIds }], in the order first used), rewritten from
-- message_reactions in the transaction that changes them, so every read of a message carries them.
ALTER TABLE messages ADD COLUMN reactions jsonb NOT NULL DEFAULT '[]'::jsonb;

-- A tombstone has no body and no attachment; what the sender was paid stays recorded.
ALTER TABLE messages DROP CONSTRAINT messages_body_check;
ALTER TABLE messages ADD CONSTRAINT messages_body_check CHECK (length(body) <= 4000 AND (length(body) >= 1 OR attachment_id IS NOT NULL OR deleted_at IS NOT NULL));
ALTER TABLE messages DROP CONSTRAINT messages_price_needs_attachment;
ALTER TABLE messages ADD CONSTRAINT messages_price_needs_attachment CHECK (attachment_id IS NOT NULL OR attachment_price = 0 OR deleted_at IS NOT NULL);

-- What a device that was offline asks for: the messages of its conversations changed since a moment.
CREATE INDEX messages_changed_idx ON messages (conversation_id, changed_at) WHERE changed_at IS NOT NULL;
-- Search within one's conversations (PostgreSQL full text, no stemming: users write in many languages).
CREATE INDEX messages_body_fts_idx ON messages USING gin (to_tsvector('simple', body)) WHERE deleted_at IS NULL;

CREATE TABLE message_reactions (
  message_id uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  emoji      text NOT NULL CHECK (length(emoji) BETWEEN 1 AND 16),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (message_id, user_id, emoji)
);

-- Earlier versions of an edited message, for moderation and reports (removed with a delete for everyone).
CREATE TABLE message_edits (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  message_id uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  -- The body as it was before this edit.
  body       text NOT NULL,
  edited_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX message_edits_message_idx ON message_edits (message_id, id);

-- Delete for me: hidden from this user's history and sync only.
CREATE TABLE message_hidden (
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  message_id uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  hidden_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, message_id)
);
CREATE INDEX message_hidden_at_idx ON message_hidden (user_id, hidden_at);

-- A message report keeps the message's earlier versions too (what it said before an edit), as it keeps its body.
ALTER TABLE message_reports ADD COLUMN edits jsonb NOT NULL DEFAULT '[]'::jsonb;
