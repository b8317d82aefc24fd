import type { Queryable } from '../../db/database.js';
import type { MassAudience, MassMessageStats, MassMessageStatus } from '../../../../shared/mass-messages.js';

export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

export interface MassMessageRow {
  id: string;
  creator_id: string;
  client_id: string;
  audience: MassAudience;
  exclude: string[];
  body: string;
  media_id: string | null;
  price: number;
  status: MassMessageStatus;
  send_at: Date;
  total: number;
  sent: number;
  after: string;
  created_at: Date;
  finished_at: Date | null;
  stats: MassMessageStats | null;
  stats_at: Date | null;
}

/** The audience's paging function's arguments for one audience. */
function audienceArgs(a: MassAudience): [string, number] {
  return [a.kind, a.kind === 'tier' ? a.minTierRank : 0];
}

/**
 * Who may receive: a page of the audience (creators' creator_mass_audience_after) with, for each user,
 * whether they are left out (blocked either way, hand-excluded, or no longer an active account). The page
 * is walked whole, so the cursor moves past the excluded too.
 */
const PAGE = `
  SELECT a.user_id,
         (a.user_id = ANY($6::uuid[])
          OR EXISTS (SELECT 1 FROM blocked_peers($1) b WHERE b = a.user_id)
          OR u.status IS DISTINCT FROM 'active') AS excluded
  FROM creator_mass_audience_after($1, $2, $3, $4, $5) a
  LEFT JOIN user_cards u ON u.id = a.user_id`;

export class MassMessagesStore {
  constructor(private readonly db: Queryable) {}

  /** Creates it (or returns the one created with this clientId before: `created` false). */
  async create(m: {
    id: string;
    creatorId: string;
    clientId: string;
    audience: MassAudience;
    exclude: string[];
    body: string;
    mediaId: string | null;
    price: number;
    status: MassMessageStatus;
    sendAt: Date;
    total: number;
  }): Promise<{ row: MassMessageRow; created: boolean }> {
    const { rows } = await this.db.query<MassMessageRow & { created: boolean }>(
      `WITH ins AS (
         INSERT INTO mass_messages (id, creator_id, client_id, audience, exclude, body, media_id, price, status, send_at, total)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (creator_id, client_id) DO NOTHING
         RETURNING *
       )
       SELECT ins.*, true AS created FROM ins
       UNION ALL
       SELECT m.*, false FROM mass_messages m WHERE m.creator_id = $2 AND m.client_id = $3`,
      [m.id, m.creatorId, m.clientId, JSON.stringify(m.audience), m.exclude, m.body, m.mediaId, m.price, m.status, m.sendAt, m.total],
    );
    const { created, ...row } = rows[0]!;
    return { row, created };
  }

  /** How many would receive it now (what the composer shows before sending). */
  async count(creatorId: string, audience: MassAudience, exclude: string[], q: Queryable = this.db): Promise<number> {
    const { rows } = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM (${PAGE}) p WHERE NOT p.excluded`, [
      creatorId,
      ...audienceArgs(audience),
      ZERO_UUID,
      2_147_483_647,
      exclude,
    ]);
    return rows[0]!.n;
  }

  /** The next `limit` users of its audience after its cursor (the last one's id moves the cursor). */
  async page(q: Queryable, m: MassMessageRow, limit: number): Promise<{ user_id: string; excluded: boolean }[]> {
    const { rows } = await q.query<{ user_id: string; excluded: boolean }>(`${PAGE} ORDER BY a.user_id`, [m.creator_id, ...audienceArgs(m.audience), m.after, limit, m.exclude]);
    return rows;
  }

  /**
   * Takes its delivery's lock for one batch (a second run of the same job waits here, then sees how far the
   * first got) and reads it. An advisory lock, not the row's: a cancel is never kept waiting by a batch in
   * flight, and the next batch reads it.
   */
  async lock(q: Queryable, id: string): Promise<MassMessageRow | undefined> {
    await q.query(`SELECT pg_advisory_xact_lock(hashtextextended('mass-message:' || $1, 0))`, [id]);
    const { rows } = await q.query<MassMessageRow>(`SELECT * FROM mass_messages WHERE id = $1`, [id]);
    return rows[0];
  }

  async get(id: string): Promise<MassMessageRow | undefined> {
    const { rows } = await this.db.query<MassMessageRow>(`SELECT * FROM mass_messages WHERE id = $1`, [id]);
    return rows[0];
  }

  /**
   * Records who this batch reaches: the rows that are new (a recipient already reached by an earlier run of
   * this batch is left out, and gets no second copy).
   */
  async claim(q: Queryable, id: string, recipients: { userId: string; messageId: string }[]): Promise<{ userId: string; messageId: string }[]> {
    if (recipients.length === 0) return [];
    const { rows } = await q.query<{ recipient_id: string; message_id: string }>(
      `INSERT INTO mass_message_recipients (mass_message_id, recipient_id, message_id)
       SELECT $1, r, m FROM unnest($2::uuid[], $3::uuid[]) AS t(r, m)
       ON CONFLICT (mass_message_id, recipient_id) DO NOTHING
       RETURNING recipient_id, message_id`,
      [id, recipients.map((r) => r.userId), recipients.map((r) => r.messageId)],
    );
    return rows.map((r) => ({ userId: r.recipient_id, messageId: r.message_id }));
  }

  /** Starts sending (unless cancelled meanwhile): the audience's size now becomes its total. */
  async start(id: string, total: number): Promise<void> {
    await this.db.query(`UPDATE mass_messages SET status = 'sending', total = $2, updated_at = now() WHERE id = $1 AND status = 'scheduled'`, [id, total]);
  }

  /** After a batch: the cursor, the count, and whether it is done (a cancel that came meanwhile stands). */
  async advance(q: Queryable, id: string, after: string, sent: number, done: boolean): Promise<{ sent: number; total: number; status: MassMessageStatus }> {
    const { rows } = await q.query<{ sent: number; total: number; status: MassMessageStatus }>(
      `UPDATE mass_messages
       SET after = $2, sent = sent + $3, updated_at = now(),
           status = CASE WHEN $4 AND status = 'sending' THEN 'done' ELSE status END,
           finished_at = CASE WHEN $4 AND status = 'sending' THEN now() ELSE finished_at END,
           total = CASE WHEN $4 AND status = 'sending' THEN greatest(total, sent + $3) ELSE total END
       WHERE id = $1
       RETURNING sent, total, status`,
      [id, after, sent, done],
    );
    return rows[0]!;
  }

  /** Stops it unless it has finished; a batch in flight still commits, the next one reads the status and stops. */
  async cancel(id: string, creatorId: string): Promise<MassMessageRow | undefined> {
    const { rows } = await this.db.query<MassMessageRow>(
      `UPDATE mass_messages SET status = 'cancelled', finished_at = now(), updated_at = now()
       WHERE id = $1 AND creator_id = $2 AND status IN ('scheduled', 'sending')
       RETURNING *`,
      [id, creatorId],
    );
    return rows[0];
  }

  /**
   * A creator's mass messages, newest first; `cursor_at` is created_at as text with PostgreSQL's microseconds
   * (a JavaScript Date would round to milliseconds and skip rows inside one).
   */
  async list(creatorId: string, before: string | undefined, limit: number): Promise<(MassMessageRow & { cursor_at: string })[]> {
    const { rows } = await this.db.query<MassMessageRow & { cursor_at: string }>(
      `SELECT *, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at
       FROM mass_messages WHERE creator_id = $1 AND ($2::timestamptz IS NULL OR created_at < $2) ORDER BY created_at DESC LIMIT $3`,
      [creatorId, before ?? null, limit],
    );
    return rows;
  }

  /**
   * Sent, read and unlocked from the fans' copies (chat's message_states), revenue from the ledger's
   * transfers of those unlocks (the creator's leg of `unlock:<message>:<fan>`): no count of our own.
   */
  async stats(ids: string[]): Promise<Map<string, MassMessageStats>> {
    if (ids.length === 0) return new Map();
    const { rows } = await this.db.query<{ id: string; sent: number; read: number; unlocked: number; revenue: string }>(
      `SELECT m.id, coalesce(s.sent, 0) AS sent, coalesce(s.read, 0) AS read, coalesce(s.unlocked, 0) AS unlocked,
              ledger_posted_sum(coalesce(s.keys, '{}')) AS revenue
       FROM unnest($1::uuid[]) AS m(id)
       LEFT JOIN LATERAL (
         SELECT count(*)::int AS sent, count(*) FILTER (WHERE st.read)::int AS read, count(*) FILTER (WHERE st.unlocked)::int AS unlocked,
                array_agg('unlock:' || r.message_id || ':' || r.recipient_id || ':creator') FILTER (WHERE st.unlocked) AS keys
         FROM mass_message_recipients r
         JOIN message_states st ON st.message_id = r.message_id AND st.recipient_id = r.recipient_id
         WHERE r.mass_message_id = m.id
       ) s ON true`,
      [ids],
    );
    return new Map(rows.map((r) => [r.id, { sent: r.sent, read: r.read, unlocked: r.unlocked, revenue: Number(r.revenue) }]));
  }

  /** Keeps the stats just read, for the list to show a while. */
  async saveStats(stats: Map<string, MassMessageStats>): Promise<void> {
    if (stats.size === 0) return;
    await this.db.query(
      `UPDATE mass_messages m SET stats = s.stats, stats_at = now()
       FROM unnest($1::uuid[], $2::jsonb[]) AS s(id, stats) WHERE m.id = s.id`,
      [[...stats.keys()], [...stats.values()].map((s) => JSON.stringify(s))],
    );
  }

  /** Open mass messages whose job seems lost: due, and untouched for `staleSeconds`. */
  async stalled(staleSeconds: number, limit: number): Promise<string[]> {
    const { rows } = await this.db.query<{ id: string }>(
      `SELECT id FROM mass_messages
       WHERE status IN ('scheduled', 'sending') AND send_at <= now() AND updated_at < now() - make_interval(secs => $1)
       ORDER BY updated_at LIMIT $2`,
      [staleSeconds, limit],
    );
    return rows.map((r) => r.id);
  }
}
