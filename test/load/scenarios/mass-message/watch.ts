import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { http } from '../../../support/client.js';

/**
 * The mass-message side of `npm run bench -- mass-message`: one mass message sent through the REST API (so the
 * node enqueues `mass-messages.deliver` and the workers process runs it, as in production), watched by polling
 * its row (one primary-key read), then checked: every follower has exactly one copy.
 */
export interface MassResult {
  id: string;
  /** Recipients recorded, and copies stored (messages with this mass message's text). */
  sent: number;
  copies: number;
  /** Followers with no copy, and with more than one. */
  missing: number;
  doubled: number;
  /** created_at → finished_at (the database's clock). */
  finishMs: number;
  /** The creator's progress pushes seen (mass-message:progress). */
  pushes: number;
  /** GET /api/mass-messages/:id once done: its stats (sent, read, unlocked, revenue) over every recipient. */
  statsMs: number;
}

export async function sendAndWatch(o: {
  db: pg.Pool;
  url: string;
  token: string;
  creatorId: string;
  timeoutMs: number;
  pushes: () => number;
  onProgress?(s: { sent: number; total: number; elapsedS: number }): void;
}): Promise<MassResult> {
  const t0 = performance.now();
  const body = `to every follower ${randomUUID()}`;
  const res = await http<{ massMessage: { id: string } }>(o.url, 'POST', '/api/mass-messages', {
    token: o.token,
    body: { clientId: randomUUID(), audience: { kind: 'followers' }, body },
  });
  if (res.status !== 201) throw new Error(`POST /api/mass-messages: ${res.status} ${JSON.stringify(res.body)}`);
  const id = res.body.massMessage.id;
  const deadline = t0 + o.timeoutMs;
  for (;;) {
    const { rows } = await o.db.query<{ status: string; sent: number; total: number; ms: number | null }>(
      `SELECT status, sent, total, (extract(epoch FROM finished_at - created_at) * 1000)::float8 AS ms FROM mass_messages WHERE id = $1`,
      [id],
    );
    const r = rows[0]!;
    if (r.status === 'done' || r.status === 'cancelled') {
      const { rows: c } = await o.db.query<{ copies: number; missing: number; doubled: number; recipients: number }>(
        `WITH c AS (
           SELECT cm.user_id, count(*) AS n FROM messages m
           JOIN conversation_members cm ON cm.conversation_id = m.conversation_id AND cm.user_id <> m.sender_id
           WHERE m.sender_id = $2 AND m.body = $3 GROUP BY cm.user_id
         )
         SELECT (SELECT coalesce(sum(n), 0)::int FROM c) AS copies,
                (SELECT count(*)::int FROM follows f WHERE f.creator_id = $2 AND NOT EXISTS (SELECT 1 FROM c WHERE c.user_id = f.follower_id)) AS missing,
                (SELECT count(*)::int FROM c WHERE n > 1) AS doubled,
                (SELECT count(*)::int FROM mass_message_recipients WHERE mass_message_id = $1) AS recipients`,
        [id, o.creatorId, body],
      );
      const k = c[0]!;
      const s0 = performance.now();
      const got = await http<{ massMessage: { stats: { sent: number } } }>(o.url, 'GET', `/api/mass-messages/${id}`, { token: o.token });
      const statsMs = performance.now() - s0;
      if (got.status !== 200 || got.body.massMessage.stats.sent !== k.recipients) throw new Error(`GET /api/mass-messages/${id}: ${got.status} ${JSON.stringify(got.body)}`);
      return { id, sent: k.recipients, copies: k.copies, missing: k.missing, doubled: k.doubled, finishMs: r.ms ?? performance.now() - t0, pushes: o.pushes(), statsMs };
    }
    if (performance.now() > deadline) throw new Error(`mass message ${id} not done after ${Math.round(o.timeoutMs / 1000)} s (${r.sent}/${r.total})`);
    o.onProgress?.({ sent: r.sent, total: r.total, elapsedS: (performance.now() - t0) / 1000 });
    await sleep(250);
  }
}
