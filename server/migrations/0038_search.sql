-- Text search over creators and posts (issue #14): PostgreSQL full text for words (stemmed, ranked) and
-- pg_trgm for typos and prefixes. The documents are generated columns, so every write keeps them current
-- with no trigger and no job; the indexes are GIN.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- A creator's page as a document: the handle and tags count most (what people type), then the bio.
-- array_to_tsvector keeps tags as they are (no stemming: they are already words people pick from a list).
ALTER TABLE creator_pages ADD COLUMN search tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('simple', replace(handle, '_', ' ')), 'A') ||
  setweight(array_to_tsvector(tags), 'B') ||
  setweight(to_tsvector('english', bio), 'C')
) STORED;
CREATE INDEX creator_pages_search_idx ON creator_pages USING gin (search);
-- Typos and prefixes of handles ("jane_d" → jane_doe, "jnae" → jane).
CREATE INDEX creator_pages_handle_trgm_idx ON creator_pages USING gin (handle gin_trgm_ops);
-- Typos and words of creators' display names (read through users' user_cards view).
CREATE INDEX users_creator_name_trgm_idx ON users USING gin (lower(display_name) gin_trgm_ops) WHERE role = 'creator';

-- A post's text. Only posts a searcher may read in full are ever returned (the posts module's access rule),
-- so the text of a locked post never shows through a match.
ALTER TABLE posts ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('english', body)) STORED;
CREATE INDEX posts_search_idx ON posts USING gin (search) WHERE deleted_at IS NULL;
