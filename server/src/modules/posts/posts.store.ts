import type { Database, Queryable } from '../../db/database.js';
import type { AccessRow } from './posts.access.js';

/** A post as a viewer's read sees it: the post, the viewer's relation to its creator, their unlock, counts. */
export interface PostRow extends AccessRow {
  id: string;
  body: string;
  comments_enabled: boolean;
  pinned: boolean;
  published_at: Date;
  created_at: Date;
  updated_at: Date;
  likes: number;
  comments: number;
  liked: boolean;
  bookmarked: boolean;
  media_ids: string[];
  /** The creator's page handle (null without a page) and name, through creators' and users' published views. */
  creator_handle: string | null;
  creator_name: string;
}

/** A page's position: (published_at as UTC text with microseconds, id). */
export interface Position {
  at: string;
  id: string;
}

export interface Candidate {
  post_id: string;
  at: string;
  /** Still shown: not deleted, published, and its creator still followed (or subscribed) by the reader. */
  shown: boolean;
}

export interface CommentRow {
  id: string;
  post_id: string;
  author_id: string;
  body: string;
  created_at: Date;
  at: string;
}

export interface NewPost {
  id: string;
  creatorId: string;
  body: string;
  visibility: string;
  minTierRank: number | null;
  price: number | null;
  subscriberPrice: number | null;
  commentsEnabled: boolean;
  publishedAt: Date;
  mediaIds: string[];
}

/** Before every real position: the first page. */
export const START: Position = { at: 'infinity', id: 'ffffffff-ffff-ffff-ffff-ffffffffffff' };

const AT = `to_char(p.published_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * The columns of PostRow for viewer $1, over `posts p`. The audience row is LATERAL so its conditions reach the view's indexes.
 * A post whose creator deleted their account reads as deleted: the account is gone to everyone (#18), and the
 * read rule then keeps it only for its buyers (and admins), exactly as for a post its creator deleted.
 */
const POST_COLUMNS = `
  p.id, p.creator_id, p.body, p.visibility, p.min_tier_rank, p.price, p.subscriber_price, p.comments_enabled,
  (p.pinned_at IS NOT NULL AND p.deleted_at IS NULL) AS pinned, p.published_at, p.published_at <= now() AS published,
  (p.deleted_at IS NOT NULL OR (SELECT u.status FROM user_cards u WHERE u.id = p.creator_id) = 'deleted') AS deleted, p.created_at, p.updated_at,
  coalesce(a.follows, false) AS follows, a.tier_rank, blocked_either_way($1, p.creator_id) AS blocked,
  (SELECT u.price FROM post_unlocks u WHERE u.post_id = p.id AND u.user_id = $1) AS paid,
  coalesce((SELECT s.likes FROM post_stats s WHERE s.post_id = p.id), 0) AS likes,
  coalesce((SELECT s.comments FROM post_stats s WHERE s.post_id = p.id), 0) AS comments,
  EXISTS (SELECT 1 FROM post_likes l WHERE l.post_id = p.id AND l.user_id = $1) AS liked,
  EXISTS (SELECT 1 FROM post_bookmarks b WHERE b.post_id = p.id AND b.user_id = $1) AS bookmarked,
  coalesce((SELECT array_agg(m.media_id ORDER BY m.position) FROM post_media m WHERE m.post_id = p.id), '{}') AS media_ids,
  (SELECT h.handle FROM creator_handles h WHERE h.user_id = p.creator_id) AS creator_handle,
  (SELECT u.display_name FROM user_cards u WHERE u.id = p.creator_id) AS creator_name`;
const AUDIENCE = `LEFT JOIN LATERAL (SELECT a.follows, a.tier_rank FROM creator_audience a WHERE a.creator_id = p.creator_id AND a.user_id = $1) a ON true`;

export class PostsStore {
  constructor(private readonly db: Database) {}

  async insert(tx: Queryable, p: NewPost): Promise<void> {
    await tx.query(
      `INSERT INTO posts (id, creator_id, body, visibility, min_tier_rank, price, subscriber_price, comments_enabled, published_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [p.id, p.creatorId, p.body, p.visibility, p.minTierRank, p.price, p.subscriberPrice, p.commentsEnabled, p.publishedAt],
    );
    if (p.mediaIds.length) {
      await tx.query(
        `INSERT INTO post_media (post_id, position, media_id) SELECT $1, m.ord - 1, m.id FROM unnest($2::uuid[]) WITH ORDINALITY AS m(id, ord)`,
        [p.id, p.mediaIds],
      );
    }
  }

  /** The posts by id as viewer $1 sees them (access not decided here), in no particular order. */
  async rows(viewerId: string, ids: string[], q: Queryable = this.db): Promise<PostRow[]> {
    if (ids.length === 0) return [];
    const { rows } = await q.query<PostRow>(`SELECT ${POST_COLUMNS} FROM posts p ${AUDIENCE} WHERE p.id = ANY($2::uuid[])`, [viewerId, ids]);
    return rows;
  }

  /** The posts carrying a media item, as viewer $1 sees them: the media module's read rule decides on these. */
  async rowsWithMedia(viewerId: string, mediaId: string): Promise<PostRow[]> {
    const { rows } = await this.db.query<PostRow>(
      `SELECT ${POST_COLUMNS} FROM post_media pm JOIN posts p ON p.id = pm.post_id ${AUDIENCE} WHERE pm.media_id = $2`,
      [viewerId, mediaId],
    );
    return rows;
  }

  /** The post locked for an edit, delete or pin by its creator: undefined when it is not theirs. */
  async lockOwn(tx: Queryable, postId: string, creatorId: string): Promise<{ visibility: string; deleted: boolean; unlocks: number } | undefined> {
    const { rows } = await tx.query<{ visibility: string; deleted: boolean; unlocks: number }>(
      `SELECT p.visibility, p.deleted_at IS NOT NULL AS deleted,
              (SELECT count(*)::int FROM post_unlocks u WHERE u.post_id = p.id) AS unlocks
       FROM posts p WHERE p.id = $1 AND p.creator_id = $2 FOR UPDATE OF p`,
      [postId, creatorId],
    );
    return rows[0];
  }

  async update(tx: Queryable, postId: string, c: { body?: string; commentsEnabled?: boolean; visibility?: { kind: string; minTierRank: number | null; price: number | null; subscriberPrice: number | null } }): Promise<void> {
    await tx.query(
      `UPDATE posts SET body = coalesce($2, body), comments_enabled = coalesce($3, comments_enabled),
         visibility = CASE WHEN $4::boolean THEN $5 ELSE visibility END,
         min_tier_rank = CASE WHEN $4::boolean THEN $6::smallint ELSE min_tier_rank END,
         price = CASE WHEN $4::boolean THEN $7::integer ELSE price END,
         subscriber_price = CASE WHEN $4::boolean THEN $8::integer ELSE subscriber_price END,
         updated_at = now()
       WHERE id = $1`,
      [postId, c.body ?? null, c.commentsEnabled ?? null, c.visibility !== undefined, c.visibility?.kind ?? null, c.visibility?.minTierRank ?? null, c.visibility?.price ?? null, c.visibility?.subscriberPrice ?? null],
    );
  }

  async softDelete(tx: Queryable, postId: string): Promise<void> {
    await tx.query(`UPDATE posts SET deleted_at = now(), pinned_at = NULL, updated_at = now() WHERE id = $1 AND deleted_at IS NULL`, [postId]);
  }

  /** Serialises a creator's pins (the count then the pin), so two at once cannot pass the limit together. */
  async lockPins(tx: Queryable, creatorId: string): Promise<number> {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('posts.pins:' || $1))`, [creatorId]);
    const { rows } = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM posts p WHERE p.creator_id = $1 AND p.pinned_at IS NOT NULL AND p.deleted_at IS NULL`, [creatorId]);
    return rows[0]!.n;
  }

  async setPinned(tx: Queryable, postId: string, pinned: boolean): Promise<boolean> {
    const { rowCount } = await tx.query(
      pinned ? `UPDATE posts SET pinned_at = now() WHERE id = $1 AND pinned_at IS NULL` : `UPDATE posts SET pinned_at = NULL WHERE id = $1 AND pinned_at IS NOT NULL`,
      [postId],
    );
    return rowCount > 0;
  }

  /** What an unlock decides on, read with the post held against a concurrent edit of its price (FOR SHARE). */
  async lockForUnlock(tx: Queryable, viewerId: string, postId: string): Promise<PostRow | undefined> {
    const { rows } = await tx.query<PostRow>(`SELECT ${POST_COLUMNS} FROM posts p ${AUDIENCE} WHERE p.id = $2 FOR SHARE OF p`, [viewerId, postId]);
    return rows[0];
  }

  /** Records an unlock; false when a twin of this unlock committed first (it is then a replay). */
  async recordUnlock(tx: Queryable, postId: string, userId: string, price: number): Promise<boolean> {
    const { rowCount } = await tx.query(`INSERT INTO post_unlocks (post_id, user_id, price) VALUES ($1, $2, $3) ON CONFLICT (post_id, user_id) DO NOTHING`, [postId, userId, price]);
    return rowCount > 0;
  }

  async setLike(postId: string, userId: string, on: boolean): Promise<void> {
    await this.db.query(
      on ? `INSERT INTO post_likes (post_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING` : `DELETE FROM post_likes WHERE post_id = $1 AND user_id = $2`,
      [postId, userId],
    );
  }

  async setBookmark(postId: string, userId: string, on: boolean): Promise<void> {
    await this.db.query(
      on ? `INSERT INTO post_bookmarks (user_id, post_id) VALUES ($2, $1) ON CONFLICT DO NOTHING` : `DELETE FROM post_bookmarks WHERE post_id = $1 AND user_id = $2`,
      [postId, userId],
    );
  }

  /**
   * Published posts whose text matches (full text, stemmed; migration 0038), best match first with likes as a
   * small tie-breaker, among those viewer $1 may well read in full: free ones, their own, their creators'
   * for followers and subscribers, and those they bought. The access rule decides on each afterwards; this
   * only keeps the page from filling with posts it would drop. A deleted creator's posts are not searched.
   */
  async search(viewerId: string, text: string, offset: number, limit: number): Promise<string[]> {
    const { rows } = await this.db.reader(viewerId).query<{ id: string }>(
      `WITH q AS (SELECT websearch_to_tsquery('english', $2) AS words)
       SELECT p.id
       FROM posts p
       CROSS JOIN q
       JOIN user_cards c ON c.id = p.creator_id AND c.status = 'active'
       ${AUDIENCE}
       WHERE p.search @@ q.words AND p.deleted_at IS NULL AND p.published_at <= now()
         AND (p.visibility = 'free' OR p.creator_id = $1 OR a.follows OR a.tier_rank IS NOT NULL
              OR EXISTS (SELECT 1 FROM post_unlocks u WHERE u.post_id = p.id AND u.user_id = $1))
       ORDER BY ts_rank(p.search, q.words) + ln(1 + coalesce((SELECT s.likes FROM post_stats s WHERE s.post_id = p.id), 0)) / 20 DESC,
                p.published_at DESC, p.id DESC
       OFFSET $3 LIMIT $4`,
      [viewerId, text, offset, limit],
    );
    return rows.map((r) => r.id);
  }

  /** A user's bookmarks, newest first, before a position (created_at of the bookmark, post id). */
  async bookmarks(userId: string, before: Position, limit: number): Promise<{ post_id: string; at: string }[]> {
    const { rows } = await this.db.query<{ post_id: string; at: string }>(
      `SELECT b.post_id, to_char(b.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at
       FROM post_bookmarks b WHERE b.user_id = $1 AND (b.created_at, b.post_id) < ($2::timestamptz, $3::uuid)
       ORDER BY b.created_at DESC, b.post_id DESC LIMIT $4`,
      [userId, before.at, before.id, limit],
    );
    return rows;
  }

  async addComment(c: { id: string; postId: string; authorId: string; body: string }): Promise<CommentRow> {
    const { rows } = await this.db.query<CommentRow>(
      `INSERT INTO post_comments (id, post_id, author_id, body) VALUES ($1, $2, $3, $4)
       RETURNING id, post_id, author_id, body, created_at, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at`,
      [c.id, c.postId, c.authorId, c.body],
    );
    return rows[0]!;
  }

  async comments(postId: string, before: Position, limit: number): Promise<CommentRow[]> {
    const { rows } = await this.db.query<CommentRow>(
      `SELECT c.id, c.post_id, c.author_id, c.body, c.created_at, to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at
       FROM post_comments c WHERE c.post_id = $1 AND (c.created_at, c.id) < ($2::timestamptz, $3::uuid)
       ORDER BY c.created_at DESC, c.id DESC LIMIT $4`,
      [postId, before.at, before.id, limit],
    );
    return rows;
  }

  /** Deletes a comment of this post by its author, or any of its comments when `anyOnPost` (its creator, an admin). */
  async deleteComment(postId: string, commentId: string, userId: string, anyOnPost: boolean): Promise<boolean> {
    const { rowCount } = await this.db.query(`DELETE FROM post_comments WHERE id = $1 AND post_id = $2 AND ($4 OR author_id = $3)`, [commentId, postId, userId, anyOnPost]);
    return rowCount > 0;
  }

  /**
   * A page of a reader's feed: the rows fan-out wrote for them, with the recent posts of the big creators they
   * follow merged in, newest first strictly before `before`. Candidates are cut at `limit` before the checks,
   * so the page's position moves on even when some are no longer shown (deleted, unfollowed since).
   */
  async feedPage(userId: string, before: Position, limit: number): Promise<Candidate[]> {
    const { rows } = await this.db.reader(userId).query<Candidate>(
      `WITH followed AS (
         SELECT a.creator_id FROM creator_audience a WHERE a.user_id = $1
       ), candidates AS (
         (SELECT f.published_at, f.post_id FROM feed_items f
          WHERE f.user_id = $1 AND (f.published_at, f.post_id) < ($2::timestamptz, $3::uuid)
          ORDER BY f.published_at DESC, f.post_id DESC LIMIT $4)
         UNION
         (SELECT bp.published_at, bp.id
          FROM followed fo JOIN feed_big_creators b ON b.creator_id = fo.creator_id
          CROSS JOIN LATERAL (
            SELECT p.published_at, p.id FROM posts p
            WHERE p.creator_id = fo.creator_id AND p.deleted_at IS NULL AND p.published_at <= now()
              AND (p.published_at, p.id) < ($2::timestamptz, $3::uuid)
            ORDER BY p.published_at DESC, p.id DESC LIMIT $4) bp)
       ), page AS (
         SELECT c.published_at, c.post_id FROM candidates c ORDER BY c.published_at DESC, c.post_id DESC LIMIT $4
       )
       SELECT x.post_id, to_char(x.published_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at,
              coalesce(p.deleted_at IS NULL AND p.published_at <= now() AND p.creator_id IN (SELECT fo.creator_id FROM followed fo), false) AS shown
       FROM page x LEFT JOIN posts p ON p.id = x.post_id
       ORDER BY x.published_at DESC, x.post_id DESC`,
      [userId, before.at, before.id, limit],
    );
    return rows;
  }

  /** One creator's posts, newest first, pinned ones left out (page 1 shows them first); unpublished only for `all`. */
  async creatorPage(creatorId: string, before: Position, limit: number, all: boolean): Promise<{ post_id: string; at: string }[]> {
    const { rows } = await this.db.query<{ post_id: string; at: string }>(
      `SELECT p.id AS post_id, ${AT} AS at FROM posts p
       WHERE p.creator_id = $1 AND p.deleted_at IS NULL AND p.pinned_at IS NULL AND ($5 OR p.published_at <= now())
         AND (p.published_at, p.id) < ($2::timestamptz, $3::uuid)
       ORDER BY p.published_at DESC, p.id DESC LIMIT $4`,
      [creatorId, before.at, before.id, limit, all],
    );
    return rows;
  }

  async pinned(creatorId: string, all: boolean): Promise<string[]> {
    const { rows } = await this.db.query<{ id: string }>(
      `SELECT p.id FROM posts p WHERE p.creator_id = $1 AND p.pinned_at IS NOT NULL AND p.deleted_at IS NULL AND ($2 OR p.published_at <= now())
       ORDER BY p.pinned_at DESC`,
      [creatorId, all],
    );
    return rows.map((r) => r.id);
  }

  // ---- fan-out ----

  /** The post as fan-out needs it; undefined if it does not exist. */
  async fanoutState(postId: string): Promise<{ creator_id: string; published_at: Date; due: boolean; deleted: boolean; after: string | null; done: boolean } | undefined> {
    const { rows } = await this.db.query<{ creator_id: string; published_at: Date; due: boolean; deleted: boolean; after: string | null; done: boolean }>(
      `SELECT creator_id, published_at, published_at <= now() AS due, deleted_at IS NOT NULL AS deleted, fanout_after AS after, fanout_done_at IS NOT NULL AS done
       FROM posts WHERE id = $1`,
      [postId],
    );
    return rows[0];
  }

  async isBig(creatorId: string): Promise<boolean> {
    const { rows } = await this.db.query(`SELECT 1 FROM feed_big_creators WHERE creator_id = $1`, [creatorId]);
    return rows.length > 0;
  }

  /** The creator's audience, counted no further than `cap` (so a million followers cost no more than cap rows). */
  async audienceUpTo(creatorId: string, cap: number): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM (SELECT 1 FROM creator_audience a WHERE a.creator_id = $1 LIMIT $2) x`, [creatorId, cap]);
    return rows[0]!.n;
  }

  async markBig(creatorId: string, audience: number): Promise<void> {
    await this.db.query(`INSERT INTO feed_big_creators (creator_id, audience) VALUES ($1, $2) ON CONFLICT (creator_id) DO UPDATE SET audience = EXCLUDED.audience`, [creatorId, audience]);
  }

  /**
   * One batch of fan-out, in one short transaction: the next `batch` users of the audience after `after` (by
   * user_id) get the post's row, and the post remembers where it got to (a retry resumes there).
   */
  async fanoutBatch(post: { id: string; creator_id: string; published_at: Date }, after: string | null, batch: number): Promise<{ n: number; last: string | null; users: string[] }> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ n: number; last: string | null; users: string[] | null }>(
        `WITH page AS (
           SELECT a.user_id FROM creator_audience_after($1, $2::uuid, $3) a
         ), written AS (
           INSERT INTO feed_items (user_id, published_at, post_id) SELECT pg.user_id, $4, $5 FROM page pg ON CONFLICT DO NOTHING
         )
         SELECT (SELECT count(*)::int FROM page) AS n, (SELECT pg.user_id FROM page pg ORDER BY pg.user_id DESC LIMIT 1) AS last,
           (SELECT array_agg(pg.user_id) FROM page pg) AS users`,
        [post.creator_id, after ?? '00000000-0000-0000-0000-000000000000', batch, post.published_at, post.id],
      );
      const r = rows[0]!;
      await tx.query(`UPDATE posts SET fanout_after = coalesce($2, fanout_after), fanout_done_at = CASE WHEN $3 THEN now() END WHERE id = $1`, [post.id, r.last, r.n < batch]);
      return { n: r.n, last: r.last, users: r.users ?? [] };
    });
  }

  /**
   * A big creator's post (no fan-out): the next `batch` of the creator's subscribers after `after` to tell of
   * it (creators' creator_subscribers_after).
   */
  async subscribersAfter(creatorId: string, after: string | null, batch: number): Promise<string[]> {
    const { rows } = await this.db.query<{ user_id: string }>(`SELECT user_id FROM creator_subscribers_after($1, $2::uuid, $3)`, [
      creatorId,
      after ?? '00000000-0000-0000-0000-000000000000',
      batch,
    ]);
    return rows.map((r) => r.user_id);
  }

  /** How far a big creator's post has told their subscribers (a retry resumes there); `done` ends it. */
  async noticeProgress(postId: string, last: string | null, done: boolean): Promise<void> {
    await this.db.query(`UPDATE posts SET fanout_after = coalesce($2, fanout_after), fanout_done_at = CASE WHEN $3 THEN now() END WHERE id = $1`, [postId, last, done]);
  }

  async fanoutDone(postId: string): Promise<void> {
    await this.db.query(`UPDATE posts SET fanout_done_at = now() WHERE id = $1 AND fanout_done_at IS NULL`, [postId]);
  }

  /** Published posts whose fan-out has not finished a while after they were due: their job was lost. */
  async stalledFanouts(olderThanSeconds: number, limit: number): Promise<string[]> {
    const { rows } = await this.db.query<{ id: string }>(
      `SELECT id FROM posts WHERE fanout_done_at IS NULL AND published_at <= now() - make_interval(secs => $1) ORDER BY published_at LIMIT $2`,
      [olderThanSeconds, limit],
    );
    return rows.map((r) => r.id);
  }

  /** A new follower's feed gets the creator's latest posts (small creators; big ones are merged on read anyway). */
  async backfill(userId: string, creatorId: string, count: number): Promise<number> {
    const { rowCount } = await this.db.query(
      `INSERT INTO feed_items (user_id, published_at, post_id)
       SELECT $1, p.published_at, p.id FROM posts p
       WHERE p.creator_id = $2 AND p.deleted_at IS NULL AND p.published_at <= now()
       ORDER BY p.published_at DESC, p.id DESC LIMIT $3
       ON CONFLICT DO NOTHING`,
      [userId, creatorId, count],
    );
    return rowCount;
  }
}
