-- Mass messages (module `mass-messages`): a creator's one message to a part of their audience, delivered
-- batch by batch as an ordinary message in each fan's direct conversation with the creator (chat's
-- tables, written through chat's store). `after` is how far the audience's user-id order has been walked;
-- mass_message_recipients holds one row per fan reached, written in the same transaction as the fan's
-- message, so a batch that runs twice (a retried job, a killed worker) reaches nobody twice.

CREATE TABLE mass_messages (
  id           uuid PRIMARY KEY,
  creator_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- The client's id: a retried create answers the row already there.
  client_id    uuid NOT NULL,
  -- { kind: subscribers | tier | followers | expired | tippers, minTierRank? }
  audience     jsonb NOT NULL,
  exclude      uuid[] NOT NULL DEFAULT '{}' CHECK (cardinality(exclude) <= 1000),
  body         text NOT NULL CHECK (length(body) <= 4000),
  media_id     uuid REFERENCES media (id),
  price        integer NOT NULL DEFAULT 0 CHECK (price >= 0),
  status       text NOT NULL CHECK (status IN ('scheduled', 'sending', 'done', 'cancelled')),
  send_at      timestamptz NOT NULL,
  -- The audience's size when sending started (when created, before that).
  total        integer NOT NULL DEFAULT 0 CHECK (total >= 0),
  sent         integer NOT NULL DEFAULT 0 CHECK (sent >= 0),
  after        uuid NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000',
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz,
  -- The last stats read for a big one ({ sent, read, unlocked, revenue }, computed from chat's copies and the
  -- ledger's transfers, never counted here) and when: the list shows it for up to a minute.
  stats        jsonb,
  stats_at     timestamptz,
  UNIQUE (creator_id, client_id),
  CHECK (price = 0 OR media_id IS NOT NULL),
  CHECK (length(body) >= 1 OR media_id IS NOT NULL)
);
CREATE INDEX mass_messages_creator_idx ON mass_messages (creator_id, created_at DESC);
-- The sweep's look-up: what should be going out.
CREATE INDEX mass_messages_open_idx ON mass_messages (updated_at) WHERE status IN ('scheduled', 'sending');

CREATE TABLE mass_message_recipients (
  mass_message_id uuid NOT NULL REFERENCES mass_messages (id) ON DELETE CASCADE,
  recipient_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- The fan's copy (chat's messages.id).
  message_id      uuid NOT NULL,
  PRIMARY KEY (mass_message_id, recipient_id)
);
