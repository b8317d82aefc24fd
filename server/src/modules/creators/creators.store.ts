import type { Queryable } from '../../db/database.js';
import { pgError } from '../../db/database.js';

/** A tier's price now: an announced price takes over at price_next_at (the renewal job also folds it in). */
const PRICE_NOW = `CASE WHEN t.price_next_at <= now() THEN t.price_next ELSE t.price END`;
const TS = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export interface PageRow {
  user_id: string;
  handle: string;
  bio: string;
  links: { label: string; url: string }[];
  tags: string[];
  message_policy: 'everyone' | 'followers' | 'subscribers';
  random_matches: boolean;
  follower_count: number;
  subscriber_count: number;
  created_at: Date;
  /** created_at as text with microseconds (the `new` sort's cursor). */
  created_key: string;
  display_name: string;
  lowest_price: number | null;
  has_free_trial: boolean;
}

export interface TierRow {
  id: string;
  creator_id: string;
  rank: number;
  name: string;
  description: string;
  price: number;
  price_next: number | null;
  price_next_at: Date | null;
  discount_3: number;
  discount_6: number;
  discount_12: number;
  archived_at: Date | null;
  /** The price now (an announced one once its time has come). */
  price_now: number;
}

export interface SubscriptionRow {
  id: string;
  fan_id: string;
  creator_id: string;
  tier_id: string;
  next_tier_id: string | null;
  status: 'active' | 'grace' | 'expired';
  period: number;
  months: number;
  period_price: number;
  current_period_start: Date;
  current_period_end: Date;
  cancel_at_period_end: boolean;
  grace_until: Date | null;
  trial_link_id: string | null;
  started_at: Date;
  /** The period the fan was told is ending (subscription_expiring); null: none yet. */
  expiry_noticed_period: number | null;
}

/** A subscription with what its view and its renewal need: names, the fan's role, the renewing tier's prices. */
export interface SubscriptionDetail extends SubscriptionRow {
  handle: string | null;
  creator_name: string;
  fan_role: string;
  fan_name: string;
  tier_rank: number;
  tier_name: string;
  next_rank: number | null;
  next_name: string | null;
  /** The tier the next renewal is at (next_tier_id, else tier_id), its price at the period's end and discounts. */
  renew_price: number;
  renew_discount_3: number;
  renew_discount_6: number;
  renew_discount_12: number;
}

export interface TrialLinkRow {
  id: string;
  creator_id: string;
  tier_id: string;
  code: string;
  days: number;
  max_claims: number;
  claims: number;
  expires_at: Date;
  revoked_at: Date | null;
  created_at: Date;
}

export interface TipRow {
  id: string;
  fan_id: string;
  fan_name: string;
  creator_id: string;
  amount: number;
  target: 'creator' | 'post' | 'message';
  target_id: string | null;
  note: string | null;
  client_id: string;
  created_at: Date;
}

const PAGE_SELECT = `
  SELECT p.user_id, p.handle, p.bio, p.links, p.tags, p.message_policy, p.random_matches, p.follower_count,
         p.subscriber_count, p.created_at, ${TS('p.created_at')} AS created_key, u.display_name,
         lp.lowest_price, ft.has_free_trial
  FROM creator_pages p
  JOIN user_cards u ON u.id = p.user_id
  CROSS JOIN LATERAL (SELECT min(${PRICE_NOW})::int AS lowest_price FROM creator_tiers t WHERE t.creator_id = p.user_id AND t.archived_at IS NULL) lp
  CROSS JOIN LATERAL (
    SELECT EXISTS (SELECT 1 FROM trial_links l WHERE l.creator_id = p.user_id AND l.revoked_at IS NULL AND l.expires_at > now() AND l.claims < l.max_claims) AS has_free_trial
  ) ft`;

const SUB_DETAIL = `
  SELECT s.*, p.handle, cu.display_name AS creator_name, fu.role AS fan_role, fu.display_name AS fan_name,
         t.rank AS tier_rank, t.name AS tier_name, nt.rank AS next_rank, nt.name AS next_name,
         CASE WHEN rt.price_next_at <= s.current_period_end THEN rt.price_next ELSE rt.price END AS renew_price,
         rt.discount_3 AS renew_discount_3, rt.discount_6 AS renew_discount_6, rt.discount_12 AS renew_discount_12
  FROM subscriptions s
  JOIN creator_tiers t ON t.id = s.tier_id
  LEFT JOIN creator_tiers nt ON nt.id = s.next_tier_id
  JOIN creator_tiers rt ON rt.id = coalesce(s.next_tier_id, s.tier_id)
  LEFT JOIN creator_pages p ON p.user_id = s.creator_id
  JOIN user_cards cu ON cu.id = s.creator_id
  JOIN user_cards fu ON fu.id = s.fan_id`;

/** The listing's filters, as $1..$4 of its statements (null: not filtered). */
export interface ListFilters {
  tags: string[] | null;
  minPrice: number | null;
  maxPrice: number | null;
  freeTrial: boolean | null;
}
const LIST_FILTERS = `u.status = 'active'
         AND ($1::text[] IS NULL OR p.tags && $1::text[])
         AND ($2::int IS NULL OR lp.lowest_price >= $2)
         AND ($3::int IS NULL OR lp.lowest_price <= $3)
         AND ($4::boolean IS NULL OR ft.has_free_trial = $4)`;

/**
 * Two CTEs for a search text (the parameter `param`): `q`, the text as full-text queries (stemmed and
 * exact), lower case, and as an escaped LIKE prefix; `hits`, the pages it matches by their words, their
 * handle (typo or prefix) or their creator's display name (typo, or a word of it). Each arm is one GIN
 * index (migration 0038), so none of them scans the creators.
 */
function textHits(param: string): string {
  // One arm per operator, each comparing with the parameter itself (not q's columns, which the planner does not
  // see as constants): each is then one GIN index scan, where ORs of them were planned as reads of every row.
  const raw = `lower(${param}::text)`;
  return `q AS (
         SELECT websearch_to_tsquery('english', ${param}) AS words, websearch_to_tsquery('simple', ${param}) AS exact, ${raw} AS raw
       ),
       hits AS (
         SELECT p.user_id FROM creator_pages p, q WHERE p.search @@ q.words OR p.search @@ q.exact
         UNION SELECT user_id FROM creator_pages WHERE handle % ${raw}
         UNION SELECT user_id FROM creator_pages WHERE handle %> ${raw}
         UNION SELECT user_id FROM creator_pages WHERE handle LIKE replace(replace(replace(${raw}, '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%'
         UNION SELECT id FROM user_cards WHERE role = 'creator' AND lower(display_name) % ${raw}
         UNION SELECT id FROM user_cards WHERE role = 'creator' AND lower(display_name) %> ${raw}
       )`;
}

export function isHandleTaken(err: unknown): boolean {
  const e = pgError(err);
  return e?.code === '23505' && e.constraint === 'creator_pages_handle_key';
}

export class CreatorsStore {
  constructor(
    private readonly db: Queryable,
    /** Lag-tolerant reads (Database.reader): a replica unless the user just wrote. */
    private readonly reads: (userId?: string) => Queryable = () => db,
  ) {}

  /** A user's role (users' published user_cards), undefined when there is no such active user. */
  async roleOf(userId: string): Promise<string | undefined> {
    const { rows } = await this.db.query<{ role: string }>(`SELECT role FROM user_cards WHERE id = $1 AND status = 'active'`, [userId]);
    return rows[0]?.role;
  }

  async pageByHandle(handle: string): Promise<PageRow | undefined> {
    const { rows } = await this.db.query<PageRow>(`${PAGE_SELECT} WHERE p.handle = $1 AND u.status = 'active'`, [handle]);
    return rows[0];
  }

  async pageOf(userId: string, q: Queryable = this.db): Promise<PageRow | undefined> {
    const { rows } = await q.query<PageRow>(`${PAGE_SELECT} WHERE p.user_id = $1`, [userId]);
    return rows[0];
  }

  /** Creates the page or changes the fields given (null: leave as is). */
  async upsertPage(
    q: Queryable,
    userId: string,
    p: { handle: string; bio: string | null; links: unknown[] | null; tags: string[] | null; messagePolicy: string | null; randomMatches: boolean | null },
  ): Promise<void> {
    await q.query(
      `INSERT INTO creator_pages (user_id, handle, bio, links, tags, message_policy, random_matches)
       VALUES ($1, $2, coalesce($3, ''), coalesce($4::jsonb, '[]'::jsonb), coalesce($5::text[], '{}'), coalesce($6, 'everyone'), coalesce($7, true))
       ON CONFLICT (user_id) DO UPDATE SET
         handle = EXCLUDED.handle,
         bio = coalesce($3, creator_pages.bio),
         links = coalesce($4::jsonb, creator_pages.links),
         tags = coalesce($5::text[], creator_pages.tags),
         message_policy = coalesce($6, creator_pages.message_policy),
         random_matches = coalesce($7, creator_pages.random_matches),
         updated_at = now()`,
      [userId, p.handle, p.bio, p.links === null ? null : JSON.stringify(p.links), p.tags, p.messagePolicy, p.randomMatches],
    );
  }

  /** Serialises changes to one creator's tiers and trial links (their counts and ranks). */
  async lockPage(q: Queryable, userId: string): Promise<boolean> {
    const { rowCount } = await q.query(`SELECT 1 FROM creator_pages WHERE user_id = $1 FOR UPDATE`, [userId]);
    return rowCount > 0;
  }

  /**
   * A page of creators, filtered, by a stable key order: popular by (subscribers, followers, id), new by
   * (created_at, id), both descending; the cursor is the last row's key.
   */
  async list(f: ListFilters & { text: string | null; sort: 'popular' | 'new'; after: (string | number)[] | null; limit: number }): Promise<PageRow[]> {
    const params: unknown[] = [f.tags, f.minPrice, f.maxPrice, f.freeTrial, f.limit, f.text];
    let keyset = '';
    if (f.after) {
      params.push(...f.after);
      keyset =
        f.sort === 'popular'
          ? `AND (p.subscriber_count, p.follower_count, p.user_id) < ($7::int, $8::int, $9::uuid)`
          : `AND (p.created_at, p.user_id) < ($7::timestamptz, $8::uuid)`;
    }
    const order = f.sort === 'popular' ? `p.subscriber_count DESC, p.follower_count DESC, p.user_id DESC` : `p.created_at DESC, p.user_id DESC`;
    // With a text, only its matches (the search's), in the listing's order; without, $6 is null and unused.
    const { rows } = await this.reads().query<PageRow>(
      `${f.text === null ? '' : `WITH ${textHits('$6')}`}
       ${PAGE_SELECT}
       WHERE ${LIST_FILTERS}
         ${f.text === null ? 'AND $6::text IS NULL' : 'AND p.user_id IN (SELECT user_id FROM hits)'}
         ${keyset}
       ORDER BY ${order}
       LIMIT $5`,
      params,
    );
    return rows;
  }

  /**
   * Creators matching a text, most relevant first: the words of their handle, tags and bio (full text,
   * stemmed), and handles and display names close to what was typed (trigrams: typos and prefixes), with
   * popularity as a small tie-breaker. The same filters as the listing; offset-paged (a relevance order has
   * no stable key to seek from), bounded by the caller.
   */
  async search(f: ListFilters & { text: string; offset: number; limit: number }): Promise<PageRow[]> {
    // Ranked on the pages alone first; without a price or trial filter only the page asked for goes on to
    // the tier and trial look-ups (a common name can match thousands of creators).
    const { rows } = await this.reads().query<PageRow>(
      `WITH ${textHits('$6')},
       ranked AS (
         SELECT p.user_id,
                ts_rank(p.search, q.words || q.exact) * 2
                + greatest(similarity(p.handle, q.raw), word_similarity(q.raw, p.handle), word_similarity(q.raw, lower(u.display_name)))
                + ln(1 + p.follower_count + 3 * p.subscriber_count) / 20 AS score
         FROM creator_pages p
         JOIN user_cards u ON u.id = p.user_id
         CROSS JOIN q
         WHERE p.user_id IN (SELECT user_id FROM hits) AND u.status = 'active' AND ($1::text[] IS NULL OR p.tags && $1::text[])
         ORDER BY score DESC, p.user_id DESC
         LIMIT CASE WHEN $2::int IS NULL AND $3::int IS NULL AND $4::boolean IS NULL THEN $7::int + $5::int END
       )
       ${PAGE_SELECT}
       JOIN ranked r ON r.user_id = p.user_id
       WHERE ${LIST_FILTERS}
       ORDER BY r.score DESC, p.user_id DESC
       OFFSET $7 LIMIT $5`,
      [f.tags, f.minPrice, f.maxPrice, f.freeTrial, f.limit, f.text, f.offset],
    );
    return rows;
  }

  async tiers(creatorId: string, withArchived: boolean, q: Queryable = this.db): Promise<TierRow[]> {
    const { rows } = await q.query<TierRow>(
      `SELECT t.*, ${PRICE_NOW} AS price_now FROM creator_tiers t
       WHERE t.creator_id = $1 AND ($2 OR t.archived_at IS NULL) ORDER BY t.archived_at IS NOT NULL, t.rank, t.created_at`,
      [creatorId, withArchived],
    );
    return rows;
  }

  async tier(q: Queryable, id: string): Promise<TierRow | undefined> {
    const { rows } = await q.query<TierRow>(`SELECT t.*, ${PRICE_NOW} AS price_now FROM creator_tiers t WHERE t.id = $1`, [id]);
    return rows[0];
  }

  /** A new tier ranked after the creator's other live ones (call under lockPage). */
  async insertTier(q: Queryable, t: { id: string; creatorId: string; name: string; description: string; price: number; d3: number; d6: number; d12: number }): Promise<void> {
    await q.query(
      `INSERT INTO creator_tiers (id, creator_id, rank, name, description, price, discount_3, discount_6, discount_12)
       VALUES ($1, $2, (SELECT coalesce(max(rank), 0) + 1 FROM creator_tiers WHERE creator_id = $2 AND archived_at IS NULL), $3, $4, $5, $6, $7, $8)`,
      [t.id, t.creatorId, t.name, t.description, t.price, t.d3, t.d6, t.d12],
    );
  }

  async updateTier(
    q: Queryable,
    id: string,
    t: { name: string; description: string; price: number; priceNext: number | null; priceNextAt: Date | null; d3: number; d6: number; d12: number },
  ): Promise<void> {
    await q.query(
      `UPDATE creator_tiers SET name = $2, description = $3, price = $4, price_next = $5, price_next_at = $6, discount_3 = $7, discount_6 = $8, discount_12 = $9
       WHERE id = $1`,
      [id, t.name, t.description, t.price, t.priceNext, t.priceNextAt, t.d3, t.d6, t.d12],
    );
  }

  async archiveTier(q: Queryable, id: string): Promise<void> {
    await q.query(`UPDATE creator_tiers SET archived_at = now() WHERE id = $1 AND archived_at IS NULL`, [id]);
  }

  /** Announced prices whose time has come become the price (new subscribers pay it from then on anyway). */
  async foldDuePrices(): Promise<number> {
    const { rowCount } = await this.db.query(
      `UPDATE creator_tiers SET price = price_next, price_next = NULL, price_next_at = NULL WHERE price_next_at <= now()`,
    );
    return rowCount;
  }

  /** Fans whose subscription (or next renewal) is at this tier and still gives access. */
  async subscribersOfTier(tierId: string): Promise<string[]> {
    const { rows } = await this.db.query<{ fan_id: string }>(
      `SELECT fan_id FROM subscriptions WHERE (tier_id = $1 OR next_tier_id = $1) AND status IN ('active', 'grace')`,
      [tierId],
    );
    return rows.map((r) => r.fan_id);
  }

  /** Follows; the follower count moves in the same statement only when a row was added or removed. */
  async follow(q: Queryable, fanId: string, creatorId: string): Promise<boolean> {
    const { rows } = await q.query<{ added: boolean }>(
      `WITH ins AS (INSERT INTO follows (follower_id, creator_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1),
            bump AS (UPDATE creator_pages SET follower_count = follower_count + 1 WHERE user_id = $2 AND EXISTS (SELECT 1 FROM ins) RETURNING 1)
       SELECT EXISTS (SELECT 1 FROM ins) AS added, (SELECT count(*) FROM bump) AS bumped`,
      [fanId, creatorId],
    );
    return rows[0]!.added;
  }

  async unfollow(q: Queryable, fanId: string, creatorId: string): Promise<boolean> {
    const { rows } = await q.query<{ removed: boolean }>(
      `WITH del AS (DELETE FROM follows WHERE follower_id = $1 AND creator_id = $2 RETURNING 1),
            bump AS (UPDATE creator_pages SET follower_count = follower_count - 1 WHERE user_id = $2 AND EXISTS (SELECT 1 FROM del) RETURNING 1)
       SELECT EXISTS (SELECT 1 FROM del) AS removed, (SELECT count(*) FROM bump) AS bumped`,
      [fanId, creatorId],
    );
    return rows[0]!.removed;
  }

  async follows(fanId: string, creatorId: string): Promise<boolean> {
    const { rowCount } = await this.db.query(`SELECT 1 FROM follows WHERE follower_id = $1 AND creator_id = $2`, [fanId, creatorId]);
    return rowCount > 0;
  }

  /** Moves a creator's subscriber count (a subscription started giving access, or stopped). */
  async addSubscribers(q: Queryable, creatorId: string, delta: number): Promise<void> {
    await q.query(`UPDATE creator_pages SET subscriber_count = subscriber_count + $2 WHERE user_id = $1`, [creatorId, delta]);
  }

  /**
   * The fan's row for this creator, locked; created (expired, period 0 not yet bought) when there is none.
   * Two first subscribes race on the unique (fan, creator): the loser's insert waits, does nothing, and
   * its second look finds the winner's row.
   */
  async lockOrCreate(q: Queryable, s: { id: string; fanId: string; creatorId: string; tierId: string }): Promise<SubscriptionRow> {
    const find = async () =>
      (await q.query<SubscriptionRow>(`SELECT * FROM subscriptions WHERE fan_id = $1 AND creator_id = $2 FOR UPDATE`, [s.fanId, s.creatorId])).rows[0];
    const existing = await find();
    if (existing) return existing;
    const { rows } = await q.query<SubscriptionRow>(
      `INSERT INTO subscriptions (id, fan_id, creator_id, tier_id, status, period, months, period_price, current_period_start, current_period_end)
       VALUES ($1, $2, $3, $4, 'expired', 1, 1, 0, now(), now())
       ON CONFLICT (fan_id, creator_id) DO NOTHING RETURNING *`,
      [s.id, s.fanId, s.creatorId, s.tierId],
    );
    // A fresh row says period 1 so that the CHECK holds; `fresh` tells the caller its first period is 1, not 2.
    if (rows[0]) return { ...rows[0], period: 0 };
    return (await find())!;
  }

  async lockById(q: Queryable, id: string): Promise<SubscriptionDetail | undefined> {
    const { rows } = await q.query<SubscriptionDetail>(`${SUB_DETAIL} WHERE s.id = $1 FOR UPDATE OF s`, [id]);
    return rows[0];
  }

  /** A creator's subscriptions still giving access (active or in grace), locked in id order (a ban stops them). */
  async lockLiveOfCreator(q: Queryable, creatorId: string): Promise<SubscriptionDetail[]> {
    const { rows } = await q.query<SubscriptionDetail>(`${SUB_DETAIL} WHERE s.creator_id = $1 AND s.status IN ('active', 'grace') ORDER BY s.id FOR UPDATE OF s`, [creatorId]);
    return rows;
  }

  /** A batch of renewals' rows, locked in id order; rows another transaction holds are skipped, not waited for. */
  async lockManyForRenewal(q: Queryable, ids: string[]): Promise<SubscriptionDetail[]> {
    const { rows } = await q.query<SubscriptionDetail>(`${SUB_DETAIL} WHERE s.id = ANY($1::uuid[]) ORDER BY s.id FOR UPDATE OF s SKIP LOCKED`, [ids]);
    return rows;
  }

  async details(ids: string[]): Promise<SubscriptionDetail[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.db.query<SubscriptionDetail>(`${SUB_DETAIL} WHERE s.id = ANY($1::uuid[])`, [ids]);
    return rows;
  }

  /** Renewed periods, in one statement: each row's next period at its tier and price, not cancelled, out of grace. */
  async renewPeriods(q: Queryable, r: { id: string; tierId: string; period: number; price: number; start: Date; end: Date }[]): Promise<void> {
    if (r.length === 0) return;
    await q.query(
      `UPDATE subscriptions s SET tier_id = x.tier_id, next_tier_id = NULL, status = 'active', period = x.period, period_price = x.price,
              current_period_start = x.start_at, current_period_end = x.end_at, cancel_at_period_end = false, grace_until = NULL,
              trial_link_id = NULL, updated_at = now()
       FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::int[], $5::timestamptz[], $6::timestamptz[]) AS x(id, tier_id, period, price, start_at, end_at)
       WHERE s.id = x.id`,
      [r.map((x) => x.id), r.map((x) => x.tierId), r.map((x) => x.period), r.map((x) => x.price), r.map((x) => x.start), r.map((x) => x.end)],
    );
  }

  async setGraceMany(q: Queryable, ids: string[], until: Date): Promise<void> {
    if (ids.length) await q.query(`UPDATE subscriptions SET status = 'grace', grace_until = $2, updated_at = now() WHERE id = ANY($1::uuid[])`, [ids, until]);
  }

  /** Expires subscriptions and takes them off their creators' subscriber counts, in the caller's transaction. */
  async expireMany(q: Queryable, subs: { id: string; creator_id: string }[]): Promise<void> {
    if (subs.length === 0) return;
    await q.query(`UPDATE subscriptions SET status = 'expired', grace_until = NULL, next_tier_id = NULL, updated_at = now() WHERE id = ANY($1::uuid[])`, [subs.map((x) => x.id)]);
    const byCreator = new Map<string, number>();
    for (const x of [...subs].sort((a, b) => (a.creator_id < b.creator_id ? -1 : 1))) byCreator.set(x.creator_id, (byCreator.get(x.creator_id) ?? 0) + 1);
    // Pages locked in one order, so two batches (or a batch and a subscribe) never wait on each other in a circle.
    await q.query(`SELECT 1 FROM creator_pages WHERE user_id = ANY($1::uuid[]) ORDER BY user_id FOR UPDATE`, [[...byCreator.keys()]]);
    await q.query(
      `UPDATE creator_pages p SET subscriber_count = p.subscriber_count - x.n FROM unnest($1::uuid[], $2::int[]) AS x(user_id, n) WHERE p.user_id = x.user_id`,
      [[...byCreator.keys()], [...byCreator.values()]],
    );
  }

  async detail(id: string, q: Queryable = this.db): Promise<SubscriptionDetail | undefined> {
    const { rows } = await q.query<SubscriptionDetail>(`${SUB_DETAIL} WHERE s.id = $1`, [id]);
    return rows[0];
  }

  async ofFanAndCreator(fanId: string, creatorId: string): Promise<SubscriptionDetail | undefined> {
    const { rows } = await this.db.query<SubscriptionDetail>(`${SUB_DETAIL} WHERE s.fan_id = $1 AND s.creator_id = $2`, [fanId, creatorId]);
    return rows[0];
  }

  async ofFan(fanId: string): Promise<SubscriptionDetail[]> {
    const { rows } = await this.db.query<SubscriptionDetail>(`${SUB_DETAIL} WHERE s.fan_id = $1 ORDER BY s.status = 'expired', s.current_period_end DESC LIMIT 500`, [fanId]);
    return rows;
  }

  /** A creator's subscribers (giving access now), newest first, by (started_at, id). */
  async ofCreator(creatorId: string, after: [string, string] | null, limit: number): Promise<(SubscriptionDetail & { started_key: string; fan_name: string })[]> {
    const { rows } = await this.db.query<SubscriptionDetail & { started_key: string; fan_name: string }>(
      `SELECT d.*, ${TS('d.started_at')} AS started_key, f.display_name AS fan_name FROM (${SUB_DETAIL}
         WHERE s.creator_id = $1 AND s.status IN ('active', 'grace')
           AND ($2::timestamptz IS NULL OR (s.started_at, s.id) < ($2::timestamptz, $3::uuid))) d
       JOIN user_cards f ON f.id = d.fan_id
       ORDER BY d.started_at DESC, d.id DESC LIMIT $4`,
      [creatorId, after?.[0] ?? null, after?.[1] ?? null, limit],
    );
    return rows;
  }

  /** Starts a paid or trial period (a first subscribe, a resubscribe, a renewal). */
  async startPeriod(
    q: Queryable,
    id: string,
    p: { tierId: string; period: number; months: number; price: number; start: Date; end: Date; cancelAtPeriodEnd: boolean; trialLinkId: string | null; restart: boolean },
  ): Promise<void> {
    await q.query(
      `UPDATE subscriptions SET tier_id = $2, next_tier_id = NULL, status = 'active', period = $3, months = $4, period_price = $5,
              current_period_start = $6, current_period_end = $7, cancel_at_period_end = $8, grace_until = NULL,
              trial_link_id = $9, started_at = CASE WHEN $10 THEN now() ELSE started_at END, updated_at = now()
       WHERE id = $1`,
      [id, p.tierId, p.period, p.months, p.price, p.start, p.end, p.cancelAtPeriodEnd, p.trialLinkId, p.restart],
    );
  }

  async setGrace(q: Queryable, id: string, until: Date): Promise<void> {
    await q.query(`UPDATE subscriptions SET status = 'grace', grace_until = $2, updated_at = now() WHERE id = $1`, [id, until]);
  }

  async expire(q: Queryable, id: string): Promise<void> {
    await q.query(`UPDATE subscriptions SET status = 'expired', grace_until = NULL, next_tier_id = NULL, updated_at = now() WHERE id = $1`, [id]);
  }

  async setCancel(q: Queryable, id: string, cancel: boolean): Promise<void> {
    await q.query(`UPDATE subscriptions SET cancel_at_period_end = $2, updated_at = now() WHERE id = $1`, [id, cancel]);
  }

  async setNextTier(q: Queryable, id: string, tierId: string | null): Promise<void> {
    await q.query(`UPDATE subscriptions SET next_tier_id = $2, updated_at = now() WHERE id = $1`, [id, tierId]);
  }

  /**
   * Active subscriptions ending within `hours` whose period has had no "ending soon" look yet, after the
   * keyset `after` (period end, id), locked; rows another run holds are skipped (it is looking at them).
   */
  async lockEndingSoon(q: Queryable, hours: number, after: [Date, string] | null, limit: number): Promise<SubscriptionDetail[]> {
    const { rows } = await q.query<SubscriptionDetail>(
      `${SUB_DETAIL}
       WHERE s.status = 'active' AND s.current_period_end > now() AND s.current_period_end <= now() + make_interval(hours => $1)
         AND s.expiry_noticed_period IS DISTINCT FROM s.period
         AND ($2::timestamptz IS NULL OR (s.current_period_end, s.id) > ($2::timestamptz, $3::uuid))
       ORDER BY s.current_period_end, s.id LIMIT $4 FOR UPDATE OF s SKIP LOCKED`,
      [hours, after?.[0] ?? null, after?.[1] ?? null, limit],
    );
    return rows;
  }

  /**
   * Every active subscription of these fans whose period ends within `hours`, told or not, in the order
   * their renewals will take credits (period end, then id): what a fan's wallet must cover in that time.
   */
  async endingSoonOf(q: Queryable, fanIds: string[], hours: number): Promise<SubscriptionDetail[]> {
    if (fanIds.length === 0) return [];
    const { rows } = await q.query<SubscriptionDetail>(
      `${SUB_DETAIL}
       WHERE s.fan_id = ANY($1::uuid[]) AND s.status = 'active' AND s.current_period_end > now() AND s.current_period_end <= now() + make_interval(hours => $2)
       ORDER BY s.current_period_end, s.id`,
      [fanIds, hours],
    );
    return rows;
  }

  /** The fans of these subscriptions were told their current period ends without renewal. */
  async markExpiryNoticed(q: Queryable, ids: string[]): Promise<void> {
    if (ids.length) await q.query(`UPDATE subscriptions SET expiry_noticed_period = period WHERE id = ANY($1::uuid[])`, [ids]);
  }

  /** Subscriptions due: active ones past their period's end (oldest first), or those in grace. */
  async due(status: 'active' | 'grace', limit: number): Promise<string[]> {
    const { rows } = await this.db.query<{ id: string }>(
      `SELECT id FROM subscriptions WHERE status = $1 AND current_period_end <= now() ORDER BY current_period_end LIMIT $2`,
      [status, limit],
    );
    return rows.map((r) => r.id);
  }

  async insertTrialLink(q: Queryable, l: { id: string; creatorId: string; tierId: string; code: string; days: number; maxClaims: number; expiresAt: string }): Promise<TrialLinkRow> {
    const { rows } = await q.query<TrialLinkRow>(
      `INSERT INTO trial_links (id, creator_id, tier_id, code, days, max_claims, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
      [l.id, l.creatorId, l.tierId, l.code, l.days, l.maxClaims, l.expiresAt],
    );
    return rows[0]!;
  }

  async trialLinks(creatorId: string): Promise<TrialLinkRow[]> {
    const { rows } = await this.db.query<TrialLinkRow>(`SELECT * FROM trial_links WHERE creator_id = $1 ORDER BY created_at DESC LIMIT 500`, [creatorId]);
    return rows;
  }

  async revokeTrialLink(creatorId: string, id: string): Promise<TrialLinkRow | undefined> {
    const { rows } = await this.db.query<TrialLinkRow>(
      `UPDATE trial_links SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 AND creator_id = $2 RETURNING *`,
      [id, creatorId],
    );
    return rows[0];
  }

  /** A trial link by its code, unlocked (for showing its terms), and whether this fan claimed it. */
  async trialByCode(code: string, fanId: string): Promise<(TrialLinkRow & { claimed: boolean }) | undefined> {
    const { rows } = await this.db.query<TrialLinkRow & { claimed: boolean }>(
      `SELECT l.*, EXISTS (SELECT 1 FROM trial_claims c WHERE c.trial_link_id = l.id AND c.fan_id = $2) AS claimed FROM trial_links l WHERE l.code = $1`,
      [code, fanId],
    );
    return rows[0];
  }

  async lockTrialLink(q: Queryable, code: string): Promise<TrialLinkRow | undefined> {
    const { rows } = await q.query<TrialLinkRow>(`SELECT * FROM trial_links WHERE code = $1 FOR UPDATE`, [code]);
    return rows[0];
  }

  /** Records the fan's claim (false: claimed before) and counts it on the link. */
  async claimTrial(q: Queryable, linkId: string, fanId: string): Promise<boolean> {
    const { rowCount } = await q.query(`INSERT INTO trial_claims (trial_link_id, fan_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [linkId, fanId]);
    if (rowCount === 0) return false;
    await q.query(`UPDATE trial_links SET claims = claims + 1 WHERE id = $1`, [linkId]);
    return true;
  }

  /** The tip, or the one stored before under this (fan, clientId): `created` says which. */
  async insertTip(
    q: Queryable,
    t: { id: string; fanId: string; creatorId: string; amount: number; target: string; targetId: string | null; note: string | null; clientId: string },
  ): Promise<{ row: TipRow; created: boolean }> {
    const ins = await q.query<{ id: string }>(
      `INSERT INTO tips (id, fan_id, creator_id, amount, target, target_id, note, client_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (fan_id, client_id) DO NOTHING RETURNING id`,
      [t.id, t.fanId, t.creatorId, t.amount, t.target, t.targetId, t.note, t.clientId],
    );
    const { rows } = await q.query<TipRow>(
      `SELECT t.*, u.display_name AS fan_name FROM tips t JOIN user_cards u ON u.id = t.fan_id WHERE t.fan_id = $1 AND t.client_id = $2`,
      [t.fanId, t.clientId],
    );
    return { row: rows[0]!, created: ins.rowCount > 0 };
  }

  async tipsOf(creatorId: string, after: [string, string] | null, limit: number): Promise<(TipRow & { created_key: string })[]> {
    const { rows } = await this.db.query<TipRow & { created_key: string }>(
      `SELECT t.*, u.display_name AS fan_name, ${TS('t.created_at')} AS created_key FROM tips t JOIN user_cards u ON u.id = t.fan_id
       WHERE t.creator_id = $1 AND ($2::timestamptz IS NULL OR (t.created_at, t.id) < ($2::timestamptz, $3::uuid))
       ORDER BY t.created_at DESC, t.id DESC LIMIT $4`,
      [creatorId, after?.[0] ?? null, after?.[1] ?? null, limit],
    );
    return rows;
  }
}
