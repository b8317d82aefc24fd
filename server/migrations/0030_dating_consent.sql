-- Dating with consent: a non-creator is messaged or called only by their matches unless they allow
-- everyone (creators keep their own message policy in creator settings). A user without a profile
-- row has the default: matches only.
ALTER TABLE profiles ADD COLUMN who_can_message text NOT NULL DEFAULT 'matches'
  CHECK (who_can_message IN ('matches', 'everyone'));

-- A user's matches, newest first: the primary key serves the lower id of each pair; this the higher.
CREATE INDEX matches_user_high_idx ON matches (user_high, created_at);
CREATE INDEX matches_user_low_idx ON matches (user_low, created_at);
