import type { Queryable } from '../../db/database.js';

/**
 * The seed's SQL: bulk inserts of synthetic rows, one statement per batch (unnest of column arrays), every
 * one ON CONFLICT DO NOTHING so that a re-run skips what is there. A command-line tool, not a module: it
 * writes every module's tables directly, as a migration would, and never the ledger's nor subscriptions (money
 * moves only through LedgerService: subscriptions.ts).
 */
export interface UserRows {
  ids: string[];
  emails: string[];
  names: string[];
  birthdates: string[];
  /** Sign-up times spread over the past: rows of one statement would otherwise all share now(), and orders by creation tie. */
  createdAt: string[];
  role: 'fan' | 'creator';
}

export interface ProfileRows {
  userIds: string[];
  bios: string[];
  genders: string[];
  /** Comma-joined: unnest cannot take a ragged array of arrays. */
  interests: string[];
  languages: string[];
  lats: number[];
  lngs: number[];
  seeks: string[];
}

export interface PageRows {
  userIds: string[];
  handles: string[];
  bios: string[];
  /** Comma-joined tags. */
  tags: string[];
  createdAt: string[];
}

export interface TierRows {
  ids: string[];
  creatorIds: string[];
  ranks: number[];
  names: string[];
  descriptions: string[];
  prices: number[];
}

export interface PostRows {
  ids: string[];
  creatorIds: string[];
  bodies: string[];
  visibilities: string[];
  minTierRanks: Array<number | null>;
  prices: Array<number | null>;
  publishedAt: string[];
}

export interface ConversationRows {
  ids: string[];
  lows: string[];
  highs: string[];
  lastSeqs: number[];
  lastAt: string[];
}

export interface MessageRows {
  ids: string[];
  conversationIds: string[];
  seqs: number[];
  senderIds: string[];
  clientIds: string[];
  bodies: string[];
  createdAt: string[];
}

export class SeedStore {
  constructor(private readonly db: Queryable) {}

  async insertUsers(r: UserRows, passwordHash: string): Promise<number> {
    const res = await this.db.query(
      `INSERT INTO users (id, email, password_hash, display_name, birthdate, role, email_verified_at, created_at, updated_at)
       SELECT u.id, u.email, $5, u.name, u.birthdate, $6, u.created_at, u.created_at, u.created_at
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::date[], $7::timestamptz[]) AS u(id, email, name, birthdate, created_at)
       ON CONFLICT DO NOTHING`,
      [r.ids, r.emails, r.names, r.birthdates, passwordHash, r.role, r.createdAt],
    );
    return res.rowCount;
  }

  async insertProfiles(r: ProfileRows): Promise<number> {
    const res = await this.db.query(
      `INSERT INTO profiles (user_id, bio, gender, interests, languages, lat, lng, seeks_genders, who_can_message)
       SELECT p.id, p.bio, p.gender, string_to_array(p.interests, ','), string_to_array(p.languages, ','), p.lat, p.lng,
              string_to_array(p.seeks, ','), 'everyone'
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::float8[], $8::text[])
         AS p(id, bio, gender, interests, languages, lat, lng, seeks)
       ON CONFLICT DO NOTHING`,
      [r.userIds, r.bios, r.genders, r.interests, r.languages, r.lats, r.lngs, r.seeks],
    );
    return res.rowCount;
  }

  async insertPages(r: PageRows): Promise<number> {
    const res = await this.db.query(
      `INSERT INTO creator_pages (user_id, handle, bio, tags, created_at, updated_at)
       SELECT p.id, p.handle, p.bio, string_to_array(p.tags, ','), p.created_at, p.created_at
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[]) AS p(id, handle, bio, tags, created_at)
       ON CONFLICT DO NOTHING`,
      [r.userIds, r.handles, r.bios, r.tags, r.createdAt],
    );
    return res.rowCount;
  }

  async insertTiers(r: TierRows): Promise<number> {
    const res = await this.db.query(
      `INSERT INTO creator_tiers (id, creator_id, rank, name, description, price)
       SELECT t.id, t.creator_id, t.rank, t.name, t.description, t.price
       FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::text[], $5::text[], $6::int[]) AS t(id, creator_id, rank, name, description, price)
       ON CONFLICT DO NOTHING`,
      [r.ids, r.creatorIds, r.ranks, r.names, r.descriptions, r.prices],
    );
    return res.rowCount;
  }

  /** Published in the past with their fan-out marked done: the seed writes the feed rows itself (insertFeedItems). */
  async insertPosts(r: PostRows): Promise<number> {
    const res = await this.db.query(
      `INSERT INTO posts (id, creator_id, body, visibility, min_tier_rank, price, published_at, fanout_done_at, created_at)
       SELECT p.id, p.creator_id, p.body, p.visibility, p.min_rank, p.price, p.published_at, p.published_at, p.published_at
       FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::smallint[], $6::int[], $7::timestamptz[])
         AS p(id, creator_id, body, visibility, min_rank, price, published_at)
       ON CONFLICT DO NOTHING`,
      [r.ids, r.creatorIds, r.bodies, r.visibilities, r.minTierRanks, r.prices, r.publishedAt],
    );
    return res.rowCount;
  }

  async insertFollows(followerIds: string[], creatorIds: string[]): Promise<number> {
    const res = await this.db.query(
      `INSERT INTO follows (follower_id, creator_id, created_at)
       SELECT f.follower_id, f.creator_id, now() - random() * interval '90 days'
       FROM unnest($1::uuid[], $2::uuid[]) AS f(follower_id, creator_id)
       ON CONFLICT DO NOTHING`,
      [followerIds, creatorIds],
    );
    return res.rowCount;
  }

  /** creator_pages.follower_count made right from follows, for these creators. */
  async recountFollowers(creatorIds: string[]): Promise<void> {
    await this.db.query(
      `UPDATE creator_pages c SET follower_count = (SELECT count(*) FROM follows f WHERE f.creator_id = c.user_id)
       WHERE c.user_id = ANY($1::uuid[])`,
      [creatorIds],
    );
  }

  /**
   * Creators whose audience reached FEED_FANOUT_MAX are merged into feeds on read, as a fan-out would have
   * found them; their posts get no feed rows.
   */
  async markBigCreators(creatorIds: string[], fanoutMax: number): Promise<number> {
    const res = await this.db.query(
      `INSERT INTO feed_big_creators (creator_id, audience)
       SELECT c.user_id, c.follower_count FROM creator_pages c
       WHERE c.user_id = ANY($1::uuid[]) AND c.follower_count >= $2
       ON CONFLICT DO NOTHING`,
      [creatorIds, fanoutMax],
    );
    return res.rowCount;
  }

  /** What a fan-out would have written: each follower's feed rows for the latest `perCreator` posts of each creator followed. */
  async insertFeedItems(followerIds: string[], perCreator: number): Promise<number> {
    const res = await this.db.query(
      `INSERT INTO feed_items (user_id, published_at, post_id)
       SELECT f.follower_id, p.published_at, p.id
       FROM follows f
       CROSS JOIN LATERAL (
         SELECT p.id, p.published_at FROM posts p
         WHERE p.creator_id = f.creator_id AND p.deleted_at IS NULL AND p.published_at <= now()
         ORDER BY p.published_at DESC, p.id DESC LIMIT $2
       ) p
       WHERE f.follower_id = ANY($1::uuid[])
         AND NOT EXISTS (SELECT 1 FROM feed_big_creators b WHERE b.creator_id = f.creator_id)
       ON CONFLICT DO NOTHING`,
      [followerIds, perCreator],
    );
    return res.rowCount;
  }

  /** Direct conversations; a pair that already has one (another seed's id) is skipped, and so are its messages. */
  async insertConversations(r: ConversationRows): Promise<string[]> {
    const res = await this.db.query<{ id: string }>(
      `INSERT INTO conversations (id, user_low, user_high, kind, last_seq, last_message_at, created_at)
       SELECT c.id, c.low, c.high, 'direct', c.last_seq, c.last_at, c.last_at - interval '1 day'
       FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::bigint[], $5::timestamptz[]) AS c(id, low, high, last_seq, last_at)
       ON CONFLICT DO NOTHING
       RETURNING id`,
      [r.ids, r.lows, r.highs, r.lastSeqs, r.lastAt],
    );
    return res.rows.map((x) => x.id);
  }

  /** Both members of each conversation: everything delivered, the last message unread by whoever did not send it. */
  async insertMembers(conversationIds: string[]): Promise<void> {
    await this.db.query(
      `INSERT INTO conversation_members (conversation_id, user_id, peer_id, delivered_seq, read_seq)
       SELECT c.id, m.user_id, m.peer_id, c.last_seq,
              CASE WHEN m.user_id = last.sender_id THEN c.last_seq ELSE c.last_seq - 1 END
       FROM conversations c
       JOIN messages last ON last.conversation_id = c.id AND last.seq = c.last_seq
       CROSS JOIN LATERAL (VALUES (c.user_low, c.user_high), (c.user_high, c.user_low)) AS m(user_id, peer_id)
       WHERE c.id = ANY($1::uuid[])
       ON CONFLICT DO NOTHING`,
      [conversationIds],
    );
  }

  async insertMessages(r: MessageRows): Promise<number> {
    const res = await this.db.query(
      `INSERT INTO messages (id, conversation_id, seq, sender_id, client_id, body, created_at)
       SELECT m.id, m.conversation_id, m.seq, m.sender_id, m.client_id, m.body, m.created_at
       FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::uuid[], $5::uuid[], $6::text[], $7::timestamptz[])
         AS m(id, conversation_id, seq, sender_id, client_id, body, created_at)
       ON CONFLICT DO NOTHING`,
      [r.ids, r.conversationIds, r.seqs, r.senderIds, r.clientIds, r.bodies, r.createdAt],
    );
    return res.rowCount;
  }

  /** The rank-1 live tier of the first creator (by id) a fan follows, for a seeded subscription. */
  /** Of each seeded creator (email at `domain`), their latest `perCreator` posts, those without media. */
  async postsWithoutMedia(perCreator: number, domain: string): Promise<{ id: string; creator_id: string; body: string }[]> {
    const { rows } = await this.db.query<{ id: string; creator_id: string; body: string }>(
      `SELECT id, creator_id, body FROM (
         SELECT p.id, p.creator_id, p.body, row_number() OVER (PARTITION BY p.creator_id ORDER BY p.published_at DESC, p.id DESC) AS n
         FROM posts p JOIN users u ON u.id = p.creator_id
         WHERE u.email LIKE '%@' || $2 AND p.deleted_at IS NULL
       ) x
       WHERE n <= $1 AND NOT EXISTS (SELECT 1 FROM post_media pm WHERE pm.post_id = x.id)
       ORDER BY creator_id, id`,
      [perCreator, domain],
    );
    return rows;
  }

  async attachMedia(postId: string, mediaId: string): Promise<void> {
    await this.db.query(`INSERT INTO post_media (post_id, position, media_id) VALUES ($1, 0, $2) ON CONFLICT DO NOTHING`, [postId, mediaId]);
  }

  async firstFollowedTier(fanId: string): Promise<{ handle: string; tierId: string; price: number } | undefined> {
    const { rows } = await this.db.query<{ handle: string; tier_id: string; price: number }>(
      `SELECT c.handle, t.id AS tier_id, t.price FROM follows f
       JOIN creator_pages c ON c.user_id = f.creator_id
       JOIN creator_tiers t ON t.creator_id = f.creator_id AND t.rank = 1 AND t.archived_at IS NULL
       WHERE f.follower_id = $1 ORDER BY f.creator_id LIMIT 1`,
      [fanId],
    );
    const r = rows[0];
    return r && { handle: r.handle, tierId: r.tier_id, price: r.price };
  }

  async analyze(): Promise<void> {
    await this.db.exec('ANALYZE');
  }
}
