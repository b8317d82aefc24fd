import type { Queryable } from '../../db/database.js';
import type { CallEndReason, CallView } from '../../../../shared/calls.js';

export interface CallRow {
  id: string;
  caller_id: string;
  callee_id: string;
  video: boolean;
  state: 'ringing' | 'connecting' | 'active' | 'ended';
  price_per_minute: number;
  sfu_instance: string | null;
  sfu_room: number | null;
  created_at: Date;
  answered_at: Date | null;
  ended_at: Date | null;
  end_reason: CallEndReason | null;
  minutes_billed: number;
  credits_billed: number;
  media_ok_at: Date | null;
  ticked_minute: number;
}

export function toCallView(c: CallRow, minuteSeconds: number): CallView {
  return {
    id: c.id,
    callerId: c.caller_id,
    calleeId: c.callee_id,
    video: c.video,
    state: c.state,
    pricePerMinute: c.price_per_minute,
    minuteSeconds,
    createdAt: c.created_at.toISOString(),
    answeredAt: c.answered_at?.toISOString() ?? null,
    endedAt: c.ended_at?.toISOString() ?? null,
    endReason: c.end_reason,
    minutesBilled: c.minutes_billed,
    creditsBilled: c.credits_billed,
  };
}

export class CallsStore {
  constructor(private readonly db: Queryable) {}

  /** Creates a ringing call; undefined when either side is already in a call (one call per user). */
  async create(c: { id: string; callerId: string; calleeId: string; video: boolean; price: number }): Promise<CallRow | undefined> {
    const { rows } = await this.db.query<CallRow>(
      `WITH free AS (
         SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM call_participants WHERE user_id IN ($2, $3))
       ), call AS (
         INSERT INTO calls (id, caller_id, callee_id, video, state, price_per_minute)
         SELECT $1, $2, $3, $4, 'ringing', $5 FROM free RETURNING *
       ), parts AS (
         INSERT INTO call_participants (user_id, call_id) SELECT $2, id FROM call UNION ALL SELECT $3, id FROM call
       )
       SELECT * FROM call`,
      [c.id, c.callerId, c.calleeId, c.video, c.price],
    );
    return rows[0];
  }

  async get(id: string, q: Queryable = this.db): Promise<CallRow | undefined> {
    const { rows } = await q.query<CallRow>(`SELECT * FROM calls WHERE id = $1`, [id]);
    return rows[0];
  }

  /** Locks the call's row: ticks, answers and hang-ups of one call run one after another. */
  async lock(q: Queryable, id: string): Promise<CallRow | undefined> {
    const { rows } = await q.query<CallRow>(`SELECT * FROM calls WHERE id = $1 FOR UPDATE`, [id]);
    return rows[0];
  }

  async setState(q: Queryable, id: string, state: 'connecting' | 'active', sfu?: { instance: string; room: number }): Promise<CallRow> {
    const { rows } = await q.query<CallRow>(
      `UPDATE calls SET state = $2,
         answered_at = CASE WHEN $2 = 'active' THEN now() ELSE answered_at END,
         sfu_instance = coalesce($3, sfu_instance), sfu_room = coalesce($4, sfu_room)
       WHERE id = $1 RETURNING *`,
      [id, state, sfu?.instance ?? null, sfu?.room ?? null],
    );
    return rows[0]!;
  }

  async billed(q: Queryable, id: string, minutes: number): Promise<CallRow> {
    const { rows } = await q.query<CallRow>(
      `UPDATE calls SET minutes_billed = greatest(minutes_billed, $2), credits_billed = greatest(minutes_billed, $2) * price_per_minute
       WHERE id = $1 RETURNING *`,
      [id, minutes],
    );
    return rows[0]!;
  }

  /** Ends the call and frees both participants for another one. */
  async end(q: Queryable, id: string, reason: CallEndReason, by: string | null, at: Date): Promise<CallRow> {
    const { rows } = await q.query<CallRow>(
      `WITH c AS (
         UPDATE calls SET state = 'ended', ended_at = $4, end_reason = $2, ended_by = $3 WHERE id = $1 RETURNING *
       ), p AS (
         DELETE FROM call_participants WHERE call_id = $1
       )
       SELECT * FROM c`,
      [id, reason, by, at],
    );
    return rows[0]!;
  }

  /** Calls not ended, by state, and active ones per Janus instance (the partial index on open calls serves it). */
  async openCounts(): Promise<{ active: number; ringing: number; perSfuInstance: Record<string, number> }> {
    const { rows } = await this.db.query<{ state: string; sfu_instance: string | null; n: number }>(
      `SELECT state, sfu_instance, count(*)::int AS n FROM calls WHERE state <> 'ended' GROUP BY state, sfu_instance`,
    );
    const out = { active: 0, ringing: 0, perSfuInstance: {} as Record<string, number> };
    for (const r of rows) {
      if (r.state === 'active') {
        out.active += r.n;
        if (r.sfu_instance) out.perSfuInstance[r.sfu_instance] = (out.perSfuInstance[r.sfu_instance] ?? 0) + r.n;
      } else out.ringing += r.n;
    }
    return out;
  }

  /** Active calls with a room, for the media sweep. */
  async activeOnSfu(): Promise<Pick<CallRow, 'id' | 'sfu_instance' | 'sfu_room' | 'answered_at' | 'media_ok_at' | 'ticked_minute'>[]> {
    const { rows } = await this.db.query<Pick<CallRow, 'id' | 'sfu_instance' | 'sfu_room' | 'answered_at' | 'media_ok_at' | 'ticked_minute'>>(
      `SELECT id, sfu_instance, sfu_room, answered_at, media_ok_at, ticked_minute FROM calls
       WHERE state = 'active' AND sfu_instance IS NOT NULL AND sfu_room IS NOT NULL`,
    );
    return rows;
  }

  /** Calls still ringing or connecting that began before `before` (their timeout job lost, or a node died mid-accept). */
  async stuck(before: Date): Promise<Pick<CallRow, 'id' | 'state'>[]> {
    const { rows } = await this.db.query<Pick<CallRow, 'id' | 'state'>>(
      `SELECT id, state FROM calls WHERE state IN ('ringing', 'connecting') AND created_at < $1`,
      [before],
    );
    return rows;
  }

  /** Minute `minute` is through its tick; its room was seen at `seenAt` (null: not checked). */
  async ticked(q: Queryable, id: string, minute: number, seenAt: Date | null): Promise<void> {
    await q.query(
      `UPDATE calls SET ticked_minute = greatest(ticked_minute, $2), media_ok_at = greatest(media_ok_at, $3) WHERE id = $1`,
      [id, minute, seenAt],
    );
  }

  /** The sweep saw these calls' rooms on a healthy Janus at `at`. */
  async mediaSeen(ids: string[], at: Date): Promise<void> {
    if (ids.length === 0) return;
    await this.db.query(`UPDATE calls SET media_ok_at = $2 WHERE id = ANY ($1::uuid[]) AND state = 'active'`, [ids, at]);
  }

  /** Of these ids (UUIDs), the calls that have ended: their SFU rooms should be gone. */
  async endedCalls(ids: string[]): Promise<Set<string>> {
    const { rows } = await this.db.query<{ id: string }>(`SELECT id FROM calls WHERE id = ANY ($1::uuid[]) AND state = 'ended'`, [ids]);
    return new Set(rows.map((r) => r.id));
  }

  async history(userId: string, before: Date | null, limit: number): Promise<(CallRow & { peer_name: string })[]> {
    const { rows } = await this.db.query<CallRow & { peer_name: string }>(
      `SELECT c.*, u.display_name AS peer_name FROM calls c
       JOIN user_cards u ON u.id = CASE WHEN c.caller_id = $1 THEN c.callee_id ELSE c.caller_id END
       WHERE (c.caller_id = $1 OR c.callee_id = $1) AND ($2::timestamptz IS NULL OR c.created_at < $2)
       ORDER BY c.created_at DESC LIMIT $3`,
      [userId, before, limit],
    );
    return rows;
  }
}
