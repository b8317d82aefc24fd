import type { Queryable } from '../../db/database.js';
import type { MatchPeer } from '../../../../shared/match.js';

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
}

export class MatchStore {
  constructor(private readonly db: Queryable) {}

  /** What pairing needs to know of a user, and everyone they block or are blocked by. */
  async profile(userId: string): Promise<MatchProfile | undefined> {
    const { rows } = await this.db.query<MatchProfile>(
      `SELECT p.gender, date_part('year', age(current_date, u.birthdate))::int AS age,
              coalesce(p.seeks_genders, '{}') AS seeks, coalesce(p.age_min, 18) AS age_min, coalesce(p.age_max, 99) AS age_max,
              ARRAY(SELECT blocked_id::text FROM blocks WHERE blocker_id = u.id
                    UNION SELECT blocker_id::text FROM blocks WHERE blocked_id = u.id LIMIT 1000) AS blocked
       FROM users u LEFT JOIN profiles p ON p.user_id = u.id WHERE u.id = $1 AND u.status = 'active'`,
      [userId],
    );
    return rows[0];
  }

  /** What match:found shows of each user (the prices are the ones they set; who pays is decided per viewer). */
  async peers(userIds: string[]): Promise<Map<string, PeerRow>> {
    const { rows } = await this.db.query<PeerRow>(
      `SELECT u.id, u.display_name, date_part('year', age(current_date, u.birthdate))::int AS age, p.gender,
              coalesce(p.interests, '{}') AS interests, u.role, u.message_price, u.call_price_per_minute
       FROM users u LEFT JOIN profiles p ON p.user_id = u.id WHERE u.id = ANY($1::uuid[])`,
      [userIds],
    );
    return new Map(rows.map((r) => [r.id, r]));
  }

  /** The session and its (match-kind) conversation, in one statement. */
  async createSession(s: { id: string; mode: string; a: string; b: string; common: string[] }): Promise<string> {
    const [low, high] = s.a < s.b ? [s.a, s.b] : [s.b, s.a];
    const { rows } = await this.db.query<{ conversation_id: string }>(
      `WITH c AS (
         INSERT INTO conversations (user_low, user_high, kind) VALUES ($4, $5, 'match') RETURNING id
       ), m AS (
         INSERT INTO conversation_members (conversation_id, user_id, peer_id)
         SELECT id, $4, $5 FROM c UNION ALL SELECT id, $5, $4 FROM c
       )
       INSERT INTO match_sessions (id, mode, user_a, user_b, conversation_id, common_interests)
       SELECT $1, $2, $3, CASE WHEN $3 = $4 THEN $5 ELSE $4 END, id, $6 FROM c
       RETURNING conversation_id`,
      [s.id, s.mode, s.a, low, high, s.common],
    );
    return rows[0]!.conversation_id;
  }

  /** Records the session's SFU room; false when the session has ended meanwhile (the room is then the caller's to destroy). */
  async setRoom(id: string, instance: string, room: number): Promise<boolean> {
    const { rowCount } = await this.db.query(`UPDATE match_sessions SET sfu_instance = $2, sfu_room = $3 WHERE id = $1 AND ended_at IS NULL`, [id, instance, room]);
    return rowCount > 0;
  }

  /** Ends a session and closes its conversation; undefined when it had already ended. */
  async endSession(id: string, reason: string, by: string | null): Promise<{ sfu_instance: string | null; sfu_room: number | null } | undefined> {
    const { rows } = await this.db.query<{ sfu_instance: string | null; sfu_room: number | null }>(
      `WITH s AS (
         UPDATE match_sessions SET ended_at = now(), end_reason = $2, ended_by = $3
         WHERE id = $1 AND ended_at IS NULL RETURNING conversation_id, sfu_instance, sfu_room
       ), c AS (
         UPDATE conversations SET closed_at = now() WHERE id IN (SELECT conversation_id FROM s)
       )
       SELECT sfu_instance, sfu_room FROM s`,
      [id, reason, by],
    );
    return rows[0];
  }

  /** Of these ids (UUIDs), the sessions that have ended: their SFU rooms should be gone. */
  async endedSessions(ids: string[]): Promise<Set<string>> {
    const { rows } = await this.db.query<{ id: string }>(`SELECT id FROM match_sessions WHERE id = ANY ($1::uuid[]) AND ended_at IS NOT NULL`, [ids]);
    return new Set(rows.map((r) => r.id));
  }

  async session(id: string): Promise<{ id: string; user_a: string; user_b: string; conversation_id: string; ended_at: Date | null } | undefined> {
    const { rows } = await this.db.query<{ id: string; user_a: string; user_b: string; conversation_id: string; ended_at: Date | null }>(
      `SELECT id, user_a, user_b, conversation_id, ended_at FROM match_sessions WHERE id = $1`,
      [id],
    );
    return rows[0];
  }

  /** Stores a report with the session's whole transcript; once per reporter. */
  async report(r: { sessionId: string; reporterId: string; reportedId: string; conversationId: string; reason: string }): Promise<{ id: number; created: boolean }> {
    const { rows } = await this.db.query<{ id: number; created: boolean }>(
      `WITH t AS (
         SELECT coalesce(jsonb_agg(jsonb_build_object('id', id, 'seq', seq, 'senderId', sender_id, 'body', body, 'createdAt', created_at) ORDER BY seq), '[]'::jsonb) AS transcript
         FROM messages WHERE conversation_id = $4
       ), ins AS (
         INSERT INTO match_reports (session_id, reporter_id, reported_id, reason, transcript)
         SELECT $1, $2, $3, $5, transcript FROM t
         ON CONFLICT (session_id, reporter_id) DO NOTHING RETURNING id
       )
       SELECT id, true AS created FROM ins
       UNION ALL
       SELECT id, false FROM match_reports WHERE session_id = $1 AND reporter_id = $2 AND NOT EXISTS (SELECT 1 FROM ins)`,
      [r.sessionId, r.reporterId, r.reportedId, r.conversationId, r.reason],
    );
    return rows[0]!;
  }
}
