-- One-to-one conversations, messages with per-conversation sequence numbers,
-- delivered/read pointers per member, blocks and message reports.

ALTER TABLE users ADD COLUMN message_price integer NOT NULL DEFAULT 0 CHECK (message_price BETWEEN 0 AND 100000);
ALTER TABLE users ADD COLUMN last_seen_at timestamptz;

CREATE TABLE conversations (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- The pair, in a fixed order so one pair has one direct conversation.
  user_low        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  user_high       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind            text NOT NULL DEFAULT 'direct' CHECK (kind IN ('direct', 'match')),
  last_seq        bigint NOT NULL DEFAULT 0,
  last_message_at timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  CHECK (user_low < user_high)
);
CREATE UNIQUE INDEX conversations_direct_pair_key ON conversations (user_low, user_high) WHERE kind = 'direct';

CREATE TABLE conversation_members (
  conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  peer_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  delivered_seq   bigint NOT NULL DEFAULT 0,
  read_seq        bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (conversation_id, user_id),
  CHECK (read_seq <= delivered_seq)
);
CREATE INDEX conversation_members_user_idx ON conversation_members (user_id);
CREATE INDEX conversation_members_peer_idx ON conversation_members (peer_id);

CREATE TABLE messages (
  id              uuid PRIMARY KEY,
  conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  seq             bigint NOT NULL,
  sender_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  client_id       uuid NOT NULL,
  body            text NOT NULL CHECK (length(body) BETWEEN 1 AND 4000),
  price           integer NOT NULL DEFAULT 0 CHECK (price >= 0),
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (conversation_id, seq),
  UNIQUE (sender_id, client_id)
);
CREATE INDEX messages_created_idx ON messages (conversation_id, created_at);

CREATE TABLE blocks (
  blocker_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  blocked_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (blocker_id, blocked_id),
  CHECK (blocker_id <> blocked_id)
);
CREATE INDEX blocks_blocked_idx ON blocks (blocked_id);

CREATE TABLE message_reports (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  message_id  uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  reporter_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  reason      text NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
  -- A copy of what was said, kept for moderation whatever happens to the message.
  body        text NOT NULL,
  sender_id   uuid NOT NULL,
  status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'actioned', 'dismissed')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (message_id, reporter_id)
);
