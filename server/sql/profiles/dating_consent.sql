-- What chat and calls read of dating consent inside their own statements: who may start a
-- conversation with a user (`matches` or `everyone`; no row: matches), and the pairs that matched
-- (each pair once, lower id first, with the conversation the match opened). Plain views: expanded
-- into the calling query, so a look-up by user or by pair keeps its index plan.
-- CREATE OR REPLACE VIEW only adds columns at the end; to drop, rename or retype one, a migration
-- runs DROP VIEW IF EXISTS first and this file creates the view again.
CREATE OR REPLACE VIEW dating_consent AS
  SELECT user_id, who_can_message
  FROM profiles;

CREATE OR REPLACE VIEW mutual_likes AS
  SELECT user_low, user_high, conversation_id, created_at
  FROM matches;
