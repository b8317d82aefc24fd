import { createHash } from 'node:crypto';
import { DISTANCE_BAND_EDGES_KM } from '../../../../shared/profiles.js';
import type { Queryable } from '../../db/database.js';
import type { Answer } from './compatibility.js';

export interface ProfileRow {
  user_id: string;
  display_name: string;
  role: string;
  message_price: number;
  call_price_per_minute: number;
  age: number;
  bio: string;
  gender: string | null;
  interests: string[];
  languages: string[];
  lat: number | null;
  lng: number | null;
  seeks_genders: string[];
  age_min: number;
  age_max: number;
  max_distance_km: number | null;
  who_can_message: 'matches' | 'everyone';
}

/** A profile in a list of matches or of likes, with when that happened (`at`) and a match's conversation. */
export type DatingRow = ProfileRow & { at: Date; conversation_id: string | null };

/** Where a page of matches or likes ends: the last row's time and user. */
export interface DatingCursor {
  at: string;
  id: string;
}

/** The media ids a user shows (see ProfilesService.photosOf for what others see of them). */
export interface PhotoRefs {
  photos: string[];
  avatar: string | null;
  cover: string | null;
}

export interface DiscoverRow {
  user_id: string;
  display_name: string;
  role: string;
  message_price: number;
  call_price_per_minute: number;
  age: number;
  gender: string | null;
  bio: string;
  interests: string[];
  languages: string[];
  /** Index into DISTANCE_BAND_EDGES_KM's bands (0: under the first edge); null without both locations. */
  band: number | null;
  match: number | null;
  common: number;
  score: number;
}

const PROFILE = `u.id AS user_id, u.display_name, u.role, u.message_price, u.call_price_per_minute, date_part('year', age(current_date, u.birthdate))::int AS age,
  coalesce(p.bio, '') AS bio, p.gender, coalesce(p.interests, '{}') AS interests, coalesce(p.languages, '{}') AS languages,
  p.lat, p.lng, coalesce(p.seeks_genders, '{}') AS seeks_genders, coalesce(p.age_min, 18) AS age_min,
  coalesce(p.age_max, 99) AS age_max, p.max_distance_km, coalesce(p.who_can_message, 'matches') AS who_can_message`;

/*
 * Where discover places a candidate for one viewer: the stored point moved 2–3 km in a direction fixed
 * for the candidate at that location (the same for every viewer, so accounts pooling their views still
 * land 2–3 km off), plus up to 0.5 km fixed for the viewer–candidate pair. Both come from HMAC-SHA256
 * under a server key, so asking again returns the same answer (nothing to average) and they change only
 * when the candidate moves. Every distance discover uses (the band shown, the ranking, both sides'
 * distance limits) is measured to that point, so no probing recovers more than it: at least 1.5 km off.
 * HMAC is computed with the built-in sha256 from the key's inner and outer pads ($6, $7): no extension.
 */
/** Fuzz moves anyone under 3.5 km (3 + 0.5); 4 leaves room for the flat-earth step near the poles. */
const FUZZ_BOUND_KM = 4;
const hmac = (msg: string) => `sha256($7::bytea || sha256($6::bytea || convert_to(${msg}, 'UTF8')))`;
/** Bytes i and i+1 of a digest as a number in [0, 1). */
const unit = (h: string, i: number) => `((get_byte(${h}, ${i}) * 256 + get_byte(${h}, ${i + 1})) / 65536.0)::float8`;
type Point = { id: string; lat: string; lng: string };
/**
 * The fuzzed distance (km) from viewer `v` to candidate `c`, given as SQL expressions; NULL without both
 * locations. A scalar subquery, so it is computed only where it is needed (a distance limit before the
 * pool's LIMIT, the band after it); OFFSET 0 keeps the planner from copying each digest into every use.
 */
const fuzzedKm = (v: Point, c: Point) => `(
  SELECT earth_distance(ll_to_earth(${v.lat}, ${v.lng}),
           ll_to_earth(${c.lat} + o.north / 111.32, ${c.lng} + o.east / (111.32 * greatest(cos(radians(${c.lat})), 0.01)))) / 1000
  FROM (SELECT k.rt * cos(k.at) + k.rv * cos(k.av) AS north, k.rt * sin(k.at) + k.rv * sin(k.av) AS east
        FROM (SELECT 2 + ${unit('h.t', 0)} AS rt, 2 * pi() * ${unit('h.t', 2)} AS at,
                     0.5 * sqrt(${unit('h.v', 0)}) AS rv, 2 * pi() * ${unit('h.v', 2)} AS av
              FROM (SELECT ${hmac(`'t:' || ${c.id} || ':' || ${c.lat} || ':' || ${c.lng}`)} AS t,
                           ${hmac(`'p:' || ${v.id} || ':' || ${c.id} || ':' || ${c.lat} || ':' || ${c.lng}`)} AS v
                    OFFSET 0) h
              OFFSET 0) k) o
  WHERE ${v.lat} IS NOT NULL AND ${c.lat} IS NOT NULL)`;
const POOL_KM = fuzzedKm({ id: 'me.id', lat: 'me.lat', lng: 'me.lng' }, { id: 'p.user_id', lat: 'p.lat', lng: 'p.lng' });
const TRUE_KM = `(earth_distance(ll_to_earth(me.lat, me.lng), ll_to_earth(p.lat, p.lng)) / 1000)`;
/** The fuzzed distance is within `max` km. Decided by the true distance (cheaper) unless it is within the fuzz of the edge. */
const fuzzedWithin = (max: string) =>
  `CASE WHEN ${TRUE_KM} <= ${max} - ${FUZZ_BOUND_KM} THEN true WHEN ${TRUE_KM} > ${max} + ${FUZZ_BOUND_KM} THEN false ELSE ${POOL_KM} <= ${max} END`;
const SCORED_KM = fuzzedKm({ id: 'mm.me_id', lat: 'mm.me_lat', lng: 'mm.me_lng' }, { id: 'pool.user_id', lat: 'pool.lat', lng: 'pool.lng' });

/** HMAC's padded keys (RFC 2104), so that SQL can compute it with sha256 alone. */
function hmacPads(key: Buffer): { inner: Buffer; outer: Buffer } {
  const k = Buffer.alloc(64);
  (key.length > 64 ? createHash('sha256').update(key).digest() : key).copy(k);
  return { inner: Buffer.from(k.map((b) => b ^ 0x36)), outer: Buffer.from(k.map((b) => b ^ 0x5c)) };
}

export class ProfilesStore {
  private readonly pads: { inner: Buffer; outer: Buffer };

  /** `locationKey`: the server secret behind discover's distance fuzz; the same on every node. */
  constructor(
    private readonly db: Queryable,
    locationKey: Buffer,
    /** Lag-tolerant reads (Database.reader): a replica unless the user just wrote. */
    private readonly reads: (userId?: string) => Queryable = () => db,
  ) {
    this.pads = hmacPads(locationKey);
  }

  async get(userId: string): Promise<ProfileRow | undefined> {
    const { rows } = await this.db.query<ProfileRow>(
      `SELECT ${PROFILE} FROM user_cards u LEFT JOIN profiles p ON p.user_id = u.id WHERE u.id = $1 AND u.status = 'active'`,
      [userId],
    );
    return rows[0];
  }

  /** The media ids each user shows: photos in order, the avatar and cover they set; a user without any is left out. */
  async photoRefs(userIds: string[]): Promise<Map<string, PhotoRefs>> {
    if (userIds.length === 0) return new Map();
    const { rows } = await this.db.query<PhotoRefs & { user_id: string }>(
      `SELECT p.user_id, p.avatar_media_id AS avatar, p.cover_media_id AS cover,
              ARRAY(SELECT x.media_id FROM profile_photos x WHERE x.user_id = p.user_id ORDER BY x.position) AS photos
       FROM profiles p
       WHERE p.user_id = ANY($1::uuid[])`,
      [userIds],
    );
    return new Map(rows.map(({ user_id, ...refs }) => [user_id, refs]));
  }

  /** Replaces the user's photo list (position = index), in the caller's transaction. */
  async replacePhotos(q: Queryable, userId: string, mediaIds: string[]): Promise<void> {
    // Two statements: a DELETE in a CTE and an INSERT of the same keys in one statement may collide.
    await q.query(`DELETE FROM profile_photos WHERE user_id = $1`, [userId]);
    await q.query(
      `INSERT INTO profile_photos (user_id, position, media_id)
       SELECT $1, (n - 1)::smallint, id FROM unnest($2::uuid[]) WITH ORDINALITY AS t(id, n)`,
      [userId, mediaIds],
    );
  }

  async upsert(userId: string, patch: Partial<{ who_can_message: 'matches' | 'everyone'; bio: string; gender: string | null; interests: string[]; languages: string[]; lat: number | null; lng: number | null; seeks_genders: string[]; age_min: number; age_max: number; max_distance_km: number | null; avatar_media_id: string | null; cover_media_id: string | null }>, q: Queryable = this.db): Promise<void> {
    const cols = Object.keys(patch);
    const values = Object.values(patch);
    await q.query(
      `INSERT INTO profiles (user_id${cols.map((c) => `, ${c}`).join('')}) VALUES ($1${cols.map((_, i) => `, $${i + 2}`).join('')})
       ON CONFLICT (user_id) DO UPDATE SET ${[...cols.map((c) => `${c} = EXCLUDED.${c}`), 'updated_at = now()', 'last_active_at = now()'].join(', ')}`,
      [userId, ...values],
    );
  }

  /**
   * Removes an erased account's profile, pictures, answers and own swipes. Matches stay: they hold the
   * peer's conversation. Others' swipes on it stay theirs (the account is hidden from them anyway).
   */
  async erase(userId: string): Promise<void> {
    // One statement, so it is all or nothing without a transaction of the caller's.
    await this.db.query(
      `WITH photos AS (DELETE FROM profile_photos WHERE user_id = $1), answered AS (DELETE FROM answers WHERE user_id = $1),
         swiped AS (DELETE FROM swipes WHERE user_id = $1)
       DELETE FROM profiles WHERE user_id = $1`,
      [userId],
    );
  }

  async touch(userId: string): Promise<void> {
    await this.db.query(
      `INSERT INTO profiles (user_id) VALUES ($1) ON CONFLICT (user_id) DO UPDATE SET last_active_at = now()`,
      [userId],
    );
  }

  async questions(userId: string): Promise<{ id: number; text: string; answers: string[]; mine: Omit<Answer, 'questionId'> | null }[]> {
    const { rows } = await this.db.query<{ id: number; text: string; answers: string[]; mine: Omit<Answer, 'questionId'> | null }>(
      `SELECT q.id, q.text, q.answers,
         CASE WHEN a.user_id IS NULL THEN NULL ELSE jsonb_build_object('answer', a.answer, 'accepted', a.accepted, 'importance', a.importance) END AS mine
       FROM questions q LEFT JOIN answers a ON a.question_id = q.id AND a.user_id = $1 ORDER BY q.id`,
      [userId],
    );
    return rows;
  }

  async questionSize(id: number): Promise<number | undefined> {
    const { rows } = await this.db.query<{ n: number }>(`SELECT cardinality(answers) AS n FROM questions WHERE id = $1`, [id]);
    return rows[0]?.n;
  }

  async answer(userId: string, a: Answer): Promise<void> {
    await this.db.query(
      `INSERT INTO answers (user_id, question_id, answer, accepted, importance) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (user_id, question_id) DO UPDATE SET answer = EXCLUDED.answer, accepted = EXCLUDED.accepted,
         importance = EXCLUDED.importance, answered_at = now()`,
      [userId, a.questionId, a.answer, a.accepted, a.importance],
    );
  }

  async answersOf(userIds: string[]): Promise<Map<string, Answer[]>> {
    const { rows } = await this.db.query<{ user_id: string; question_id: number; answer: number; accepted: number[]; importance: number }>(
      `SELECT user_id, question_id, answer, accepted, importance FROM answers WHERE user_id = ANY($1::uuid[])`,
      [userIds],
    );
    const out = new Map<string, Answer[]>(userIds.map((id) => [id, []]));
    for (const r of rows) out.get(r.user_id)!.push({ questionId: r.question_id, answer: r.answer, accepted: r.accepted, importance: r.importance });
    return out;
  }

  /**
   * Candidates who fit both sides' preferences, scored and ranked (see the
   * README's Discover section for the weights). Distances are to the fuzzed
   * point (fuzzedKm) and leave as a band; earth_box, widened by the most the
   * fuzz moves anyone, rules out the far candidates before any fuzz is computed.
   * The pool is capped at the 1000 most recently active fits before scoring.
   * `asOf` fixes the clock for recency so a cursor's pages stay stable.
   */
  async discover(userId: string, asOf: Date, after: { score: number; id: string } | null, limit: number): Promise<DiscoverRow[]> {
    const { rows } = await this.reads(userId).query<DiscoverRow>(
      `WITH me AS (
         SELECT u.id, p.gender, coalesce(p.seeks_genders, '{}') AS seeks, coalesce(p.age_min, 18) AS age_min,
                coalesce(p.age_max, 99) AS age_max, p.max_distance_km, p.lat, p.lng, coalesce(p.interests, '{}') AS interests,
                date_part('year', age($2::timestamptz::date, u.birthdate))::int AS age
         FROM user_cards u LEFT JOIN profiles p ON p.user_id = u.id WHERE u.id = $1
       ), pool AS (
         SELECT p.user_id, u.display_name, u.role, u.message_price, u.call_price_per_minute, p.gender, p.bio, p.interests, p.languages,
                date_part('year', age($2::timestamptz::date, u.birthdate))::int AS age,
                greatest(p.last_active_at, coalesce(u.last_seen_at, p.last_active_at)) AS active_at, p.lat, p.lng
         FROM me, profiles p JOIN user_cards u ON u.id = p.user_id
         WHERE p.user_id <> me.id AND u.status = 'active'
           AND (cardinality(me.seeks) = 0 OR p.gender = ANY (me.seeks))
           AND (cardinality(p.seeks_genders) = 0 OR me.gender = ANY (p.seeks_genders))
           AND date_part('year', age($2::timestamptz::date, u.birthdate)) BETWEEN me.age_min AND me.age_max
           AND me.age BETWEEN p.age_min AND p.age_max
           AND (me.max_distance_km IS NULL OR (me.lat IS NOT NULL AND p.lat IS NOT NULL
                AND earth_box(ll_to_earth(me.lat, me.lng), (me.max_distance_km + ${FUZZ_BOUND_KM}) * 1000.0) @> ll_to_earth(p.lat, p.lng)
                AND ${fuzzedWithin('me.max_distance_km')}))
           AND (p.max_distance_km IS NULL OR (me.lat IS NOT NULL AND p.lat IS NOT NULL AND ${fuzzedWithin('p.max_distance_km')}))
           AND NOT blocked_either_way(me.id, p.user_id)
           AND NOT EXISTS (SELECT 1 FROM swipes s WHERE s.user_id = me.id AND s.target_id = p.user_id)
         ORDER BY p.last_active_at DESC, p.user_id
         LIMIT 1000
       ), compat AS (
         SELECT t.user_id,
                count(*)::int AS common,
                sum(CASE WHEN t.answer = ANY (m.accepted) THEN m.importance ELSE 0 END)::float8 / nullif(sum(m.importance), 0) AS s_me,
                sum(CASE WHEN m.answer = ANY (t.accepted) THEN t.importance ELSE 0 END)::float8 / nullif(sum(t.importance), 0) AS s_them
         FROM answers m JOIN answers t ON t.question_id = m.question_id
         WHERE m.user_id = $1 AND t.user_id IN (SELECT user_id FROM pool)
         GROUP BY t.user_id
       ), scored AS (
         -- shared = Jaccard index of the two interest lists
         SELECT pool.*, width_bucket(${SCORED_KM}, $8::float8[]) AS band, coalesce(c.common, 0) AS common,
                CASE WHEN c.s_me IS NULL OR c.s_them IS NULL THEN NULL ELSE sqrt(c.s_me * c.s_them) END AS m,
                (SELECT count(*) FROM unnest(pool.interests) i WHERE i = ANY (mm.mi))::float8
                  / greatest(1, cardinality(pool.interests) + cardinality(mm.mi)
                     - (SELECT count(*) FROM unnest(pool.interests) i WHERE i = ANY (mm.mi))) AS shared
         FROM pool CROSS JOIN (SELECT id AS me_id, lat AS me_lat, lng AS me_lng, interests AS mi FROM me) mm
         LEFT JOIN compat c ON c.user_id = pool.user_id
       ), ranked AS (
         SELECT scored.*,
                round(1000000 * (
                  0.55 * coalesce(m, 0.5)
                  -- the band's lower edge (band is referenced once: each reference would compute the fuzz again)
                  + 0.20 * coalesce(1 / (1 + (array_prepend(0::float8, $8::float8[]))[band + 1] / 50), 0.5)
                  + 0.15 * exp(-greatest(0, extract(epoch FROM ($2::timestamptz - active_at))) / 604800.0)
                  + 0.10 * shared
                ))::bigint AS score
         FROM scored
       )
       SELECT user_id, display_name, role, message_price, call_price_per_minute, age, gender, bio, interests, languages, band,
              CASE WHEN m IS NULL THEN NULL ELSE round(100 * m)::int END AS match, common, score
       FROM ranked
       WHERE $3::bigint IS NULL OR score < $3 OR (score = $3 AND user_id < $4::uuid)
       ORDER BY score DESC, user_id DESC
       LIMIT $5`,
      [userId, asOf, after?.score ?? null, after?.id ?? null, limit, this.pads.inner, this.pads.outer, DISTANCE_BAND_EDGES_KM],
    );
    return rows;
  }

  /**
   * Records a like or pass and, for a like, whether it is mutual. An advisory
   * lock on the pair makes two simultaneous likes see each other.
   */
  async swipe(q: Queryable, userId: string, targetId: string, kind: 'like' | 'pass'): Promise<{ mutual: boolean }> {
    const [low, high] = userId < targetId ? [userId, targetId] : [targetId, userId];
    await q.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`swipe:${low}:${high}`]);
    const { rows } = await q.query<{ mutual: boolean }>(
      `WITH s AS (
         INSERT INTO swipes (user_id, target_id, kind) VALUES ($1, $2, $3)
         ON CONFLICT (user_id, target_id) DO UPDATE SET kind = EXCLUDED.kind, created_at = now()
       )
       SELECT $3 = 'like' AND EXISTS (SELECT 1 FROM swipes WHERE user_id = $2 AND target_id = $1 AND kind = 'like') AS mutual`,
      [userId, targetId, kind],
    );
    return rows[0]!;
  }

  /** The user's matches, newest first, after `cursor`: each pair's other side, active and not blocked either way. */
  async matchesOf(userId: string, cursor: DatingCursor | undefined, limit: number): Promise<DatingRow[]> {
    const { rows } = await this.db.query<DatingRow>(
      `SELECT ${PROFILE}, x.at, x.conversation_id
       FROM (SELECT user_high AS other, created_at AS at, conversation_id FROM matches WHERE user_low = $1
             UNION ALL
             SELECT user_low, created_at, conversation_id FROM matches WHERE user_high = $1) x
       JOIN user_cards u ON u.id = x.other AND u.status = 'active'
       LEFT JOIN profiles p ON p.user_id = x.other
       WHERE ($2::timestamptz IS NULL OR (x.at, x.other) < ($2, $3::uuid)) AND NOT blocked_either_way($1, x.other)
       ORDER BY x.at DESC, x.other DESC
       LIMIT $4`,
      [userId, cursor?.at ?? null, cursor?.id ?? null, limit],
    );
    return rows;
  }

  /** Who liked the user and has no answer from them yet (neither a like back nor a pass), newest first. */
  async likesOf(userId: string, cursor: DatingCursor | undefined, limit: number): Promise<DatingRow[]> {
    const { rows } = await this.db.query<DatingRow>(
      `SELECT ${PROFILE}, s.created_at AS at, NULL::uuid AS conversation_id
       FROM swipes s
       JOIN user_cards u ON u.id = s.user_id AND u.status = 'active'
       LEFT JOIN profiles p ON p.user_id = s.user_id
       WHERE s.target_id = $1 AND s.kind = 'like'
         AND NOT EXISTS (SELECT 1 FROM swipes mine WHERE mine.user_id = $1 AND mine.target_id = s.user_id)
         AND ($2::timestamptz IS NULL OR (s.created_at, s.user_id) < ($2, $3::uuid)) AND NOT blocked_either_way($1, s.user_id)
       ORDER BY s.created_at DESC, s.user_id DESC
       LIMIT $4`,
      [userId, cursor?.at ?? null, cursor?.id ?? null, limit],
    );
    return rows;
  }

  /**
   * Ends the pair's match under the same pair lock as a swipe: the match row goes and the
   * unmatcher's like becomes a pass (so the other's like alone cannot match them again).
   * Returns the match's conversation; undefined when they had no match.
   */
  async unmatch(q: Queryable, userId: string, otherId: string): Promise<{ conversation_id: string | null } | undefined> {
    const [low, high] = userId < otherId ? [userId, otherId] : [otherId, userId];
    await q.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`swipe:${low}:${high}`]);
    const { rows } = await q.query<{ conversation_id: string | null }>(
      `DELETE FROM matches WHERE user_low = $1 AND user_high = $2 RETURNING conversation_id`,
      [low, high],
    );
    if (!rows[0]) return undefined;
    await q.query(`UPDATE swipes SET kind = 'pass', created_at = now() WHERE user_id = $1 AND target_id = $2`, [userId, otherId]);
    return rows[0];
  }

  async recordMatch(q: Queryable, a: string, b: string, conversationId: string): Promise<boolean> {
    const [low, high] = a < b ? [a, b] : [b, a];
    const res = await q.query(
      `INSERT INTO matches (user_low, user_high, conversation_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 1`,
      [low, high, conversationId],
    );
    return res.rowCount > 0;
  }
}
