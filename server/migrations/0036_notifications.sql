-- Notifications (#14): stored in-app notifications, per-user preferences per kind and channel, and
-- the browsers' web push subscriptions.

-- One row per notification. Events of one kind about one subject (a conversation, a creator) collapse
-- into the row that is still `open` (unread, and first seen within the collapse window): count goes up,
-- payload and updated_at follow the last event. The partial unique index holds one open row per key,
-- so two nodes notifying at once collapse too instead of racing to two rows.
CREATE TABLE notifications (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind       text NOT NULL,
  subject    text NOT NULL,
  count      integer NOT NULL DEFAULT 1 CHECK (count > 0),
  payload    jsonb NOT NULL DEFAULT '{}',
  open       boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  read_at    timestamptz,
  -- Set once a mail (the digest, or at once for security events) carried it.
  emailed_at timestamptz
);
CREATE UNIQUE INDEX notifications_open_key ON notifications (user_id, kind, subject) WHERE open;
CREATE INDEX notifications_user_idx ON notifications (user_id, updated_at DESC, id DESC);
CREATE INDEX notifications_unread_idx ON notifications (user_id) WHERE read_at IS NULL;
-- The digest's scan: unread and not mailed yet.
CREATE INDEX notifications_digest_idx ON notifications (updated_at) WHERE read_at IS NULL AND emailed_at IS NULL;

-- Only what differs from the defaults (shared/notifications.ts defaultPreference) is stored.
CREATE TABLE notification_preferences (
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind    text NOT NULL,
  channel text NOT NULL CHECK (channel IN ('in_app', 'email', 'push')),
  enabled boolean NOT NULL,
  PRIMARY KEY (user_id, kind, channel)
);

-- A browser's push subscription (its endpoint at the push service, and the keys to encrypt for).
CREATE TABLE push_subscriptions (
  endpoint   text PRIMARY KEY,
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  p256dh     text NOT NULL,
  auth       text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX push_subscriptions_user_idx ON push_subscriptions (user_id);
