-- The conversations a mutual like opened (profiles records each match with the conversation chat
-- opened for it): chat's presence audience counts such a conversation as engaged. A plain view,
-- expanded into the calling query, so chat's EXISTS keeps its plan (one hashed pass over matches).
-- A predicate function would not do: PostgreSQL never inlines a scalar SQL function whose body has
-- a subquery, so it would run once per conversation, each a scan of matches.
-- CREATE OR REPLACE VIEW only adds columns at the end; to drop, rename or retype one, a migration
-- runs DROP VIEW IF EXISTS mutual_like_conversations first and this file creates the view again.
CREATE OR REPLACE VIEW mutual_like_conversations AS
  SELECT conversation_id
  FROM matches;
