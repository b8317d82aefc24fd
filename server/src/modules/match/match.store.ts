import type { Queryable } from '../../db/database.js';
import type { MatchMode, MatchPeer } from '../../../../shared/match.js';

export interface PeerRow {
  id: string;
  display_name: string;
  age: number;
  gender: MatchPeer['gender'];
  interests: string[];
  role: string;
  message_price: number;
  call_price_per_minute: number;
}

export interface MatchProfile {
  gender: string | null;
  age: number;
  seeks: string[];
  age_min: number;
  age_max: number;
  blocked: string[];
  /** False for a creator who takes no random matches (creators' creator_policies). */
  random_matches: boolean;
}

export class MatchStore {
  constructor(private readonly db: Queryable) {}

  /** What pairing needs to know of a user, and everyone they block or are blocked by. */
  async profile(userId: string): Promise<MatchProfile | undefined> {
    const { rows } = await this.db.query<MatchProfile>(
      `SELECT p.gender, date_part('year', age(current_date, u.birthdate))::int AS age,
              coalesce(p.seeks_genders, '{}') AS seeks, coalesce(p.age_min, 18) AS age_min, coalesce(p.age_max, 99) AS age_max,
              ARRAY(SELECT id::text FROM blocked_peers(u.id) AS id LIMIT 1000) AS blocked,
              coalesce(cp.random_matches, true) AS random_matches
       FROM user_cards u LEFT JOIN pairing_profiles p ON p.user_id = u.id
       LEFT JOIN creator_policies cp ON cp.user_id = u.id
       WHERE u.id = $1 AND u.status = 'active'`,
      [userId],
    );
    return rows[0];
  }

  /** What match:found shows of each user (the prices are the ones they set; who pays is decided per viewer). */
  async peers(userIds: string[]): Promise<Map<string, PeerRow>> {
    const { rows } = await this.db.query<PeerRow>(
      `SELECT u.id, u.display_name, date_part('year', age(current_date, u.birthdate))::int AS age, p.gender,
              coalesce(p.interests, '{}') AS interests, u.role, u.message_price, u.call_price_per_minute
       FROM user_cards u LEFT JOIN pairing_profiles p ON p.user_id = u.id WHERE u.id = ANY($1::uuid[])`,
      [userIds],
    );
    return new Map(rows.map((r) => [r.id, r]));
  }

  /** The session row, pointing at the conversation chat opened for it in the same transaction. */
  async createSession(q: Queryable, s: { id: string; mode: string; a: string; b: string; common: string[]; conversationId: string }): Promise<void> {
    await q.query(
      `INSERT INTO match_sessions (id, mode, user_a, user_b, conversation_id, common_interests) VALUES ($1, $2, $3, $4, $5, $6)`,
      [s.id, s.mode, s.a, s.b, s.conversationId, s.common],
    );
  }

  /** Records the session's SFU room; false when the session has ended meanwhile (the room is then the caller's to destroy). */
  async setRoom(id: string, instance: string, room: number): Promise<boolean> {
    const { rowCount } = await this.db.query(`UPDATE match_sessions SET sfu_instance = $2, sfu_room = $3 WHERE id = $1 AND ended_at IS NULL`, [id, instance, room]);
    return rowCount > 0;
  }

  /** Ends a session; undefined when it had already ended. Its conversation is chat's to close. */
  async endSession(
    q: Queryable,
    id: string,
    reason: string,
    by: string | null,
  ): Promise<{ conversation_id: string; sfu_instance: string | null; sfu_room: number | null } | undefined> {
    const { rows } = await q.query<{ conversation_id: string; sfu_instance: string | null; sfu_room: number | null }>(
      `UPDATE match_sessions SET ended_at = now(), end_reason = $2, ended_by = $3
       WHERE id = $1 AND ended_at IS NULL RETURNING conversation_id, sfu_instance, sfu_room`,
      [id, reason, by],
    );
    return rows[0];
  }

  /** Which of these ids have a session row (ended or not). */
  async recordedSessions(ids: string[]): Promise<Set<string>> {
    const { rows } = await this.db.query<{ id: string }>(`SELECT id FROM match_sessions WHERE id = ANY ($1::uuid[])`, [ids]);
    return new Set(rows.map((r) => r.id));
  }

  /** Of these ids (UUIDs), the sessions that have ended: their SFU rooms should be gone. */
  async endedSessions(ids: string[]): Promise<Set<string>> {
    const { rows } = await this.db.query<{ id: string }>(`SELECT id FROM match_sessions WHERE id = ANY ($1::uuid[]) AND ended_at IS NOT NULL`, [ids]);
    return new Set(rows.map((r) => r.id));
  }

  async session(id: string): Promise<{ id: string; mode: MatchMode; user_a: string; user_b: string; conversation_id: string; ended_at: Date | null } | undefined> {
    const { rows } = await this.db.query<{ id: string; mode: MatchMode; user_a: string; user_b: string; conversation_id: string; ended_at: Date | null }>(
      `SELECT id, mode, user_a, user_b, conversation_id, ended_at FROM match_sessions WHERE id = $1`,
      [id],
    );
    return rows[0];
  }

}
