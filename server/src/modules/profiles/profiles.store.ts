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
  km: number | null;
  match: number | null;
  common: number;
  score: number;
}

const PROFILE = `u.id AS user_id, u.display_name, u.role, u.message_price, u.call_price_per_minute, date_part('year', age(current_date, u.birthdate))::int AS age,
  coalesce(p.bio, '') AS bio, p.gender, coalesce(p.interests, '{}') AS interests, coalesce(p.languages, '{}') AS languages,
  p.lat, p.lng, coalesce(p.seeks_genders, '{}') AS seeks_genders, coalesce(p.age_min, 18) AS age_min,
  coalesce(p.age_max, 99) AS age_max, p.max_distance_km`;

export class ProfilesStore {
  constructor(private readonly db: Queryable) {}

  async get(userId: string): Promise<ProfileRow | undefined> {
    const { rows } = await this.db.query<ProfileRow>(
      `SELECT ${PROFILE} FROM users u LEFT JOIN profiles p ON p.user_id = u.id WHERE u.id = $1 AND u.status = 'active'`,
      [userId],
    );
    return rows[0];
  }

  async upsert(userId: string, patch: Partial<{ bio: string; gender: string | null; interests: string[]; languages: string[]; lat: number | null; lng: number | null; seeks_genders: string[]; age_min: number; age_max: number; max_distance_km: number | null }>): Promise<void> {
    const cols = Object.keys(patch);
    const values = Object.values(patch);
    await this.db.query(
      `INSERT INTO profiles (user_id${cols.map((c) => `, ${c}`).join('')}) VALUES ($1${cols.map((_, i) => `, $${i + 2}`).join('')})
       ON CONFLICT (user_id) DO UPDATE SET ${[...cols.map((c) => `${c} = EXCLUDED.${c}`), 'updated_at = now()', 'last_active_at = now()'].join(', ')}`,
      [userId, ...values],
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
   * README's Discover section for the weights). Distance uses the GiST index
   * on ll_to_earth through earth_box. The pool is capped at the 1000 most
   * recently active fits before scoring. `asOf` fixes the clock for recency
   * so a cursor's pages stay stable.
   */
  async discover(userId: string, asOf: Date, after: { score: number; id: string } | null, limit: number): Promise<DiscoverRow[]> {
    const { rows } = await this.db.query<DiscoverRow>(
      `WITH me AS (
         SELECT u.id, p.gender, coalesce(p.seeks_genders, '{}') AS seeks, coalesce(p.age_min, 18) AS age_min,
                coalesce(p.age_max, 99) AS age_max, p.max_distance_km, p.lat, p.lng, coalesce(p.interests, '{}') AS interests,
                date_part('year', age($2::timestamptz::date, u.birthdate))::int AS age
         FROM users u LEFT JOIN profiles p ON p.user_id = u.id WHERE u.id = $1
       ), pool AS (
         SELECT p.user_id, u.display_name, u.role, u.message_price, u.call_price_per_minute, p.gender, p.bio, p.interests, p.languages,
                date_part('year', age($2::timestamptz::date, u.birthdate))::int AS age,
                greatest(p.last_active_at, coalesce(u.last_seen_at, p.last_active_at)) AS active_at,
                CASE WHEN me.lat IS NOT NULL AND p.lat IS NOT NULL
                     THEN earth_distance(ll_to_earth(me.lat, me.lng), ll_to_earth(p.lat, p.lng)) / 1000 END AS km
         FROM me, profiles p JOIN users u ON u.id = p.user_id
         WHERE p.user_id <> me.id AND u.status = 'active'
           AND (cardinality(me.seeks) = 0 OR p.gender = ANY (me.seeks))
           AND (cardinality(p.seeks_genders) = 0 OR me.gender = ANY (p.seeks_genders))
           AND date_part('year', age($2::timestamptz::date, u.birthdate)) BETWEEN me.age_min AND me.age_max
           AND me.age BETWEEN p.age_min AND p.age_max
           AND (me.max_distance_km IS NULL OR (me.lat IS NOT NULL AND p.lat IS NOT NULL
                AND earth_box(ll_to_earth(me.lat, me.lng), me.max_distance_km * 1000.0) @> ll_to_earth(p.lat, p.lng)
                AND earth_distance(ll_to_earth(me.lat, me.lng), ll_to_earth(p.lat, p.lng)) <= me.max_distance_km * 1000.0))
           AND (p.max_distance_km IS NULL OR (me.lat IS NOT NULL AND p.lat IS NOT NULL
                AND earth_distance(ll_to_earth(me.lat, me.lng), ll_to_earth(p.lat, p.lng)) <= p.max_distance_km * 1000.0))
           AND NOT EXISTS (SELECT 1 FROM blocks b WHERE (b.blocker_id = me.id AND b.blocked_id = p.user_id)
                                                    OR (b.blocker_id = p.user_id AND b.blocked_id = me.id))
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
         SELECT pool.*, coalesce(c.common, 0) AS common,
                CASE WHEN c.s_me IS NULL OR c.s_them IS NULL THEN NULL ELSE sqrt(c.s_me * c.s_them) END AS m,
                (SELECT count(*) FROM unnest(pool.interests) i WHERE i = ANY (mm.mi))::float8
                  / greatest(1, cardinality(pool.interests) + cardinality(mm.mi)
                     - (SELECT count(*) FROM unnest(pool.interests) i WHERE i = ANY (mm.mi))) AS shared
         FROM pool CROSS JOIN (SELECT interests AS mi FROM me) mm LEFT JOIN compat c ON c.user_id = pool.user_id
       ), ranked AS (
         SELECT scored.*,
                round(1000000 * (
                  0.55 * coalesce(m, 0.5)
                  + 0.20 * CASE WHEN km IS NULL THEN 0.5 ELSE 1 / (1 + km / 50) END
                  + 0.15 * exp(-greatest(0, extract(epoch FROM ($2::timestamptz - active_at))) / 604800.0)
                  + 0.10 * shared
                ))::bigint AS score
         FROM scored
       )
       SELECT user_id, display_name, role, message_price, call_price_per_minute, age, gender, bio, interests, languages,
              CASE WHEN km IS NULL THEN NULL ELSE round(km)::int END AS km,
              CASE WHEN m IS NULL THEN NULL ELSE round(100 * m)::int END AS match, common, score
       FROM ranked
       WHERE $3::bigint IS NULL OR score < $3 OR (score = $3 AND user_id < $4::uuid)
       ORDER BY score DESC, user_id DESC
       LIMIT $5`,
      [userId, asOf, after?.score ?? null, after?.id ?? null, limit],
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

  async recordMatch(q: Queryable, a: string, b: string, conversationId: string): Promise<boolean> {
    const [low, high] = a < b ? [a, b] : [b, a];
    const res = await q.query(
      `INSERT INTO matches (user_low, user_high, conversation_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 1`,
      [low, high, conversationId],
    );
    return res.rowCount > 0;
  }
}
