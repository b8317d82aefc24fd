-- Likes and comments counted as they happen rather than by count(*) on every read: a post liked 100,000 times
-- would otherwise cost a 100,000-entry index scan for each reader of each feed page. In a table of their own,
-- not columns of posts, so that a like does not wait on an unlock holding the post FOR SHARE, nor on an edit.
-- Kept by a trigger on post_likes and post_comments, so every way a row goes (a user's account deleted,
-- cascading) moves the count too.
CREATE TABLE post_stats (
  post_id  uuid PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,
  likes    integer NOT NULL DEFAULT 0 CHECK (likes >= 0),
  comments integer NOT NULL DEFAULT 0 CHECK (comments >= 0)
);
INSERT INTO post_stats (post_id, likes, comments)
SELECT p.id,
       (SELECT count(*) FROM post_likes l WHERE l.post_id = p.id),
       (SELECT count(*) FROM post_comments c WHERE c.post_id = p.id)
FROM posts p;

-- First version; server/sql/posts/post_stats_count.sql holds the current body.
CREATE FUNCTION post_stats_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RETURN NULL;
END $$;
CREATE TRIGGER post_likes_count AFTER INSERT OR DELETE ON post_likes FOR EACH ROW EXECUTE FUNCTION post_stats_count();
CREATE TRIGGER post_comments_count AFTER INSERT OR DELETE ON post_comments FOR EACH ROW EXECUTE FUNCTION post_stats_count();
