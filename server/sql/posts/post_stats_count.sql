-- Moves post_stats with each like or comment written or removed (triggers post_likes_count and
-- post_comments_count). A removal whose post is going too (a cascade) finds no stats row and changes nothing.
CREATE OR REPLACE FUNCTION post_stats_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO post_stats AS s (post_id, likes, comments)
    VALUES (NEW.post_id, (TG_TABLE_NAME = 'post_likes')::int, (TG_TABLE_NAME = 'post_comments')::int)
    ON CONFLICT (post_id) DO UPDATE
      SET likes = s.likes + (TG_TABLE_NAME = 'post_likes')::int, comments = s.comments + (TG_TABLE_NAME = 'post_comments')::int;
  ELSE
    UPDATE post_stats
      SET likes = likes - (TG_TABLE_NAME = 'post_likes')::int, comments = comments - (TG_TABLE_NAME = 'post_comments')::int
      WHERE post_id = OLD.post_id;
  END IF;
  RETURN NULL;
END $$;
