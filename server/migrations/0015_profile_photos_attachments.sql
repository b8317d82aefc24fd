-- Profile photos: up to six per user, in the owner's order (position 0 is
-- the primary photo); the media rows (owned by the media module) hold the
-- files and their state. A creator's avatar and cover, when set, stand for
-- the creator on their page; without an avatar the first ready photo does.
CREATE TABLE profile_photos (
  user_id  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  position smallint NOT NULL CHECK (position BETWEEN 0 AND 5),
  media_id uuid NOT NULL REFERENCES media (id),
  PRIMARY KEY (user_id, position),
  UNIQUE (user_id, media_id)
);
ALTER TABLE profiles ADD COLUMN avatar_media_id uuid REFERENCES media (id);
ALTER TABLE profiles ADD COLUMN cover_media_id uuid REFERENCES media (id);

-- A message may carry one attachment (an image or a video, a ready media item
-- of the sender's). attachment_price > 0 makes it pay-to-view: the recipient
-- sees the blurred preview until they unlock it at that price, which an edit
-- never changes (the price is part of what the sender sent).
ALTER TABLE messages ADD COLUMN attachment_id uuid REFERENCES media (id);
ALTER TABLE messages ADD COLUMN attachment_price integer NOT NULL DEFAULT 0 CHECK (attachment_price >= 0);
ALTER TABLE messages ADD CONSTRAINT messages_price_needs_attachment CHECK (attachment_id IS NOT NULL OR attachment_price = 0);
-- A message with an attachment may have no text (a photo without a caption).
ALTER TABLE messages DROP CONSTRAINT messages_body_check;
ALTER TABLE messages ADD CONSTRAINT messages_body_check CHECK (length(body) <= 4000 AND (length(body) >= 1 OR attachment_id IS NOT NULL));
-- Who may read a media item as an attachment: the members of the conversations of the messages carrying it.
CREATE INDEX messages_attachment_idx ON messages (attachment_id) WHERE attachment_id IS NOT NULL;

-- Who paid to see a pay-to-view attachment, and what they paid (the ledger
-- transfer `unlock:<message>:<user>` moved the credits in the same transaction).
CREATE TABLE message_unlocks (
  message_id uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  price      integer NOT NULL CHECK (price >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (message_id, user_id)
);
